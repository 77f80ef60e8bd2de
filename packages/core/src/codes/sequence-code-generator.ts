import { LinkPulseError } from '../errors.js';
import { base62Space, encodeBase62 } from './base62.js';
import type { BlockAllocator, CodeGenerator } from './code-generator.js';
import { KeyedPermutation } from './feistel.js';

/** Options of {@link SequenceCodeGenerator}. */
export interface SequenceCodeGeneratorOptions {
  /** Hands out ranges of ids; share one counter between all nodes that mint codes. */
  allocator: BlockAllocator;
  /** Key of the permutation that scrambles ids. Keep it stable and secret. */
  secret: string | Uint8Array;
  /** Characters per code, 1 to 8. Default 7. */
  length?: number;
  /** Ids fetched from the allocator at a time. Default 1000. */
  blockSize?: number;
  /**
   * Fetch the next block in the background once fewer than this fraction of the current
   * block is left. Default 0.2.
   */
  refillThreshold?: number;
}

/**
 * Codes that are unique by construction: ids come from a shared {@link BlockAllocator}
 * in blocks, each id passes through a {@link KeyedPermutation} over `[0, 62^length)` and
 * is base62-encoded. No store lookup is needed, and consecutive ids give unrelated codes.
 *
 * The next block is fetched in the background before the current one runs out, so in
 * steady state `next()` never waits on the allocator. A failed fetch is retried on a
 * later call; `next()` rejects only when no id is left at all.
 */
export class SequenceCodeGenerator implements CodeGenerator {
  readonly #allocator: BlockAllocator;
  readonly #permutation: KeyedPermutation;
  readonly #length: number;
  readonly #blockSize: number;
  readonly #refillBelow: number;
  #cursor = 0;
  #end = 0;
  #spare: { start: number; end: number } | null = null;
  #refill: Promise<void> | null = null;
  #closed = false;

  constructor(options: SequenceCodeGeneratorOptions) {
    const { allocator, secret, length = 7, blockSize = 1000, refillThreshold = 0.2 } = options;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
      throw new RangeError('blockSize must be a positive integer');
    }
    if (!(refillThreshold >= 0 && refillThreshold <= 1)) {
      throw new RangeError('refillThreshold must lie within 0..1');
    }
    this.#allocator = allocator;
    this.#length = length;
    this.#permutation = new KeyedPermutation({ secret, size: base62Space(length) });
    this.#blockSize = blockSize;
    this.#refillBelow = Math.ceil(blockSize * refillThreshold);
  }

  /** The next code; resolves at once while ids are left in the current block. */
  next(): Promise<string> {
    const id = this.#take();
    if (id !== undefined) return Promise.resolve(this.#encode(id));
    return this.#nextAfterRefill();
  }

  /** Waits for a block fetch in progress; later calls to `next()` reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#refill?.catch(() => undefined);
  }

  #encode(id: number): string {
    return encodeBase62(this.#permutation.permute(id), this.#length);
  }

  // The next id of the current (or spare) block, starting a background refill when the
  // current block runs low; `undefined` when no id is at hand.
  #take(): number | undefined {
    if (this.#closed) return undefined;
    if (this.#cursor === this.#end) {
      if (this.#spare === null) return undefined;
      this.#cursor = this.#spare.start;
      this.#end = this.#spare.end;
      this.#spare = null;
    }
    const id = this.#cursor++;
    const low = this.#end - this.#cursor <= this.#refillBelow;
    if (low && this.#spare === null && this.#refill === null) {
      this.#startRefill().catch(() => undefined); // a failure is retried on a later call
    }
    return id;
  }

  async #nextAfterRefill(): Promise<string> {
    for (;;) {
      if (this.#closed) throw new Error('SequenceCodeGenerator is closed');
      try {
        await this.#startRefill();
      } catch (error) {
        throw new LinkPulseError('unavailable', 'cannot allocate a block of ids', {
          cause: error,
        });
      }
      const id = this.#take();
      if (id !== undefined) return this.#encode(id);
    }
  }

  // One block fetch at a time; concurrent callers share it.
  #startRefill(): Promise<void> {
    this.#refill ??= this.#fetchSpare().finally(() => {
      this.#refill = null;
    });
    return this.#refill;
  }

  async #fetchSpare(): Promise<void> {
    const block = await this.#allocator.allocate(this.#blockSize);
    const end = Math.min(block.end, this.#permutation.size);
    if (!Number.isSafeInteger(block.start) || block.start < 0 || block.start >= end) {
      throw new RangeError(
        `allocator returned [${block.start}, ${block.end}): ids of ${this.#length}-character codes are used up`,
      );
    }
    this.#spare = { start: block.start, end };
  }
}
