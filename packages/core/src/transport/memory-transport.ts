import type { ClickEvent } from '../clicks/click-event.js';
import { LinkPulseError } from '../errors.js';
import type {
  BatchHandler,
  ConsumeOptions,
  DeadLetter,
  DeadLetterQueue,
  Subscription,
  Transport,
} from './transport.js';

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** Records per delivered batch at most. Default 500. */
  maxBatchSize?: number;
  /**
   * Delay before a rejected batch is delivered again; doubles with each redelivery, up to
   * 5 s. Default 50 ms.
   */
  redeliveryDelayMs?: number;
}

/** Options of {@link MemoryTransport.drain}. */
export interface MemoryTransportDrainOptions {
  /** Give up after this long (the promise then resolves `false`). Default: wait. */
  timeoutMs?: number;
}

const MAX_REDELIVERY_DELAY_MS = 5_000;
/** The log is trimmed once this many records were read by every group. */
const TRIM_THRESHOLD = 1_024;

interface Delivery {
  records: unknown[];
  redeliveries: number;
}

interface Member {
  handler: BatchHandler;
  /** The handler call in progress, or `null`. */
  current: Promise<void> | null;
  stopped: boolean;
}

interface Group {
  /** Log offset of the next record no member of this group has received yet. */
  cursor: number;
  members: Set<Member>;
  /** Rejected batches whose redelivery delay has passed, oldest first. */
  redeliver: Delivery[];
  /** Batches in a handler or waiting for their redelivery delay. */
  unacked: number;
}

/**
 * An in-process {@link Transport} with consumer groups, for tests and the embedded
 * pipeline. Records are handed over as the very objects sent (no serialisation). Every
 * group receives every record; the members of one group share them, one batch at a time
 * per member. A batch is acknowledged when the handler resolves; when it rejects (or
 * throws) the batch is delivered again, to any member of the group, with `redeliveries`
 * incremented, after a short backoff. A group created by a later `consume` starts from the
 * oldest record some group has not received yet (all records, before the first group).
 * Dead letters are kept in {@link MemoryTransport.deadLetters}.
 */
export class MemoryTransport implements Transport, DeadLetterQueue {
  /** Every dead letter received, oldest first. */
  readonly deadLetters: DeadLetter[] = [];
  readonly #maxBatchSize: number;
  readonly #redeliveryDelayMs: number;
  readonly #groups = new Map<string, Group>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #log: unknown[] = [];
  /** Log offset of `#log[0]`. */
  #base = 0;
  #dispatchScheduled = false;
  /** Resolvers of pending `drain` calls. */
  #drainWaiters: ((drained: boolean) => void)[] = [];
  #closed = false;

