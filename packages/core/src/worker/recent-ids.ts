/**
 * Remembers recently seen ids in two generations of `Set`s: at least the last `window` ids,
 * at most twice that. Cheaper per id than an LRU (no recency bookkeeping on lookups), which
 * matters on the worker's per-click path.
 */
export class RecentIds {
  readonly #window: number;
  #current = new Set<string>();
  #previous = new Set<string>();

  constructor(window: number) {
    this.#window = window;
  }

  /** Whether `id` was added within the remembered window. */
  has(id: string): boolean {
    return this.#current.has(id) || this.#previous.has(id);
  }

  /** Remembers `id`; the older generation is forgotten once the newer one is full. */
  add(id: string): void {
    if (this.#current.size >= this.#window) {
      this.#previous = this.#current;
      this.#current = new Set();
    }
    this.#current.add(id);
  }
}
