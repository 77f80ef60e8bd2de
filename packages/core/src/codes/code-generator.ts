/**
 * Hands out candidate short codes. The shortener inserts each through the store's
 * atomic `create` and asks again on a conflict, so a generator never needs a lookup.
 */
export interface CodeGenerator {
  /** The next candidate code. */
  next(): Promise<string>;
  /** Stops background work (block refills). */
  close?(): Promise<void>;
}

/** A range of ids `[start, end)` handed out by a {@link BlockAllocator}. */
export interface IdBlock {
  start: number;
  end: number;
}

/**
 * A shared counter that hands out disjoint ranges of ids, so many nodes can mint
 * sequence codes without coordinating per code (memory, SQLite and Redis drivers).
 */
export interface BlockAllocator {
  /** Reserves the next `size` ids. Never returns overlapping blocks, across processes. */
  allocate(size: number): Promise<IdBlock>;
}
