import { isLinkPulseError, LinkPulseError } from '../errors.js';
import type { LinkStore } from './link-store.js';

function unavailable(error: unknown): never {
  if (isLinkPulseError(error)) throw error;
  throw new LinkPulseError('unavailable', 'link store unavailable', { cause: error });
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
