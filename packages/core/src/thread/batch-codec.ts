import type { ClickEvent, Utm } from '../clicks/click-event.js';
import { CheckedClickEvent, V1_FIELDS } from '../clicks/v1-fields.js';

/**
 * A batch of click events packed for `postMessage`. Field values repeat across the clicks
 * of a batch (user agents, referers, codes, a visitor's id and network), so each distinct
 * one is sent once, in a table, and every event refers to the table by index; the ids,
 * unique per click, are sent apart. Sending costs the main thread a map lookup per field
 * instead of copying every string, and the analytics thread checks and builds each
 * distinct value once per batch instead of once per click.
 */
export interface PackedBatch extends StringTable {
  /** The distinct values of the batch (utm as JSON), concatenated without separators. */
  table: string;
  /** The ids of the events, concatenated. */
  ids: string;
  /**
   * Per event, the length of its id, then the table index of its code, visitorId, ua,
   * method, ipPrefix, referer and utm; -1 for `null`.
   */
  refs: Int32Array<ArrayBuffer>;
  /** The `ts` of every event. */
  ts: Float64Array<ArrayBuffer>;
}

/** Numbers per event in {@link PackedBatch.refs}. */
const REFS = 8;
/** The table-indexed fields, in the order of {@link PackedBatch.refs} after the id. */
const FIELDS = ['code', 'visitorId', 'ua', 'method', 'ipPrefix', 'referer', 'utm'] as const;
type Field = (typeof FIELDS)[number];
/** Fields that may be `null` (index -1). */
const NULLABLE: ReadonlySet<Field> = new Set(['ipPrefix', 'referer', 'utm']);

/** A table of distinct strings as it crosses threads: concatenated, with their lengths. */
export interface StringTable {
  /** The values, concatenated without separators. */
  table: string;
  /** The length of each value in `table`, in order. */
  tableLengths: Int32Array<ArrayBuffer>;
}

/** `values` as a {@link StringTable}. */
export function joinTable(values: readonly string[]): StringTable {
  const tableLengths = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) tableLengths[i] = values[i]!.length;
  return { table: values.join(''), tableLengths };
}

/** The values of a {@link StringTable}, in order. */
export function splitTable({ table, tableLengths }: StringTable): string[] {
  const values: string[] = new Array(tableLengths.length);
  let at = 0;
  for (let i = 0; i < tableLengths.length; i++) {
    values[i] = table.slice(at, at + tableLengths[i]!);
    at += tableLengths[i]!;
  }
  return values;
}

/** The distinct values of a batch being packed, by value (strings) or identity (utm). */
export class ValueTable {
  readonly values: string[] = [];
  readonly #strings = new Map<string, number>();
  readonly #utms = new Map<Utm, number>();

  /** The table index of `value`, added when new; -1 for `null`. */
  string(value: string | null): number {
    if (value === null) return -1;
    let index = this.#strings.get(value);
    if (index === undefined) {
      index = this.values.push(value) - 1;
      this.#strings.set(value, index);
    }
    return index;
  }

  /** A utm object as JSON, once per object (the emitter reuses the object of a query). */
  utm(value: Utm | null): number {
    if (value === null) return -1;
    let index = this.#utms.get(value);
    if (index === undefined) {
      index = this.string(JSON.stringify(value));
      this.#utms.set(value, index);
    }
    return index;
  }
}

/** Whether `event` has the types of a v1 event, so that {@link packBatch} can pack it. */
function packable(event: ClickEvent): boolean {
  const { ipPrefix, referer, utm } = event;
  return (
    event.v === 1 &&
    typeof event.id === 'string' &&
    typeof event.code === 'string' &&
    typeof event.ts === 'number' &&
    typeof event.visitorId === 'string' &&
    typeof event.ua === 'string' &&
    typeof event.method === 'string' &&
    (ipPrefix === null || typeof ipPrefix === 'string') &&
    (referer === null || typeof referer === 'string') &&
    typeof utm === 'object'
  );
}

/**
 * Packs `batch`, or returns `undefined` when some event is not a well-formed v1 event
 * (a string field that is not a string, a version other than 1): such a batch is posted
 * as it is, for the worker to dead-letter what it cannot decode.
 */
export function packBatch(batch: readonly ClickEvent[]): PackedBatch | undefined {
  const count = batch.length;
  const refs = new Int32Array(count * REFS);
  const ts = new Float64Array(count);
  const ids: string[] = new Array(count);
  const table = new ValueTable();
  let k = 0;
  for (let i = 0; i < count; i++) {
    const event = batch[i]!;
    if (!packable(event)) return undefined;
    ts[i] = event.ts;
    ids[i] = event.id;
    refs[k++] = event.id.length;
    refs[k++] = table.string(event.code);
    refs[k++] = table.string(event.visitorId);
    refs[k++] = table.string(event.ua);
    refs[k++] = table.string(event.method);
    refs[k++] = table.string(event.ipPrefix);
    refs[k++] = table.string(event.referer);
    refs[k++] = table.utm(event.utm);
  }
  return { ...joinTable(table.values), ids: ids.join(''), refs, ts };
}

