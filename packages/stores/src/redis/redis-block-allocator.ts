import { assertBlockSize, type BlockAllocator, type IdBlock } from '@linkpulse/core';
import type { RedisClient } from './client.js';

/** Options of {@link RedisBlockAllocator}. */
export interface RedisBlockAllocatorOptions {
  /** The client; it stays the caller's. */
  redis: RedisClient;
  /** The counter key (default `lp:seq`): the end of the last block handed out. */
  key?: string;
}

/**
 * A {@link BlockAllocator} on a Redis counter: INCRBY is atomic, so blocks never overlap
 * across processes and nodes. The first block starts at 0.
 */
export class RedisBlockAllocator implements BlockAllocator {
  readonly #redis: RedisClient;
  readonly #key: string;

  constructor(options: RedisBlockAllocatorOptions) {
    this.#redis = options.redis;
    this.#key = options.key ?? 'lp:seq';
  }

  /** Reserves the next `size` ids. */
  async allocate(size: number): Promise<IdBlock> {
    assertBlockSize(size);
    const end = await this.#redis.incrby(this.#key, size);
    return { start: end - size, end };
  }
}
