import {
  type BlockAllocator,
  decodeBase62,
  type IdBlock,
  isLinkPulseError,
  KeyedPermutation,
  MemoryBlockAllocator,
  SequenceCodeGenerator,
} from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const SECRET = 'sequence-test-secret';

/** An allocator that answers only when the test says so. */
class ManualAllocator implements BlockAllocator {
  calls = 0;
  #next = 0;
  readonly #waiting: {
    size: number;
    resolve: (block: IdBlock) => void;
    reject: (e: Error) => void;
  }[] = [];

  allocate(size: number): Promise<IdBlock> {
    this.calls++;
    return new Promise((resolve, reject) => this.#waiting.push({ size, resolve, reject }));
  }

  get pending(): number {
    return this.#waiting.length;
  }

  answer(): void {
    const request = this.#waiting.shift()!;
    const start = this.#next;
    this.#next += request.size;
    request.resolve({ start, end: this.#next });
  }

  fail(): void {
    this.#waiting.shift()!.reject(new Error('allocator down'));
  }
}

/** Whether `promise` settles once pending callbacks have run (without any outside event). */
async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const outcome = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return outcome !== marker;
}

async function flush(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('SequenceCodeGenerator', () => {
  it('mints 1,000,000 unique codes without any store lookup', async () => {
    let allocations = 0;
    const memory = new MemoryBlockAllocator();
    const allocator: BlockAllocator = {
      allocate(size) {
        allocations++;
        return memory.allocate(size);
      },
    };
    const generator = new SequenceCodeGenerator({ allocator, secret: SECRET });
    const total = 1_000_000;
    const codes = new Set<string>();
    let malformed = 0;
    for (let i = 0; i < total; i++) {
      const code = await generator.next();
      if (code.length !== 7) malformed++;
      codes.add(code);
    }
    expect(malformed).toBe(0);
    expect(codes.size).toBe(total);
    // 1000 blocks of 1000, plus at most the refill started for the next one.
    expect(allocations).toBeGreaterThanOrEqual(1000);
    expect(allocations).toBeLessThanOrEqual(1001);
    await generator.close();
  });

  it('encodes the permuted id, so codes decode back to the sequence', async () => {
    const generator = new SequenceCodeGenerator({
      allocator: new MemoryBlockAllocator({ start: 500 }),
      secret: SECRET,
      length: 6,
    });
    const permutation = new KeyedPermutation({ secret: SECRET, size: 62 ** 6 });
    for (let id = 500; id < 700; id++) {
      const code = await generator.next();
      expect(code).toMatch(/^[0-9A-Za-z]{6}$/);
      expect(permutation.invert(decodeBase62(code))).toBe(id);
    }
  });

  it('gives consecutive ids codes that differ in most positions', async () => {
    const generator = new SequenceCodeGenerator({
      allocator: new MemoryBlockAllocator(),
      secret: SECRET,
    });
    const codes: string[] = [];
    for (let i = 0; i < 1_000; i++) codes.push(await generator.next());
    let totalDistance = 0;
    let minDistance = 7;
    for (let i = 1; i < codes.length; i++) {
      let distance = 0;
      for (let p = 0; p < 7; p++) if (codes[i]![p] !== codes[i - 1]![p]) distance++;
      totalDistance += distance;
      minDistance = Math.min(minDistance, distance);
    }
    // Unrelated random codes differ in 7 × 61/62 ≈ 6.9 positions on average.
    expect(totalDistance / (codes.length - 1)).toBeGreaterThan(6.5);
    expect(minDistance).toBeGreaterThanOrEqual(3);
    // Sorted codes are not the generated order either.
    expect([...codes].sort()).not.toEqual(codes);
  });

  it('differs between secrets', async () => {
    const first = async (secret: string) =>
      new SequenceCodeGenerator({ allocator: new MemoryBlockAllocator(), secret }).next();
    expect(await first('one')).not.toBe(await first('two'));
    expect(await first('one')).toBe(await first('one'));
  });

  it('refills in the background, so next() does not wait in steady state', async () => {
    const allocator = new ManualAllocator();
    const generator = new SequenceCodeGenerator({
      allocator,
      secret: SECRET,
      blockSize: 10,
      refillThreshold: 0.2,
    });
    // The very first call has to wait for a block.
    const first = generator.next();
    expect(await settlesAtOnce(first)).toBe(false);
    allocator.answer();
    await first;

    const codes = new Set([await first]);
    for (let i = 0; i < 100; i++) {
      const next = generator.next();
      expect(await settlesAtOnce(next)).toBe(true);
      codes.add(await next);
      // The allocator is slow: it answers a request only after a later call went through.
      if (allocator.pending > 0 && i % 2 === 1) allocator.answer();
    }
    expect(codes.size).toBe(101);
    expect(allocator.calls).toBeLessThanOrEqual(12);
  });

  it('starts the refill when the threshold is crossed and waits only when ids run out', async () => {
    const allocator = new ManualAllocator();
    const generator = new SequenceCodeGenerator({
      allocator,
      secret: SECRET,
      blockSize: 10,
      refillThreshold: 0.2,
    });
    const first = generator.next();
    allocator.answer();
    await first;
    for (let i = 1; i < 7; i++) await generator.next();
    expect(allocator.calls).toBe(1);
    await generator.next(); // id 7 leaves 2 of 10: below the threshold
    expect(allocator.calls).toBe(2);
    await generator.next();
    await generator.next();
    expect(allocator.calls).toBe(2); // one refill at a time
    const waiting = generator.next();
    expect(await settlesAtOnce(waiting)).toBe(false);
    allocator.answer();
    expect(await waiting).toMatch(/^[0-9A-Za-z]{7}$/);
  });

  it('shares one block fetch between concurrent callers', async () => {
    const allocator = new ManualAllocator();
    const generator = new SequenceCodeGenerator({ allocator, secret: SECRET, blockSize: 10 });
    const pending = Array.from({ length: 25 }, () => generator.next());
    await flush();
    expect(allocator.calls).toBe(1);
    while (allocator.pending > 0) {
      allocator.answer();
      await flush();
    }
    const codes = await Promise.all(pending);
    expect(new Set(codes).size).toBe(25);
    expect(allocator.calls).toBeLessThanOrEqual(4);
  });

  it('retries a failed refill on a later call', async () => {
    const allocator = new ManualAllocator();
    const generator = new SequenceCodeGenerator({ allocator, secret: SECRET, blockSize: 10 });
    const first = generator.next();
    allocator.answer();
    await first;
    for (let i = 1; i < 8; i++) await generator.next();
    expect(allocator.calls).toBe(2);
    allocator.fail(); // the background refill fails...
    await flush();
    await generator.next(); // ...and the next call tries again
    expect(allocator.calls).toBe(3);
    allocator.answer();
    await flush();
    const codes = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const next = generator.next();
      expect(await settlesAtOnce(next)).toBe(true);
      codes.add(await next);
    }
    expect(codes.size).toBe(10);
  });

  it('rejects with unavailable when no id is left and the allocator fails, then recovers', async () => {
    const allocator = new ManualAllocator();
    const generator = new SequenceCodeGenerator({ allocator, secret: SECRET, blockSize: 10 });
    const failing = generator.next();
    allocator.fail();
    const error = await failing.catch((reason: unknown) => reason);
    expect(isLinkPulseError(error, 'unavailable')).toBe(true);
    const retry = generator.next();
    allocator.answer();
    expect(await retry).toMatch(/^[0-9A-Za-z]{7}$/);
  });

  it('uses every code of a small space once, then reports it used up', async () => {
    const generator = new SequenceCodeGenerator({
      allocator: new MemoryBlockAllocator(),
      secret: SECRET,
      length: 1,
      blockSize: 50,
    });
    const codes = new Set<string>();
    for (let i = 0; i < 62; i++) codes.add(await generator.next());
    expect(codes.size).toBe(62);
    const error = await generator.next().catch((reason: unknown) => reason);
    expect(isLinkPulseError(error, 'unavailable')).toBe(true);
  });

  it('refuses bad options and calls after close', async () => {
    const allocator = new MemoryBlockAllocator();
    expect(() => new SequenceCodeGenerator({ allocator, secret: SECRET, length: 9 })).toThrow(
      RangeError,
    );
    expect(() => new SequenceCodeGenerator({ allocator, secret: SECRET, blockSize: 0 })).toThrow(
      RangeError,
    );
    expect(
      () => new SequenceCodeGenerator({ allocator, secret: SECRET, refillThreshold: 2 }),
    ).toThrow(RangeError);
    const generator = new SequenceCodeGenerator({ allocator, secret: SECRET });
    await generator.next();
    await generator.close();
    await expect(generator.next()).rejects.toThrow(/closed/);
  });
});

describe('MemoryBlockAllocator', () => {
  it('hands out consecutive, disjoint blocks', async () => {
    const allocator = new MemoryBlockAllocator({ start: 5 });
    expect(await allocator.allocate(10)).toEqual({ start: 5, end: 15 });
    expect(await allocator.allocate(1)).toEqual({ start: 15, end: 16 });
    await expect(allocator.allocate(0)).rejects.toThrow(RangeError);
    await expect(allocator.allocate(1.5)).rejects.toThrow(RangeError);
    expect(await allocator.allocate(2)).toEqual({ start: 16, end: 18 });
  });
});
