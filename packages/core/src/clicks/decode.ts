import { recordToObject } from '../transport/record.js';
import type { ClickEvent, Utm } from './click-event.js';
import { MAX_HEADER_LENGTH } from './to-click-event.js';
import { MAX_UTM_LENGTH } from './utm.js';

/** Outcome of {@link decodeClickEvent}: the event, or why the record cannot be used. */
export type DecodeResult = { ok: true; event: ClickEvent } | { ok: false; reason: string };

/** Crockford base32 ULID: 26 characters, the first one at most `7` (48-bit timestamp). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** Short codes: generated base62 codes and custom aliases share this alphabet. */
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_VISITOR_ID = 128;
const MAX_IP_PREFIX = 64;
const UTM_KEYS: ReadonlySet<string> = new Set(['source', 'medium', 'campaign', 'term', 'content']);
const EVENT_KEYS: ReadonlySet<string> = new Set([
  'v',
  'id',
  'code',
  'ts',
  'visitorId',
  'ipPrefix',
  'ua',
  'referer',
  'method',
  'utm',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The record as a plain object: objects pass, JSON text (string or bytes) is parsed. */
function toObject(record: unknown): Record<string, unknown> {
  const value = recordToObject(record);
  if (!isRecord(value)) throw new Error('not an object');
  return value;
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

function utm(value: unknown): Utm | null {
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
}

/** Throws for the first own field that is not part of v1. */
function rejectUnknownFields(obj: Record<string, unknown>): void {
  // `for…in` walks the object's cached keys without allocating an array; it also visits
  // inherited enumerable keys, which `Object.hasOwn` skips.
  for (const key in obj) {
    if (!EVENT_KEYS.has(key) && Object.hasOwn(obj, key)) throw new Error(`unknown field ${key}`);
  }
}

// Properties are read by name, once each: one inline cache per field keeps this fast (the
// worker decodes every click), where `obj[key]` with a variable key would not be.
function decodeV1(obj: Record<string, unknown>): ClickEvent {
  rejectUnknownFields(obj);
  const ts = obj.ts;
  if (ts === undefined) throw new Error('ts is missing');
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
    throw new Error('ts must be a finite, non-negative number');
  }
  const method = obj.method;
  if (method !== 'GET' && method !== 'HEAD') throw new Error('method must be GET or HEAD');
  const visitorId = string(obj.visitorId, 'visitorId', MAX_VISITOR_ID);
  if (visitorId.length === 0) throw new Error('visitorId is empty');
  return {
    v: 1,
    id: matching(obj.id, 'id', ULID),
    code: matching(obj.code, 'code', CODE),
    ts,
    visitorId,
    ipPrefix: nullableString(obj.ipPrefix, 'ipPrefix', MAX_IP_PREFIX),
    ua: string(obj.ua, 'ua', MAX_HEADER_LENGTH),
    referer: nullableString(obj.referer, 'referer', MAX_HEADER_LENGTH),
    method,
    utm: utm(obj.utm),
  };
}

/**
 * Decodes and validates one record as it came off a transport (an object, or JSON text
 * as a string or bytes) into a {@link ClickEvent}. Strict: every v1 field must be present
 * with its type and within its length limit, and unknown fields or versions are rejected,
 * so the worker can dead-letter what it does not understand instead of guessing.
 * Never throws.
 */
export function decodeClickEvent(record: unknown): DecodeResult {
  try {
    const obj = toObject(record);
    if (obj.v !== 1) {
      const version = typeof obj.v === 'number' || typeof obj.v === 'string' ? obj.v : 'missing';
      return { ok: false, reason: `unsupported version ${String(version).slice(0, 32)}` };
    }
    return { ok: true, event: decodeV1(obj) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
