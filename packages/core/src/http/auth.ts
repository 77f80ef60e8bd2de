import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Decides whether a request may use the management routes; `false` answers 401
 * `unauthorized`. It may also throw a `LinkPulseError` to answer with another code.
 */
export type Authorize<TRequest> = (request: TRequest) => boolean | Promise<boolean>;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The key a request presents: `Authorization: Bearer <key>`, else `x-api-key`. */
export function presentedApiKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

/**
 * A check of the presented API key against one or more accepted keys (several allow a
 * rotation). Keys are compared as SHA-256 digests with `timingSafeEqual`, so neither
 * the content nor the length of a key leaks through timing.
 */
export function createApiKeyCheck(
  keys: string | readonly string[],
): (headers: IncomingHttpHeaders) => boolean {
  const accepted = (typeof keys === 'string' ? [keys] : [...keys]).map((key) => {
    if (typeof key !== 'string' || key === '')
      throw new TypeError('apiKey must be a non-empty string');
    return digest(key);
  });
  if (accepted.length === 0) throw new TypeError('apiKey must name at least one key');
  return (headers) => {
    const presented = presentedApiKey(headers);
    if (presented === undefined) return false;
    const candidate = digest(presented);
    let matched = false;
    for (const key of accepted) matched = timingSafeEqual(candidate, key) || matched;
    return matched;
  };
}
