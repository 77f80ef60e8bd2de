import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClickEvent } from '../clicks/click-event.js';
import { recordToObject } from '../transport/record.js';
import type {
  BatchHandler,
  ReceivedBatch,
  Subscription,
  Transport,
} from '../transport/transport.js';

/** What the factory of {@link describeTransport} returns for one test. */
export interface TransportFixture {
  /** A transport the suite may use and close; records of earlier tests may be present. */
  transport: Transport;
  /** Called after the suite closed the transport, e.g. to delete the stream or topic. */
  cleanup?: () => Promise<void>;
}

/** Options of {@link describeTransport}. */
export interface TransportSuiteOptions {
  /**
   * How long to wait for records to arrive (and per-test timeout, tripled). Default
   * 10,000 ms; raise it for brokers with slow group joins or redelivery.
   */
  timeoutMs?: number;
  /** Records each test sends. Default 40. */
  records?: number;
}

/** Records each test sends, split into this many `send` calls. */
const SEND_CALLS = 4;
/** How long the suite watches for unwanted deliveries (duplicates, early `stop`). */
const QUIET_MS = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` click events of this test run, with ids `${run}-0000`, … */
function sampleEvents(run: string, count: number): ClickEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: 1,
    id: `${run}-${String(i).padStart(4, '0')}`,
    code: run,
    ts: 1_714_560_000_000 + i,
    visitorId: 'AAAAAAAAAAAAAAAA',
    ipPrefix: '203.0.113.0',
    ua: 'Mozilla/5.0 (contract test)',
    referer: null,
    method: 'GET',
    utm: null,
  }));
}

/** The ids of this run's events in a batch; records of other runs are ignored. */
function idsOf(batch: ReceivedBatch, run: string): string[] {
  const ids: string[] = [];
  for (const record of batch.records) {
    const event = recordToObject(record) as Partial<ClickEvent> | null;
    if (event?.code === run && typeof event.id === 'string') ids.push(event.id);
  }
  return ids;
}

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * The contract every {@link Transport} driver must pass, as a vitest suite: records sent
 * arrive (objects, JSON strings or Buffers are all accepted, see `recordToObject`), a
 * rejected batch is delivered again with `redeliveries > 0` and nothing is lost, members
 * of one group share the records without duplicates, every group gets every record,
 * `stop()` waits for the handler in progress, unacknowledged records go to the group's
 * next consumer and acknowledged ones do not come back. `factory` is called before each
 * test; the suite consumes (in groups named uniquely per test) before it sends, so a
 * driver must deliver whatever is sent after `consume` resolved. The suite stops its
 * subscriptions and closes the transport after each test, then calls `cleanup`.
 *
 * @example
 * ```ts
 * describeTransport('MemoryTransport', async () => ({ transport: new MemoryTransport() }));
 * ```
 */
export function describeTransport(
  name: string,
  factory: () => Promise<TransportFixture>,
  options: TransportSuiteOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const count = options.records ?? 40;
  const testTimeout = timeoutMs * 3;

  describe(`Transport contract: ${name}`, () => {
    let fixture: TransportFixture;
    let subscriptions: Subscription[];
    let run: string;

    beforeEach(async () => {
      fixture = await factory();
      subscriptions = [];
      run = randomUUID().slice(0, 8);
    });

    afterEach(async () => {
      await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
      await fixture.transport.close();
      await fixture.cleanup?.();
    });

    async function consume(group: string, handler: BatchHandler): Promise<Subscription> {
      const subscription = await fixture.transport.consume(handler, { group: `${run}-${group}` });
      subscriptions.push(subscription);
      return subscription;
    }

    /** Sends this run's events in a few batches; returns their ids. */
    async function send(events = sampleEvents(run, count)): Promise<string[]> {
      const size = Math.ceil(events.length / SEND_CALLS);
      for (let i = 0; i < events.length; i += size) {
        await fixture.transport.send(events.slice(i, i + size));
      }
      return events.map((event) => event.id);
    }

    /** A handler that records every id it receives, in `into`. */
    function collector(into: string[]): BatchHandler {
      return async (batch) => {
        into.push(...idsOf(batch, run));
      };
    }

    it(
      'delivers every record sent to a consumer, once',
      async () => {
        const received: string[] = [];
        await consume('a', collector(received));
        const sent = await send();
        await waitFor('all records', () => received.length >= sent.length, timeoutMs);
        await sleep(QUIET_MS);
        expect([...received].sort()).toEqual(sent);
      },
      testTimeout,
    );

    it(
      'delivers a rejected batch again with redeliveries > 0, losing nothing',
      async () => {
        const acked = new Set<string>();
        let rejections = 0;
        let redelivered = false;
        await consume('a', async (batch) => {
          const ids = idsOf(batch, run);
          if (ids.length === 0) return;
          if (rejections === 0) {
            rejections++;
            throw new Error('handler failure (expected by the test)');
          }
          if (batch.redeliveries > 0) redelivered = true;
          for (const id of ids) acked.add(id);
        });
        const sent = await send();
        await waitFor('all records acknowledged', () => acked.size === sent.length, timeoutMs);
        expect(redelivered).toBe(true);
        expect([...acked].sort()).toEqual(sent);
      },
      testTimeout,
    );

    it(
      'shares the records among the members of one group without duplicates',
      async () => {
        const first: string[] = [];
        const second: string[] = [];
        await consume('shared', collector(first));
        await consume('shared', collector(second));
        const sent = await send();
        const total = () => first.length + second.length;
        await waitFor('all records', () => total() >= sent.length, timeoutMs);
        await sleep(QUIET_MS);
        expect([...first, ...second].sort()).toEqual(sent);
      },
      testTimeout,
    );

    it(
      'gives every group every record',
      async () => {
        const first: string[] = [];
        const second: string[] = [];
        await consume('one', collector(first));
        await consume('two', collector(second));
        const sent = await send();
        await waitFor(
          'all records in both groups',
          () => first.length >= sent.length && second.length >= sent.length,
          timeoutMs,
        );
        expect([...first].sort()).toEqual(sent);
        expect([...second].sort()).toEqual(sent);
      },
      testTimeout,
    );

    it(
      'stop() waits for the handler in progress; unacknowledged records go to the next consumer',
      async () => {
        let releaseHeld: (error: Error) => void = () => {};
        const held = new Promise<never>((_, reject) => {
          releaseHeld = reject;
        });
        const seenByFirst: string[] = [];
        const first = await consume('g', async (batch) => {
          const ids = idsOf(batch, run);
          if (ids.length === 0) return;
          seenByFirst.push(...ids);
          await held;
        });
        const sent = await send();
        await waitFor('a batch in the first consumer', () => seenByFirst.length > 0, timeoutMs);

        let stopped = false;
        const stopping = first.stop().then(() => {
          stopped = true;
        });
        await sleep(QUIET_MS);
        expect(stopped).toBe(false);
        releaseHeld(new Error('not acknowledged (expected by the test)'));
        await stopping;

        const acked = new Set<string>();
        await consume('g', async (batch) => {
          for (const id of idsOf(batch, run)) acked.add(id);
        });
        await waitFor(
          'every record in the next consumer',
          () => acked.size === sent.length,
          timeoutMs,
        );
        expect([...acked].sort()).toEqual(sent);
      },
      testTimeout,
    );

    it(
      'does not deliver acknowledged records again to the next consumer of the group',
      async () => {
        const half = Math.floor(count / 2);
        const firstIds: string[] = [];
        const first = await consume('g', collector(firstIds));
        const before = await send(sampleEvents(run, count).slice(0, half));
        await waitFor('the first half', () => firstIds.length >= before.length, timeoutMs);
        await first.stop();

        const nextIds: string[] = [];
        await consume('g', collector(nextIds));
        const after = await send(sampleEvents(run, count).slice(half));
        await waitFor('the second half', () => nextIds.length >= after.length, timeoutMs);
        await sleep(QUIET_MS);
        expect([...firstIds].sort()).toEqual(before);
        expect([...nextIds].sort()).toEqual(after);
      },
      testTimeout,
    );
  });
}
