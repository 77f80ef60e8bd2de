import type { IncomingMessage } from 'node:http';
import { isLinkPulseError } from '../errors.js';
import type { Resolution, ResolveOptions, Shortener } from '../shortener-types.js';
import type { ProxyTrust } from './proxy-trust.js';
import { redirectReply } from './redirect.js';
import { errorReply, type HttpReply } from './reply.js';

/**
 * Answers `GET`/`HEAD /:code` for a code as the framework decoded it from the path,
 * the request method and the Node request (headers, socket, raw URL). Returns the
 * reply itself when the shortener's cache answers, and a promise of it when the store
 * must be asked. Answers a `LinkPulseError` (503 `unavailable`) itself and rejects with
 * anything else.
 */
export type RedirectHandler = (
  code: string,
  method: string,
  raw: IncomingMessage,
) => HttpReply | Promise<HttpReply>;

const GET: ResolveOptions = Object.freeze({ method: 'GET' });
const HEAD: ResolveOptions = Object.freeze({ method: 'HEAD' });

function rawQuery(url: string | undefined): string | undefined {
  const index = url === undefined ? -1 : url.indexOf('?');
  return index === -1 ? undefined : url!.slice(index + 1);
}

/**
 * The redirect route both adapters serve, in one place. No route validation runs in
 * front of it: a code that is not well formed is a 404 `not_found` from the shortener.
 * A cached code is answered synchronously (`Shortener.resolveCached`), anything else
 * through `Shortener.resolve`. Every `found` redirect, `GET` or `HEAD`, is recorded with
 * `Shortener.recordClick`, which does not wait.
 */
export function createRedirectHandler(
  shortener: Shortener,
  options: { proxy: ProxyTrust },
): RedirectHandler {
  const { proxy } = options;

  function answer(resolution: Resolution, raw: IncomingMessage, how: ResolveOptions): HttpReply {
    if (resolution.status === 'found') {
      shortener.recordClick({
        code: resolution.link.code,
        ip: proxy.clientIp(raw),
        userAgent: raw.headers['user-agent'],
        referer: raw.headers.referer,
        method: how.method,
        query: rawQuery(raw.url),
      });
    }
    return redirectReply(resolution);
  }

  async function resolveThenAnswer(
    code: string,
    raw: IncomingMessage,
    how: ResolveOptions,
  ): Promise<HttpReply> {
    try {
      return answer(await shortener.resolve(code, how), raw, how);
    } catch (error) {
      if (isLinkPulseError(error)) return errorReply(error);
      throw error;
    }
  }

  return function redirect(code, method, raw) {
    const how = method === 'HEAD' ? HEAD : GET;
    const cached = shortener.resolveCached(code, how);
    return cached === undefined ? resolveThenAnswer(code, raw, how) : answer(cached, raw, how);
  };
}
