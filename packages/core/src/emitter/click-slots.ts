import type { ClickInput } from '../clicks/click-event.js';
import { sharedHeader } from '../clicks/shared-header.js';

/** Fields kept per click: code, ip, userAgent, referer, method, query. */
const FIELDS = 6;

/** A header as kept: a non-empty string as {@link sharedHeader} gives it. */
function shared(value: unknown): unknown {
  return typeof value === 'string' && value !== '' ? sharedHeader(value) : value;
}

/**
 * The emitter's buffered clicks, stored field by field in one preallocated array rather
 * than as the objects given to `emit`. Nothing of a request outlives it but the strings a
 * click needs, and its user agent and referer are the first equal strings seen rather
 * than the request's own copies: clicks wait in the buffer for several of the garbage
 * collector's young-generation passes, and keeping each request's input object and
 * headers alive made the request thread's collector three times busier under load.
 */
export class ClickSlots {
  readonly #fields: unknown[];

  /** @param capacity - how many clicks the buffer holds. */
  constructor(capacity: number) {
    this.#fields = new Array<unknown>(capacity * FIELDS).fill(undefined);
  }

  /**
   * Copies the fields of `input` into `slot`, whatever their types (the emitter checks
   * them when it takes the click). Reads every field before it writes any, so a getter
   * that throws leaves the slot as it was.
   */
  store(slot: number, input: ClickInput): void {
    const { code, ip, userAgent, referer, method, query } = input;
    const fields = this.#fields;
    const at = slot * FIELDS;
    fields[at] = code;
    fields[at + 1] = ip;
    fields[at + 2] = shared(userAgent);
    fields[at + 3] = shared(referer);
    fields[at + 4] = method;
    fields[at + 5] = query;
  }

  /** The click in `slot`, as a new input, and empties the slot. */
  take(slot: number): ClickInput {
    const fields = this.#fields;
    const at = slot * FIELDS;
    const input = {
      code: fields[at],
      ip: fields[at + 1],
      userAgent: fields[at + 2],
      referer: fields[at + 3],
      method: fields[at + 4],
      query: fields[at + 5],
    } as ClickInput;
    fields.fill(undefined, at, at + FIELDS);
    return input;
  }

  /** Empties every slot. */
  clear(): void {
    this.#fields.fill(undefined);
  }
}
