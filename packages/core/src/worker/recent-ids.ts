/**
 * Remembers recently seen ids in two generations of `Set`s: at least the last `window` ids,
 * at most twice that. Cheaper per id than an LRU (no recency bookkeeping on lookups), which
 * matters on the worker's per-click path. Each generation keeps an upper bound of its ids:
 * an id above it is not looked up there, which spares most lookups of new ids, as ids (ULIDs)
 * grow with time.
 */
export class RecentIds {
  readonly #window: number;
  #current = new Set<string>();
  #previous = new Set<string>();
  /** No id of `#current` is greater ('' before the first one). */
  #currentMax = '';
  /** No id of `#previous` is greater. */
  #previousMax = '';

  /** @param window - ids remembered at least; `Infinity` remembers every id. */
  constructor(window: number) {
    this.#window = window;
  }

  /** Whether `id` was added within the remembered window. */
  has(id: string): boolean {
    return (
      (id <= this.#currentMax && this.#current.has(id)) ||
      (id <= this.#previousMax && this.#previous.has(id))
    );
  }

  /**
   * Remembers `id` unless it is remembered already, and says whether it was new; the older
   * generation is forgotten once the newer one is full.
   */
  add(id: string): boolean {
    if (this.has(id)) return false;
    if (this.#current.size >= this.#window) {
      this.#previous = this.#current;
      this.#previousMax = this.#currentMax;
      this.#current = new Set();
      this.#currentMax = '';
    }
    this.#current.add(id);
    if (id > this.#currentMax) this.#currentMax = id;
    return true;
  }

  /** Forgets `id` (to take back an {@link RecentIds.add} whose write failed). */
  delete(id: string): void {
    this.#current.delete(id);
    this.#previous.delete(id);
  }
}
