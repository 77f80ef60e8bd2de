import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteCoalescer } from '../src/worker/write-coalescer.js';

/** A coalescer whose flushes are recorded and held until `release()`d, one by one. */
function heldCoalescer(maxUnits: number, lingerMs = 0, readyItems?: number) {
  const flushes: string[][] = [];
  const releases: Array<(error?: Error) => void> = [];
  const coalescer = new WriteCoalescer<string>(
    (items) => {
      flushes.push(items);
      return new Promise<void>((resolve, reject) => {
        releases.push((error) => (error ? reject(error) : resolve()));
      });
    },
    { maxUnits, lingerMs, ...(readyItems === undefined ? {} : { readyItems }) },
  );
  /** Settles the oldest unsettled flush. */
  const release = (error?: Error) => releases.shift()!(error);
  return { coalescer, flushes, release };
}

/** Records when each promise settles, and how. */
function track(promises: Record<string, Promise<void>>) {
  const settled: string[] = [];
  for (const [name, promise] of Object.entries(promises)) {
    promise.then(
      () => settled.push(`${name} ok`),
      (error: Error) => settled.push(`${name} ${error.message}`),
    );
  }
  return settled;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('WriteCoalescer', () => {
  it('flushes items handed in together at once, and items that come during a flush next', async () => {
    vi.useFakeTimers();
    const { coalescer, flushes, release } = heldCoalescer(100);
    const settled = track({ a: coalescer.add('a', 1), b: coalescer.add('b', 2) });
    expect(flushes).toEqual([]);
    await vi.advanceTimersToNextTimerAsync();
    expect(flushes).toEqual([['a', 'b']]);

    const more = track({ c: coalescer.add('c', 1), d: coalescer.add('d', 1) });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(flushes).toHaveLength(1); // one flush at a time
    expect(settled).toEqual([]);
    release();
    await vi.advanceTimersToNextTimerAsync();
    expect(settled).toEqual(['a ok', 'b ok']);
    expect(flushes).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(more).toEqual([]);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(more).toEqual(['c ok', 'd ok']);
  });

  it('keeps flushes within maxUnits, flushes a bigger item alone, and starts once maxUnits wait', async () => {
    vi.useFakeTimers();
    const { coalescer, flushes, release } = heldCoalescer(10, 1_000);
    coalescer.add('a', 4);
    coalescer.add('b', 4);
    expect(flushes).toEqual([]);
    coalescer.add('c', 4); // 12 waiting: no need to linger
    expect(flushes).toEqual([['a', 'b']]);
    coalescer.add('huge', 25);
    coalescer.add('d', 1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(flushes).toEqual([['a', 'b'], ['c']]); // `huge` does not fit next to `c`
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(flushes.at(-1)).toEqual(['huge']);
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(flushes).toHaveLength(3); // `d` alone lingers
    await vi.advanceTimersByTimeAsync(1);
    expect(flushes.at(-1)).toEqual(['d']);
  });

  it('lingers after the first item, and again after each flush, for more to join', async () => {
    vi.useFakeTimers();
    const { coalescer, flushes, release } = heldCoalescer(100, 50);
    coalescer.add('a', 1);
    await vi.advanceTimersByTimeAsync(30);
    coalescer.add('b', 1);
    await vi.advanceTimersByTimeAsync(19);
    expect(flushes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(flushes).toEqual([['a', 'b']]);
    coalescer.add('c', 1); // waits for the flush, then lingers
    await vi.advanceTimersByTimeAsync(200);
    release();
    await vi.advanceTimersByTimeAsync(40);
    coalescer.add('d', 1);
    await vi.advanceTimersByTimeAsync(9);
    expect(flushes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(flushes).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('starts without lingering once readyItems wait, and lingers for fewer', async () => {
    vi.useFakeTimers();
    const { coalescer, flushes, release } = heldCoalescer(100, 1_000, 3);
    coalescer.add('a', 1);
    coalescer.add('b', 1);
    expect(flushes).toEqual([]);
    coalescer.add('c', 1);
    expect(flushes).toEqual([['a', 'b', 'c']]);
    coalescer.add('d', 1);
    coalescer.add('e', 1);
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(flushes).toHaveLength(1); // two waiting: the linger runs
    await vi.advanceTimersByTimeAsync(1);
    expect(flushes.at(-1)).toEqual(['d', 'e']);
  });

  it('rejects every item of a failed flush and goes on with the next', async () => {
    vi.useFakeTimers();
    const { coalescer, flushes, release } = heldCoalescer(100);
    const settled = track({ a: coalescer.add('a', 1), b: coalescer.add('b', 1) });
    await vi.advanceTimersToNextTimerAsync();
    const later = track({ c: coalescer.add('c', 1) });
    release(new Error('sink down'));
    await vi.advanceTimersToNextTimerAsync();
    expect(settled).toEqual(['a sink down', 'b sink down']);
    expect(flushes).toEqual([['a', 'b'], ['c']]);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(later).toEqual(['c ok']);
  });
});
