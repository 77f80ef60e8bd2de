import type { IncomingMessage } from 'node:http';
import { isLinkPulseError } from '../errors.js';
import type { Shortener, ShortenInput, UpdateInput } from '../shortener-types.js';
import type { StatsInterval, StatsQuery } from '../sinks/stats.js';
import { linkPageToJson, linkToJson } from './link-json.js';
import type { ResolvedHttpOptions } from './options.js';
import { errorReply, type HttpReply } from './reply.js';
import type { ManagementRouteId } from './routes.js';

/** A request as the shared handlers see it, after the adapter validated its parts. */
export interface HttpRequest {
  /** `GET`, `HEAD`, `POST`, … */
  method: string;
  /** Path parameters (`code`). */
  params: Readonly<Record<string, string>>;
  /** Validated query string (the list and stats routes read it). */
  query: unknown;
  /** Validated JSON body (create and update). */
  body: unknown;
  /** The Node request: headers, socket (client IP) and raw URL (query string). */
  raw: IncomingMessage;
  /** Path on this server in front of the routes (mount path plus prefix), e.g. `/go`. */
  mountPath: string;
}

/**
 * Handles one management route; answers every `LinkPulseError` itself and rethrows
 * anything else. (The redirect has its own, {@link RedirectHandler}.)
 */
export type RouteHandler = (request: HttpRequest) => Promise<HttpReply>;

interface StatsParams {
  from?: string;
  to?: string;
  interval?: StatsInterval;
  top?: number;
}

function statsQuery(query: StatsParams): Partial<StatsQuery> {
  const result: Partial<StatsQuery> = {};
  if (query.from !== undefined) result.from = new Date(query.from);
  if (query.to !== undefined) result.to = new Date(query.to);
  if (query.interval !== undefined) result.interval = query.interval;
  if (query.top !== undefined) result.top = query.top;
  return result;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpReply => ({
  status,
  headers,
  body,
});

/**
 * The framework-independent handlers of the management routes: they call the shortener
 * and return the reply the adapter sends. The redirect is {@link createRedirectHandler}.
 */
export function createRouteHandlers<TRequest>(
  shortener: Shortener,
  options: ResolvedHttpOptions<TRequest>,
): Record<ManagementRouteId, RouteHandler> {
  const codeBase = (request: HttpRequest): string =>
    options.baseUrl ?? `${options.proxy.origin(request.raw)}${request.mountPath}`;
  const code = (request: HttpRequest): string => request.params.code ?? '';

  const handlers: Record<ManagementRouteId, RouteHandler> = {
    async createLink(request) {
      const link = await shortener.shorten(request.body as ShortenInput);
      const location = `${request.mountPath}/api/links/${link.code}`;
      return json(201, linkToJson(link, codeBase(request)), { location });
    },
    async listLinks(request) {
      const query = request.query as { cursor?: string; limit?: number };
      const page = await shortener.list({ cursor: query.cursor ?? null, limit: query.limit });
      return json(200, linkPageToJson(page, codeBase(request)));
    },
    async getLink(request) {
      return json(200, linkToJson(await shortener.get(code(request)), codeBase(request)));
    },
    async updateLink(request) {
      const link = await shortener.update(code(request), request.body as UpdateInput);
      return json(200, linkToJson(link, codeBase(request)));
    },
    async deleteLink(request) {
      await shortener.delete(code(request));
      return { status: 204, headers: {} };
    },
    async linkStats(request) {
      return json(
        200,
        await shortener.stats(code(request), statsQuery(request.query as StatsParams)),
      );
    },
  };

  const guarded = {} as Record<ManagementRouteId, RouteHandler>;
  for (const [id, handler] of Object.entries(handlers) as [ManagementRouteId, RouteHandler][]) {
    guarded[id] = async (request) => {
      try {
        return await handler(request);
      } catch (error) {
        if (isLinkPulseError(error)) return errorReply(error);
        throw error;
      }
    };
  }
  return guarded;
}
