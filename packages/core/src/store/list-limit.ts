import { LinkPulseError } from '../errors.js';

/** Links per page of `LinkStore.list` when no limit is given. */
export const DEFAULT_LIST_LIMIT = 100;

/**
 * The page size `LinkStore.list` should use for a requested `limit`: the default when
 * absent. Every store driver calls it, so all refuse the same bad limits.
 *
 * @throws LinkPulseError `invalid_query` unless `limit` is a positive integer.
 */
export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new LinkPulseError('invalid_query', 'limit must be a positive integer');
  }
  return limit;
}
