import type { ClickEvent, ClickInput } from '../clicks/click-event.js';
import { toClickEvent } from '../clicks/to-click-event.js';
import { createUlid } from '../clicks/ulid.js';
import { CheckedClickEvent, V1_FIELDS } from '../clicks/v1-fields.js';
import { VisitorHasher } from '../clicks/visitor.js';
import type { EmittedClicks } from '../transport/transport.js';
import { joinTable, passes, type StringTable, splitTable, ValueTable } from './batch-codec.js';

/**
 * Clicks as emitted, packed for `postMessage` the way {@link PackedBatch} packs events:
 * each distinct field value once in a table, every click as indexes into it.
 */
export interface PackedClicks extends StringTable {
  /**
   * Per click, the table index of its code, ip, userAgent, referer and query (-1 where the
   * click has no string there), then 1 for a `HEAD` click and 0 for anything else.
   */
  refs: Int32Array<ArrayBuffer>;
  /** When each click happened. */
  times: Float64Array<ArrayBuffer>;
}

/** Numbers per click in {@link PackedClicks.refs}. */
const REFS = 6;
function stringIndex(table: ValueTable, value: unknown): number {
  return typeof value === 'string' ? table.string(value) : -1;
}

/**
 * Packs `batch` (clicks the emitter checked) for the analytics thread. The emitter keeps
 * one string per distinct user agent and referer, so the table hashes each once.
 */
export function packClicks(batch: EmittedClicks): PackedClicks {
  const { clicks } = batch;
  const refs = new Int32Array(clicks.length * REFS);
  const table = new ValueTable();
  for (let i = 0, k = 0; i < clicks.length; i++) {
    const click = clicks[i]!;
    refs[k++] = stringIndex(table, click.code);
    refs[k++] = stringIndex(table, click.ip);
    refs[k++] = stringIndex(table, click.userAgent);
    refs[k++] = stringIndex(table, click.referer);
    refs[k++] = stringIndex(table, click.query);
    refs[k++] = click.method === 'HEAD' ? 1 : 0;
  }
  return { ...joinTable(table.values), refs, times: new Float64Array(batch.times) };
}

/** The buffers of `packed` that `postMessage` can transfer rather than copy. */
export function clickTransferables(packed: PackedClicks): ArrayBuffer[] {
  return [packed.tableLengths.buffer, packed.refs.buffer, packed.times.buffer];
}

/**
 * Builds the events of packed clicks on the analytics thread, as the emitter builds them
 * ({@link toClickEvent}: ids, visitor ids keyed by the emitter's secret, network prefixes,
 * UTM). Every field of such an event is valid by construction except the code, which the
 * app gave, and a negative time: an event whose code (checked once per distinct code) and
 * time pass comes checked, so the worker skips decoding it; any other comes plain, for the
 * worker to dead-letter with the reason.
 */
export class ClickEventBuilder {
  readonly #ulid = createUlid();
  readonly #visitors: VisitorHasher;

  /** @param secret - the emitter's visitor-id key. */
  constructor(secret: string | Uint8Array) {
    this.#visitors = new VisitorHasher(secret);
  }

  /**
   * The events of `packed`, in order. A click without a code or a finite time (which the
   * emitter never sends) comes as it is, with its time, for the worker to dead-letter.
   */
  build(packed: PackedClicks): ClickEvent[] {
    const { refs, times } = packed;
    const values = splitTable(packed);
    const valueAt = (index: number): string | undefined => (index < 0 ? undefined : values[index]);
    const codeChecked = new Map<number, boolean>();
    const events: ClickEvent[] = new Array(times.length);
    for (let i = 0, k = 0; i < times.length; i++, k += REFS) {
      const input: ClickInput = {
        code: valueAt(refs[k]!)!,
        ip: valueAt(refs[k + 1]!)!,
        userAgent: valueAt(refs[k + 2]!),
        referer: valueAt(refs[k + 3]!),
        query: valueAt(refs[k + 4]!),
        method: refs[k + 5] === 1 ? 'HEAD' : 'GET',
      };
      const ts = times[i]!;
      let event: ClickEvent;
      try {
        event = toClickEvent(input, ts, this.#ulid, this.#visitors);
      } catch {
        events[i] = { ...input, ts } as unknown as ClickEvent;
        continue;
      }
      let validCode = codeChecked.get(refs[k]!);
      if (validCode === undefined) {
        validCode = passes(V1_FIELDS.code, event.code);
        codeChecked.set(refs[k]!, validCode);
      }
      events[i] = validCode && passes(V1_FIELDS.ts, ts) ? new CheckedClickEvent(event) : event;
    }
    return events;
  }
}
