import type { IncomingHttpHeaders } from 'node:http';
import { type Authorize, createApiKeyCheck } from './auth.js';
import { createProxyTrust, type ProxyTrust, type TrustProxy } from './proxy-trust.js';
import { ROUTES, type RouteSpec } from './routes.js';

/** Default of {@link LinkPulseHttpOptions.bodyLimit}: 16 KiB. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/** Options both adapters take; `TRequest` is the framework's request type. */
export interface LinkPulseHttpOptions<TRequest> {
  /** Path in front of every route, e.g. `/go` (default `''`: `/api/links`, `/:code`). */
  prefix?: string;
  /** Serve `GET`/`HEAD /:code` (default `true`). */
  redirects?: boolean;
  /** Serve the `/api/links` routes (default `true`). */
  management?: boolean;
  /**
   * Guards the management routes. Default: the API-key check when `apiKey` is set,
   * otherwise open. When given, it replaces the API-key check.
   */
  authorize?: Authorize<TRequest>;
  /** Key(s) the management routes require, as `Authorization: Bearer` or `x-api-key`. */
  apiKey?: string | readonly string[];
  /** Which proxies' `X-Forwarded-*` headers are believed (default none). */
  trustProxy?: TrustProxy;
  /** Largest accepted JSON body in bytes (default {@link DEFAULT_BODY_LIMIT}); more is 413. */
  bodyLimit?: number;
  /**
   * Public URL in front of the codes, e.g. `https://sho.rt` or `https://example.com/go`,
   * used for `shortUrl`. Default: the request's protocol and host plus the mount path.
   */
  baseUrl?: string;
}

/** {@link LinkPulseHttpOptions} checked and completed with their defaults. */
export interface ResolvedHttpOptions<TRequest> {
  prefix: string;
  /** The routes to serve, after `redirects` and `management`. */
  routes: readonly RouteSpec[];
  /** `null` when the management routes are open. */
  authorize: Authorize<TRequest> | null;
  proxy: ProxyTrust;
  bodyLimit: number;
  baseUrl: string | null;
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed !== '' && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(trimmed)) {
    throw new TypeError(`prefix "${prefix}" must be a path starting with "/"`);
  }
  return trimmed;
}

function normalizeBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('baseUrl must be an http(s) URL');
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * Checks the options and fills in the defaults; throws `TypeError` for a bad setting.
 * `headersOf` reads the headers of the framework's request for the default API-key check.
 */
export function resolveHttpOptions<TRequest>(
  options: LinkPulseHttpOptions<TRequest>,
  headersOf: (request: TRequest) => IncomingHttpHeaders,
): ResolvedHttpOptions<TRequest> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
    throw new TypeError('bodyLimit must be a positive integer');
  }
  const groups = new Set<RouteSpec['group']>();
  if (options.management ?? true) groups.add('management');
  if (options.redirects ?? true) groups.add('redirect');
  let authorize: Authorize<TRequest> | null = options.authorize ?? null;
  if (authorize === null && options.apiKey !== undefined) {
    const check = createApiKeyCheck(options.apiKey);
    authorize = (request) => check(headersOf(request));
  }
  return {
    prefix: normalizePrefix(options.prefix ?? ''),
    routes: ROUTES.filter((route) => groups.has(route.group)),
    authorize,
    proxy: createProxyTrust(options.trustProxy),
    bodyLimit,
    baseUrl: options.baseUrl === undefined ? null : normalizeBaseUrl(options.baseUrl),
  };
}
