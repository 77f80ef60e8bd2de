import type { BlockAllocator, IdBlock } from './code-generator.js';

/**
 * Checks the `size` passed to {@link BlockAllocator.allocate}: a positive safe integer.
 * Every allocator driver calls it.
 *
 * @throws RangeError otherwise.
 */
export function assertBlockSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`block size must be a positive integer, got ${size}`);
  }
}

/** Options of {@link MemoryBlockAllocator}. */
export interface MemoryBlockAllocatorOptions {
  /** First id handed out. Default 0. */
  start?: number;
}

/** A {@link BlockAllocator} for one process: a counter in memory. */
export class MemoryBlockAllocator implements BlockAllocator {
  #next: number;

  constructor(options: MemoryBlockAllocatorOptions = {}) {
    const { start = 0 } = options;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError('start must be a non-negative integer');
    }
    this.#next = start;
  }

  /** Reserves the next `size` ids. */
  async allocate(size: number): Promise<IdBlock> {
    assertBlockSize(size);
    const start = this.#next;
    this.#next += size;
    return { start, end: this.#next };
  }
}
