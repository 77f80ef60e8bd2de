import type { ClickEvent, Utm } from './click-event.js';
import { MAX_HEADER_LENGTH } from './shared-header.js';
import { MAX_UTM_LENGTH } from './utm.js';

/** Crockford base32 ULID: 26 characters, the first one at most `7` (48-bit timestamp). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** Short codes: generated base62 codes and custom aliases share this alphabet. */
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_VISITOR_ID = 128;
const MAX_IP_PREFIX = 64;
const UTM_KEYS: ReadonlySet<string> = new Set(['source', 'medium', 'campaign', 'term', 'content']);

/** Whether `value` is a plain object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` when it is a string of at most `max` characters; else throws, naming `key`. */
function string(value: unknown, key: string, max: number): string {
  if (typeof value !== 'string') {
    throw new Error(value === undefined ? `${key} is missing` : `${key} must be a string`);
  }
  if (value.length > max) throw new Error(`${key} longer than ${max} characters`);
  return value;
}

function nullableString(value: unknown, key: string, max: number): string | null {
  return value === null ? null : string(value, key, max);
}

function matching(value: unknown, key: string, pattern: RegExp): string {
  if (!pattern.test(string(value, key, MAX_HEADER_LENGTH))) throw new Error(`${key} is malformed`);
  return value as string;
}

/**
 * The checks of ClickEvent v1, one per field: each returns the field's value when it is
 * valid (a copy for `utm`, without `undefined` entries) and throws an `Error` saying what
 * is wrong otherwise. `decodeClickEvent` runs them on every record; the analytics thread's
 * batch unpacking runs them once per distinct value of a batch.
 */
export const V1_FIELDS = {
  id: (value: unknown): string => matching(value, 'id', ULID),
  code: (value: unknown): string => matching(value, 'code', CODE),
  ts: (value: unknown): number => {
    if (value === undefined) throw new Error('ts is missing');
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error('ts must be a finite, non-negative number');
    }
    return value;
  },
  visitorId: (value: unknown): string => {
    const visitorId = string(value, 'visitorId', MAX_VISITOR_ID);
    if (visitorId.length === 0) throw new Error('visitorId is empty');
    return visitorId;
  },
  ipPrefix: (value: unknown): string | null => nullableString(value, 'ipPrefix', MAX_IP_PREFIX),
  ua: (value: unknown): string => string(value, 'ua', MAX_HEADER_LENGTH),
  referer: (value: unknown): string | null => nullableString(value, 'referer', MAX_HEADER_LENGTH),
  method: (value: unknown): ClickEvent['method'] => {
    if (value !== 'GET' && value !== 'HEAD') throw new Error('method must be GET or HEAD');
    return value;
  },
  utm: (value: unknown): Utm | null => {
    if (value === null) return null;
    if (!isRecord(value)) throw new Error('utm must be an object or null');
    const result: Utm = {};
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (!UTM_KEYS.has(key)) throw new Error(`unknown utm field ${key}`);
      const entry = value[key];
      if (entry === undefined) continue;
      result[key as keyof Utm] = string(entry, key, MAX_UTM_LENGTH);
    }
    return result;
  },
};

/**
 * A ClickEvent v1 whose fields were checked with {@link V1_FIELDS}, so that
 * `decodeClickEvent` passes it through as it is. Built only where every field was checked
 * (the analytics thread's batch unpacking); not exported from the package.
 */
export class CheckedClickEvent implements ClickEvent {
  readonly v: 1;
  readonly id: string;
  readonly code: string;
  readonly ts: number;
  readonly visitorId: string;
  readonly ipPrefix: string | null;
  readonly ua: string;
  readonly referer: string | null;
  readonly method: ClickEvent['method'];
  readonly utm: Utm | null;

  /** Takes the fields as they are: the caller has checked each of them. */
  constructor(fields: Omit<ClickEvent, 'v'>) {
    this.v = 1;
    this.id = fields.id;
    this.code = fields.code;
    this.ts = fields.ts;
    this.visitorId = fields.visitorId;
    this.ipPrefix = fields.ipPrefix;
    this.ua = fields.ua;
    this.referer = fields.referer;
    this.method = fields.method;
    this.utm = fields.utm;
  }
}
