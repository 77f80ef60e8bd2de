/** A partition's offset to commit: the offset of the next message to read. */
export interface PartitionCommit {
  partition: number;
  offset: string;
}

/** What an {@link AheadLedger} reports to and asks of its runner. */
export interface AheadLedgerOptions {
  /** Most batches handed out and not yet handled (see {@link AheadLedger.full}). */
  limit: number;
  /**
   * Commits offsets (one call at a time). A rejection is ignored: a later commit covers
   * the same offsets, and offsets never committed are only read again.
   */
  commit(offsets: PartitionCommit[]): Promise<void>;
  /** A batch failed: its partition must be read again from `firstOffset`. */
  onFailed(partition: number, firstOffset: string): void;
  /** A batch and every earlier one of its partition were handled, in partition order. */
  onHandled(partition: number, firstOffset: string, lastOffset: string, records: number): void;
}

interface Entry {
  first: string;
  last: string;
  records: number;
  handled: boolean;
}

/**
 * Book-keeping of a consumer that fetches ahead: batches are handed to the handler while
 * earlier ones are still being handled, and a partition's offsets are committed only up to
 * the end of its oldest run of handled batches, so a batch still in hand (or one that
 * failed) is never skipped by a commit. A failed batch drops itself and every later batch
 * of its partition from the books (they are read again after the rewind; their outcomes no
 * longer count); {@link AheadLedger.reset} drops all of them after a rebalance.
 */
export class AheadLedger {
  readonly #options: AheadLedgerOptions;
  /** Per partition, the batches not yet committed, oldest first. */
  #partitions = new Map<number, Entry[]>();
  /** Batches handed out whose handler has not settled (whether or not still in the books). */
  #unhandled = 0;
  #waiters: Array<() => void> = [];
  /** Per partition, the offset to commit next (collected until the commit runs). */
  #toCommit = new Map<number, string>();
  #commits: Promise<void> = Promise.resolve();
  #commitScheduled = false;

  constructor(options: AheadLedgerOptions) {
    this.#options = options;
  }

  /** Whether `limit` batches are unhandled: the next one waits for {@link AheadLedger.room}. */
  get full(): boolean {
    return this.#unhandled >= this.#options.limit;
  }

  /** Books a batch of `partition` whose handling is `handling`. */
  add(
    partition: number,
    batch: { first: string; last: string; records: number },
    handling: Promise<void>,
  ): void {
    const entry: Entry = { ...batch, handled: false };
    let entries = this.#partitions.get(partition);
    if (entries === undefined) {
      entries = [];
      this.#partitions.set(partition, entries);
    }
    entries.push(entry);
    this.#unhandled += 1;
    handling.then(
      () => this.#settled(partition, entry, true),
      () => this.#settled(partition, entry, false),
    );
  }

  /**
   * Resolves when a batch's handling settles (at once when not {@link AheadLedger.full}).
   * Check `full` again afterwards: other waiters may have taken the room.
   */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Forgets every booked batch (after a rebalance: the group reads from its commits again). */
  reset(): void {
    this.#partitions.clear();
    this.#toCommit.clear();
  }

  /** Resolves once every handed-out batch settled and the commits they allow are done. */
  async drain(): Promise<void> {
    while (this.#unhandled > 0) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    await this.#flushCommits();
  }

  #settled(partition: number, entry: Entry, ok: boolean): void {
    this.#unhandled -= 1;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
    const entries = this.#partitions.get(partition);
    const index = entries?.indexOf(entry) ?? -1;
    if (entries === undefined || index < 0) return; // dropped by a failure or a reset
    if (!ok) {
      entries.splice(index);
      this.#options.onFailed(partition, entry.first);
      return;
    }
    entry.handled = true;
    let committed: Entry | undefined;
    while (entries[0]?.handled) {
      committed = entries.shift()!;
      this.#options.onHandled(partition, committed.first, committed.last, committed.records);
    }
    if (committed === undefined) return;
    this.#toCommit.set(partition, (BigInt(committed.last) + 1n).toString());
    this.#scheduleCommit();
  }

  /** Commits what the batches settled in this turn allow, in one request. */
  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    setImmediate(() => {
      this.#commitScheduled = false;
      void this.#flushCommits();
    });
  }

  #flushCommits(): Promise<void> {
    this.#commits = this.#commits.then(async () => {
      if (this.#toCommit.size === 0) return;
      const offsets = [...this.#toCommit].map(([partition, offset]) => ({ partition, offset }));
      this.#toCommit.clear();
      await this.#options.commit(offsets).catch(() => {});
    });
    return this.#commits;
  }
}
