import { interner } from './memo.js';

/** Longest `User-Agent` and `Referer` kept in a click event; longer ones are cut. */
export const MAX_HEADER_LENGTH = 1024;

/** Distinct header values remembered per thread. */
const REMEMBERED = 4_096;

const remembered = interner(REMEMBERED);

/**
 * A user agent or referer as clicks keep it: the equal string seen first, among this
 * thread's most recent distinct values, so that one distinct header is one string, hashed
 * once, and a request's own copy need not outlive the request. A value longer than
 * {@link MAX_HEADER_LENGTH} comes back as it is: remembering it, or a cut of it (which
 * refers to the whole), would keep the whole value alive.
 */
export function sharedHeader(value: string): string {
  return value.length <= MAX_HEADER_LENGTH ? remembered(value) : value;
}
