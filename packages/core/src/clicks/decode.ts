import { recordToObject } from '../transport/record.js';
import type { ClickEvent } from './click-event.js';
import { CheckedClickEvent, isRecord, V1_FIELDS } from './v1-fields.js';

/** Outcome of {@link decodeClickEvent}: the event, or why the record cannot be used. */
export type DecodeResult = { ok: true; event: ClickEvent } | { ok: false; reason: string };

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

/** The record as a plain object: objects pass, JSON text (string or bytes) is parsed. */
function toObject(record: unknown): Record<string, unknown> {
  const value = recordToObject(record);
  if (!isRecord(value)) throw new Error('not an object');
  return value;
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
  const ts = V1_FIELDS.ts(obj.ts);
  const method = V1_FIELDS.method(obj.method);
  const visitorId = V1_FIELDS.visitorId(obj.visitorId);
  return {
    v: 1,
    id: V1_FIELDS.id(obj.id),
    code: V1_FIELDS.code(obj.code),
    ts,
    visitorId,
    ipPrefix: V1_FIELDS.ipPrefix(obj.ipPrefix),
    ua: V1_FIELDS.ua(obj.ua),
    referer: V1_FIELDS.referer(obj.referer),
    method,
    utm: V1_FIELDS.utm(obj.utm),
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
  // Checked already, field by field (events unpacked by the analytics thread).
  if (record instanceof CheckedClickEvent) return { ok: true, event: record };
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
