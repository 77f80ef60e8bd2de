import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AheadLedger, type PartitionCommit } from '../src/kafka/ahead-ledger.js';
import { deferred } from './kafka-helpers.js';

const SINK_DOWN = new Error('sink down (expected by the test)');

function ledger(limit = 10) {
  const commits: PartitionCommit[][] = [];
  const failed: Array<[number, string]> = [];
  const handled: Array<[number, string]> = [];
  const books = new AheadLedger({
    limit,
    commit: async (offsets) => {
      commits.push(offsets);
    },
    onFailed: (partition, first) => failed.push([partition, first]),
    onHandled: (partition, _first, last) => handled.push([partition, last]),
  });
  /** Books a batch of offsets first..last on `partition`; returns its handling. */
  const add = (partition: number, first: number, last: number) => {
    const handling = deferred();
    books.add(
      partition,
      { first: String(first), last: String(last), records: 1 },
      handling.promise,
    );
    return handling;
  };
  return { books, commits, failed, handled, add };
}

describe('AheadLedger', () => {
  it('commits a partition only up to its oldest batch still in hand, then past it', async () => {
    const { commits, handled, add } = ledger();
    const first = add(0, 0, 9);
    const second = add(0, 10, 19);
    const third = add(0, 20, 29);
    second.resolve();
    third.resolve();
    await nextTurn();
    await nextTurn();
    expect(commits).toEqual([]);
    expect(handled).toEqual([]);

    first.resolve();
    await nextTurn();
    await nextTurn();
    expect(commits).toEqual([[{ partition: 0, offset: '30' }]]);
    expect(handled).toEqual([
      [0, '9'],
      [0, '19'],
      [0, '29'],
    ]);
  });

  it('commits the partitions a turn settled in one request, each on its own', async () => {
    const { commits, add } = ledger();
    const a = add(0, 0, 4);
    const b = add(1, 100, 104);
    const c = add(1, 105, 109);
    a.resolve();
    b.resolve();
    await nextTurn();
    await nextTurn();
    expect(commits).toEqual([
      [
        { partition: 0, offset: '5' },
        { partition: 1, offset: '105' },
      ],
    ]);
    c.resolve();
    await nextTurn();
    await nextTurn();
    expect(commits[1]).toEqual([{ partition: 1, offset: '110' }]);
  });

  it('drops a failed batch and every later one of its partition, keeping earlier ones', async () => {
    const { commits, failed, add } = ledger();
    const first = add(0, 0, 9);
    const second = add(0, 10, 19);
    const third = add(0, 20, 29);
    const other = add(1, 0, 9);
    second.reject(SINK_DOWN);
    await nextTurn();
    expect(failed).toEqual([[0, '10']]);

    third.resolve(); // handled after the rewind started: no longer counts
    first.resolve();
    other.resolve();
    await nextTurn();
    await nextTurn();
    expect(commits.flat()).toEqual([
      { partition: 0, offset: '10' },
      { partition: 1, offset: '10' },
    ]);
    expect(failed).toHaveLength(1);
  });

  it('forgets every booked batch on reset, but still counts them until they settle', async () => {
    const { books, commits, failed, add } = ledger(2);
    const first = add(0, 0, 9);
    const second = add(0, 10, 19);
    books.reset();
    expect(books.full).toBe(true);
    first.reject(SINK_DOWN);
    second.resolve();
    await nextTurn();
    await nextTurn();
    expect(books.full).toBe(false);
    expect(failed).toEqual([]);
    expect(commits).toEqual([]);
  });

  it('is full at the limit, and room() waits for a batch to settle', async () => {
    const { books, add } = ledger(2);
    const first = add(0, 0, 0);
    expect(books.full).toBe(false);
    add(1, 0, 0);
    expect(books.full).toBe(true);
    let roomy = false;
    const room = books.room().then(() => {
      roomy = true;
    });
    await nextTurn();
    expect(roomy).toBe(false);
    first.resolve();
    await room;
    expect(books.full).toBe(false);
  });

  it('drains: waits for every batch, then for the commit they allow', async () => {
    const { books, commits, add } = ledger();
    const first = add(3, 41, 50);
    let drained = false;
    const drain = books.drain().then(() => {
      drained = true;
    });
    await nextTurn();
    expect(drained).toBe(false);
    first.resolve();
    await drain;
    expect(commits.flat()).toEqual([{ partition: 3, offset: '51' }]);
  });

  it('survives a failing commit: the next commit carries the newer offset', async () => {
    let attempts = 0;
    const committed: PartitionCommit[] = [];
    const books = new AheadLedger({
      limit: 4,
      commit: async (offsets) => {
        attempts += 1;
        if (attempts === 1) throw new Error('rebalance in progress (expected by the test)');
        committed.push(...offsets);
      },
      onFailed: () => {},
      onHandled: () => {},
    });
    books.add(0, { first: '0', last: '0', records: 1 }, Promise.resolve());
    await books.drain();
    books.add(0, { first: '1', last: '1', records: 1 }, Promise.resolve());
    await books.drain();
    expect(attempts).toBe(2);
    expect(committed).toEqual([{ partition: 0, offset: '2' }]);
  });
});