/** The buffers of `packed` that `postMessage` can transfer rather than copy. */
export function transferables(packed: PackedBatch): ArrayBuffer[] {
  return [packed.tableLengths.buffer, packed.refs.buffer, packed.ts.buffer];
}

/** Marks a table value that failed the check of the field it was used as. */
const INVALID: unique symbol = Symbol('invalid');

/**
 * The table of a batch being unpacked: each value, and per field what the value is once
 * checked as that field (`utm` parsed), computed at its first use.
 */
class UnpackedTable {
  readonly #texts: string[];
  /** Per field of {@link FIELDS}, by table index: the checked value, once known. */
  readonly #checked: unknown[][] = FIELDS.map(() => []);

  constructor(table: StringTable) {
    this.#texts = splitTable(table);
  }

  /** The value at `index` as given (utm as parsed JSON); `null` for -1. */
  raw(field: Field, index: number): unknown {
    if (index < 0) return null;
    const text = this.#texts[index]!;
    return field === 'utm' ? JSON.parse(text) : text;
  }

  /** The value at `index` checked as field number `f` of {@link FIELDS}, or {@link INVALID}. */
  checked(f: number, index: number): unknown {
    const field = FIELDS[f]!;
    if (index < 0) return NULLABLE.has(field) ? null : INVALID;
    if (index >= this.#texts.length) return INVALID;
    const checked = this.#checked[f]!;
    let value = checked[index];
    if (value === undefined) {
      try {
        value = V1_FIELDS[field](this.raw(field, index));
      } catch {
        value = INVALID;
      }
      checked[index] = value;
    }
    return value;
  }
}

/**
 * The events of a {@link PackedBatch}, as {@link packBatch} was given them. Every field is
 * checked as `decodeClickEvent` checks it (each distinct value once); an event whose fields
 * all pass comes as a checked event that the worker's decoding passes through, any other
 * as a plain object for the worker to dead-letter with the reason.
 */
export function unpackBatch(packed: PackedBatch): ClickEvent[] {
  const { ids, refs, ts } = packed;
  const table = new UnpackedTable(packed);
  const events: ClickEvent[] = new Array(ts.length);
  let at = 0;
  for (let i = 0, k = 0; i < ts.length; i++, k += REFS) {
    const id = ids.slice(at, at + refs[k]!);
    at += refs[k]!;
    const code = table.checked(0, refs[k + 1]!);
    const visitorId = table.checked(1, refs[k + 2]!);
    const ua = table.checked(2, refs[k + 3]!);
    const method = table.checked(3, refs[k + 4]!);
    const ipPrefix = table.checked(4, refs[k + 5]!);
    const referer = table.checked(5, refs[k + 6]!);
    const utm = table.checked(6, refs[k + 7]!);
    const time = ts[i]!;
    if (
      code === INVALID ||
      visitorId === INVALID ||
      ua === INVALID ||
      method === INVALID ||
      ipPrefix === INVALID ||
      referer === INVALID ||
      utm === INVALID ||
      !passes(V1_FIELDS.id, id) ||
      !passes(V1_FIELDS.ts, time)
    ) {
      events[i] = uncheckedEvent(table, refs, k, id, time);
      continue;
    }
    events[i] = new CheckedClickEvent({
      id,
      code: code as string,
      ts: time,
      visitorId: visitorId as string,
      ipPrefix: ipPrefix as string | null,
      ua: ua as string,
      referer: referer as string | null,
      method: method as ClickEvent['method'],
      utm: utm as Utm | null,
    });
  }
  return events;
}

/** Whether `value` passes `check` (one of {@link V1_FIELDS}). */
export function passes(check: (value: unknown) => unknown, value: unknown): boolean {
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
}

/** The event at `k` of `refs` as it was packed, unchecked. */
function uncheckedEvent(
  table: UnpackedTable,
  refs: Int32Array,
  k: number,
  id: string,
  ts: number,
): ClickEvent {
  return {
    v: 1,
    id,
    code: table.raw('code', refs[k + 1]!),
    ts,
    visitorId: table.raw('visitorId', refs[k + 2]!),
    ipPrefix: table.raw('ipPrefix', refs[k + 5]!),
    ua: table.raw('ua', refs[k + 3]!),
    referer: table.raw('referer', refs[k + 6]!),
    method: table.raw('method', refs[k + 4]!),
    utm: table.raw('utm', refs[k + 7]!),
  } as ClickEvent;
}
