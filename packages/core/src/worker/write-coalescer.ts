/** Limits of a {@link WriteCoalescer}. */
export interface CoalescerLimits {
  /** Most units in one flush; a single item bigger than this is flushed alone. */
  maxUnits: number;
  /** Milliseconds the first item waits for others when no flush runs (0: the next turn). */
  lingerMs: number;
  /** Waiting items that start a flush at once, without lingering (no more can come). */
  readyItems?: number;
}

interface Pending<T> {
  item: T;
  units: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Merges items handed in at about the same time into one flush, one flush at a time (a
 * group commit). A flush starts `lingerMs` after the first waiting item arrived or the
 * previous flush ended, whichever is later (0: on the event loop's next turn, so that
 * items handed in together go together), or at once when `maxUnits` or `readyItems` items
 * are waiting. Items that arrive while a flush runs wait for the next one. Each item's
 * promise settles with the flush that took it.
 */
export class WriteCoalescer<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #limits: CoalescerLimits;
  #pending: Pending<T>[] = [];
  #pendingUnits = 0;
  #flushing = false;
  #timer: { cancel(): void } | undefined;

  constructor(flush: (items: T[]) => Promise<void>, limits: CoalescerLimits) {
    this.#flush = flush;
    this.#limits = limits;
  }

  /** Queues `item`, worth `units`; settles once the flush that took it did. */
  add(item: T, units: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, units, resolve, reject });
      this.#pendingUnits += units;
      this.#next();
    });
  }

  /** Starts a flush when `maxUnits` or `readyItems` are waiting, else makes sure one is scheduled. */
  #next(): void {
    if (this.#flushing || this.#pending.length === 0) return;
    const { maxUnits, readyItems = Number.POSITIVE_INFINITY } = this.#limits;
    if (this.#pendingUnits >= maxUnits || this.#pending.length >= readyItems) this.#start();
    else this.#timer ??= this.#schedule();
  }

  #schedule(): { cancel(): void } {
    const start = () => this.#start();
    if (this.#limits.lingerMs > 0) {
      const timer = setTimeout(start, this.#limits.lingerMs);
      return { cancel: () => clearTimeout(timer) };
    }
    const immediate = setImmediate(start);
    return { cancel: () => clearImmediate(immediate) };
  }

  /** Flushes the oldest waiting items, up to `maxUnits` (at least one). */
  #start(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    let units = 0;
    let count = 0;
    for (const { units: next } of this.#pending) {
      if (count > 0 && units + next > this.#limits.maxUnits) break;
      units += next;
      count += 1;
    }
    if (count === 0) return;
    const taken = this.#pending.splice(0, count);
    this.#pendingUnits -= units;
    this.#flushing = true;
    this.#flush(taken.map((pending) => pending.item)).then(
      () => this.#settled(taken, (pending) => pending.resolve()),
      (error: unknown) => this.#settled(taken, (pending) => pending.reject(error)),
    );
  }

  #settled(taken: Pending<T>[], settle: (pending: Pending<T>) => void): void {
    this.#flushing = false;
    for (const pending of taken) settle(pending);
    this.#next();
  }
}