  constructor(options: MemoryTransportOptions = {}) {
    this.#maxBatchSize = options.maxBatchSize ?? 500;
    this.#redeliveryDelayMs = options.redeliveryDelayMs ?? 50;
    if (!(this.#maxBatchSize >= 1)) throw new RangeError('maxBatchSize must be at least 1');
  }

  /** Appends the batch for every group; rejects with `unavailable` once closed. */
  async send(batch: readonly ClickEvent[]): Promise<void> {
    this.#assertOpen();
    for (const record of batch) this.#log.push(record);
    this.#dispatchSoon();
  }

  /** Starts a member of `options.group` (the consumer name is not used). */
  async consume(handler: BatchHandler, options: ConsumeOptions): Promise<Subscription> {
    this.#assertOpen();
    let group = this.#groups.get(options.group);
    if (group === undefined) {
      group = { cursor: this.#lowestCursor(), members: new Set(), redeliver: [], unacked: 0 };
      this.#groups.set(options.group, group);
    }
    const member: Member = { handler, current: null, stopped: false };
    group.members.add(member);
    this.#dispatchSoon();
    const owner = group;
    return {
      stop: async () => {
        member.stopped = true;
        owner.members.delete(member);
        await member.current;
        this.#dispatch(owner);
        this.#checkDrained();
      },
    };
  }

  /** Keeps the entries in {@link MemoryTransport.deadLetters}. */
  async deadLetter(entries: readonly DeadLetter[]): Promise<void> {
    this.deadLetters.push(...entries);
  }

  /**
   * Resolves `true` once every group with a running member has acknowledged every record
   * (a group whose members all stopped is not waited for); `false` after `timeoutMs` or
   * when the transport is closed first.
   */
  drain(options: MemoryTransportDrainOptions = {}): Promise<boolean> {
    if (this.#isDrained()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (drained: boolean): void => {
        clearTimeout(timer);
        resolve(drained);
      };
      this.#drainWaiters.push(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#drainWaiters = this.#drainWaiters.filter((other) => other !== waiter);
          resolve(false);
        }, options.timeoutMs);
      }
    });
  }

  /**
   * Stops every member (waiting for handlers in progress) and drops what was not
   * delivered. Later `send` and `consume` calls reject with `unavailable`.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const running: Promise<void>[] = [];
    for (const group of this.#groups.values()) {
      for (const member of group.members) {
        member.stopped = true;
        if (member.current) running.push(member.current);
      }
      group.members.clear();
    }
    await Promise.all(running);
    this.#groups.clear();
    this.#log = [];
    this.#settleDrains(false);
  }

  #assertOpen(): void {
    if (this.#closed) throw new LinkPulseError('unavailable', 'the memory transport is closed');
  }

  #end(): number {
    return this.#base + this.#log.length;
  }

  #lowestCursor(): number {
    let lowest = this.#end();
    for (const group of this.#groups.values()) lowest = Math.min(lowest, group.cursor);
    return this.#groups.size === 0 ? this.#base : lowest;
  }

  #dispatchSoon(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      for (const group of this.#groups.values()) this.#dispatch(group);
    });
  }

  /** Hands the group's next batches to its idle members. */
  #dispatch(group: Group): void {
    if (this.#closed) return;
    for (const member of group.members) {
      if (member.current !== null) continue;
      const delivery = this.#next(group);
      if (delivery === null) return;
      this.#deliver(group, member, delivery);
    }
  }

  #next(group: Group): Delivery | null {
    const redelivery = group.redeliver.shift();
    if (redelivery !== undefined) return redelivery;
    const end = this.#end();
    if (group.cursor >= end) return null;
    const from = group.cursor - this.#base;
    const records = this.#log.slice(from, from + this.#maxBatchSize);
    group.cursor += records.length;
    this.#trim();
    return { records, redeliveries: 0 };
  }

  /** Forgets the records every group has received. */
  #trim(): void {
    const read = this.#lowestCursor() - this.#base;
    if (read < TRIM_THRESHOLD || read * 2 < this.#log.length) return;
    this.#log = this.#log.slice(read);
    this.#base += read;
  }

  #deliver(group: Group, member: Member, delivery: Delivery): void {
    group.unacked++;
    member.current = (async () => {
      let acked = false;
      try {
        await member.handler({ records: delivery.records, redeliveries: delivery.redeliveries });
        acked = true;
      } catch {
        this.#redeliverLater(group, delivery);
      } finally {
        member.current = null;
        if (acked) group.unacked--;
        if (!member.stopped) this.#dispatch(group);
        this.#checkDrained();
      }
    })();
  }

  #redeliverLater(group: Group, delivery: Delivery): void {
    const delay = Math.min(
      this.#redeliveryDelayMs * 2 ** delivery.redeliveries,
      MAX_REDELIVERY_DELAY_MS,
    );
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      group.unacked--;
      group.redeliver.push({ records: delivery.records, redeliveries: delivery.redeliveries + 1 });
      this.#dispatch(group);
    }, delay);
    this.#timers.add(timer);
  }

  #isDrained(): boolean {
    const end = this.#end();
    for (const group of this.#groups.values()) {
      if (group.members.size === 0) continue;
      if (group.cursor < end || group.unacked > 0 || group.redeliver.length > 0) return false;
    }
    return true;
  }

  #checkDrained(): void {
    if (this.#drainWaiters.length > 0 && this.#isDrained()) this.#settleDrains(true);
  }

  #settleDrains(drained: boolean): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter(drained);
  }
}
