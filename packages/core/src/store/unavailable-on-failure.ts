import { isLinkPulseError, LinkPulseError } from '../errors.js';
import type { LinkStore } from './link-store.js';

/**
 * `error` as it should reach the HTTP layer: a {@link LinkPulseError} as it is, anything
 * else (a driver's own failure) as `unavailable` with `message`, the original as its cause.
 */
export function asUnavailable(error: unknown, message: string): LinkPulseError {
  return isLinkPulseError(error)
    ? error
    : new LinkPulseError('unavailable', message, { cause: error });
}

function unavailable(error: unknown): never {
  throw asUnavailable(error, 'link store unavailable');
}

/**
 * Wraps a store so that a driver's own failures (a Redis connection refused, a locked
 * SQLite file) surface as `LinkPulseError('unavailable')` (HTTP 503), while the store's
 * typed errors (`code_taken`, `not_found`) pass through unchanged.
 */
export function unavailableOnFailure(store: LinkStore): LinkStore {
  return {
    get: (code) => store.get(code).catch(unavailable),
    create: (link) => store.create(link).catch(unavailable),
    update: (code, patch) => store.update(code, patch).catch(unavailable),
    delete: (code) => store.delete(code).catch(unavailable),
    list: (options) => store.list(options).catch(unavailable),
    takeClick: (code) => store.takeClick(code).catch(unavailable),
    close: () => store.close(),
  };
}
