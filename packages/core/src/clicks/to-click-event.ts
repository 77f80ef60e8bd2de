import { LinkPulseError } from '../errors.js';
import type { ClickEvent, ClickInput } from './click-event.js';
import type { UlidFactory } from './ulid.js';
import { parseUtm } from './utm.js';
import { ipPrefix, type VisitorHasher } from './visitor.js';

/** Longest `User-Agent` and `Referer` kept in a {@link ClickEvent}; longer ones are cut. */
export const MAX_HEADER_LENGTH = 1024;

/**
 * Builds the {@link ClickEvent} v1 of one click; the emitter calls it at flush, never in
 * `emit`. The raw IP is replaced by a visitor id and a network prefix. `method` is `HEAD`
 * for a HEAD request and `GET` for anything else (adapters record only GET and HEAD
 * redirects); a missing user agent becomes `''`, a missing or empty referer `null`.
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
  const { code, ip, referer } = input;
  if (typeof code !== 'string' || code === '' || !Number.isFinite(ts)) {
    throw new LinkPulseError('invalid_body', 'a click needs a code and a finite timestamp');
  }
  const ua = typeof input.userAgent === 'string' ? input.userAgent.slice(0, MAX_HEADER_LENGTH) : '';
  const address = typeof ip === 'string' ? ip : '';
  return {
    v: 1,
    id: ulid(ts),
    code,
    ts,
    visitorId: visitors.visitorId(ts, address, ua),
    ipPrefix: ipPrefix(address),
    ua,
    referer:
      typeof referer === 'string' && referer !== '' ? referer.slice(0, MAX_HEADER_LENGTH) : null,
    method: input.method === 'HEAD' ? 'HEAD' : 'GET',
    utm: parseUtm(input.query),
  };
}
