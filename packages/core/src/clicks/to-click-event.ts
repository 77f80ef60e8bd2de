import { LinkPulseError } from '../errors.js';
import type { ClickEvent, ClickInput, Utm } from './click-event.js';
import { memoize } from './memo.js';
import { MAX_HEADER_LENGTH, sharedHeader } from './shared-header.js';
import type { UlidFactory } from './ulid.js';
import { parseUtm } from './utm.js';
import { ipPrefix, type VisitorHasher } from './visitor.js';

/** Distinct IP addresses and query strings whose prefix / UTM parameters are remembered. */
const MEMO_ENTRIES = 4_096;

// A client's address repeats across its clicks and a campaign's query string across its
// visitors: both are worked out once. Events of one address or query share the (frozen) result.
const prefixOf = memoize(ipPrefix, MEMO_ENTRIES);
const utmOf = memoize((query: string): Utm | null => {
  const utm = parseUtm(query);
  return utm === null ? null : Object.freeze(utm);
}, MEMO_ENTRIES);

// A header as events keep it: shared, or, when longer than the limit, a copy of its cut
// (a cut made by `slice` refers to the whole value and would keep it alive wherever the
// event's field is kept, such as the visitor-id cache).
function keptHeader(value: string): string {
  if (value.length <= MAX_HEADER_LENGTH) return sharedHeader(value);
  return Buffer.from(value.slice(0, MAX_HEADER_LENGTH), 'utf16le').toString('utf16le');
}

/**
 * Throws `LinkPulseError('invalid_body')` unless `input.code` is a non-empty string and
 * `ts` a finite number: the clicks {@link toClickEvent} refuses, checked on their own.
 */
export function assertClickInput(input: ClickInput, ts: number): void {
  const { code } = input;
  if (typeof code !== 'string' || code === '' || !Number.isFinite(ts)) {
    throw new LinkPulseError('invalid_body', 'a click needs a code and a finite timestamp');
  }
}

/**
 * Builds the {@link ClickEvent} v1 of one click; the emitter calls it at flush (an
 * analytics thread, for the clicks it is handed), never in `emit`. The raw IP is replaced by a visitor id and a network prefix. `method` is `HEAD`
 * for a HEAD request and `GET` for anything else (adapters record only GET and HEAD
 * redirects); a missing user agent becomes `''`, a missing or empty referer `null`. The IP
 * prefix and UTM parameters are remembered for recent addresses and query strings, so
 * events of one query share one frozen `utm` object.
 * Throws `LinkPulseError('invalid_body')` when `code` is not a non-empty string or `ts`
 * is not a finite number.
 *
 * @param ts - when the click happened: `input.ts`, or the time the emitter stamped.
 */
export function toClickEvent(
  input: ClickInput,
  ts: number,
  ulid: UlidFactory,
  visitors: VisitorHasher,
): ClickEvent {
  assertClickInput(input, ts);
  const { code, ip, referer } = input;
  const ua =
    typeof input.userAgent === 'string' && input.userAgent !== ''
      ? keptHeader(input.userAgent)
      : '';
  const address = typeof ip === 'string' ? ip : '';
  return {
    v: 1,
    id: ulid(ts),
    code,
    ts,
    visitorId: visitors.visitorId(ts, address, ua),
    ipPrefix: prefixOf(address),
    ua,
    referer: typeof referer === 'string' && referer !== '' ? keptHeader(referer) : null,
    method: input.method === 'HEAD' ? 'HEAD' : 'GET',
    utm:
      typeof input.query === 'string' && input.query.includes('utm_') ? utmOf(input.query) : null,
  };
}
