import {
  type BatchHandler,
  type ClickConsumer,
  type ClickEvent,
  type ClickSink,
  ClickWorker,
  type ClickWorkerOptions,
  type EnrichedClick,
  MemorySink,
  MemoryTransport,
  retryWithBackoff,
  sinkRetryPolicy,
  type WorkerErrorContext,
} from '@linkpulse/core';
import { makeClick } from '@linkpulse/core/testing';
import { afterEach, describe, expect, it } from 'vitest';

const DAY = {
  from: new Date('2024-01-01'),
  to: new Date('2024-01-02'),
  interval: 'day',
  top: 5,
} as const;
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

/** A wire-level {@link ClickEvent} (what an emitter sends) on code `w` on 2024-01-01. */
function event(i: number, overrides: Partial<ClickEvent> = {}): ClickEvent {
  const { device, browser, os, bot, country, refererHost, ...wire } = makeClick({
    code: 'w',
    ts: Date.UTC(2024, 0, 1, i % 24),
    visitorId: `visitor-${i % 7}`,
    ua: IPHONE,
    referer: 'https://www.example.com/',
  });
  return { ...wire, ...overrides };
}

const events = (n: number) => Array.from({ length: n }, (_, i) => event(i));

/** Wraps a sink; `fail(n)` decides per write call (numbered from 1) whether it rejects. */
class ScriptedSink implements ClickSink {
  calls = 0;
  constructor(
    readonly inner: MemorySink,
    private readonly fail: (call: number) => boolean = () => false,
  ) {}
  async write(batch: readonly EnrichedClick[]): Promise<void> {
    const call = ++this.calls;
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (this.fail(call)) throw new Error(`write ${call} failed`);
    await this.inner.write(batch);
  }
  async close(): Promise<void> {}
}

/**
 * A consumer whose batches the test hands over itself, several at a time if it likes, as a
 * transport that consumes several partitions at once does. `deliver` settles when the
 * worker would have the batch acknowledged (or redelivered).
 */
async function handFed(options: Omit<ClickWorkerOptions, 'consumer'>, concurrentBatches?: number) {
  let handler: BatchHandler | undefined;
  const consumer: ClickConsumer = {
    async consume(batchHandler) {
      handler = batchHandler;
      return { stop: async () => {} };
    },
    ...(concurrentBatches === undefined ? {} : { concurrentBatches }),
  };
  const worker = new ClickWorker({ retry: { attempts: 1 }, ...options, consumer });
  await worker.start();
  const deliver = (records: readonly unknown[]) => handler!({ records, redeliveries: 0 });
  return { worker, deliver };
}

/** A sink that records the size of each write and holds it until `open()` is called. */
function gatedSink() {
  const inner = new MemorySink();
  const writes: number[] = [];
  const gates: Array<() => void> = [];
  let failNext = false;
  const sink: ClickSink = {
    async write(batch) {
      writes.push(batch.length);
      await new Promise<void>((resolve) => gates.push(resolve));
      if (failNext) {
        failNext = false;
        throw new Error('sink down (expected by the test)');
      }
      await inner.write(batch);
    },
    async close() {},
  };
  return {
    sink,
    inner,
    writes,
    /** Lets the writes waiting so far go on. */
    open: () => {
      for (const resolve of gates.splice(0)) resolve();
    },
    failNextWrite: () => {
      failNext = true;
    },
    waiting: () => gates.length,
  };
}

/** Names of the promises that settled so far, with `ok` or the error message. */
function settledOf(promises: Record<string, Promise<void>>): string[] {
  const settled: string[] = [];
  for (const [name, promise] of Object.entries(promises)) {
    promise.then(
      () => settled.push(`${name} ok`),
      (error: Error) => settled.push(`${name} failed: ${error.message}`),
    );
  }
  return settled;
}

const running: Array<{ worker: ClickWorker; transport: MemoryTransport }> = [];

async function pipeline(options: Omit<ClickWorkerOptions, 'consumer'>) {
  const transport = new MemoryTransport({ redeliveryDelayMs: 5 });
  const worker = new ClickWorker({
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    ...options,
    consumer: transport,
  });
  running.push({ worker, transport });
  await worker.start();
  return { transport, worker };
}

afterEach(async () => {
  for (const { worker, transport } of running.splice(0)) {
    await worker.stop();
    await transport.close();
  }
});

describe('ClickWorker', () => {
  it('dead-letters malformed records and writes the rest of the batch', async () => {
    const sink = new MemorySink();
    const transport = new MemoryTransport();
    const worker = new ClickWorker({ consumer: transport, sinks: [sink], deadLetters: transport });
    running.push({ worker, transport });
    await worker.start();
    const good = events(3);
    const records = [
      good[0],
      { ...event(9), v: 2 },
      good[1],
      '{oops',
      { ...event(10), ts: 'x' },
      good[2],
    ];
    await transport.send(records as ClickEvent[]);
    expect(await transport.drain({ timeoutMs: 5_000 })).toBe(true);

    expect(transport.deadLetters.map((d) => d.reason)).toEqual([
      'unsupported version 2',
      'record is not valid JSON',
      'ts must be a finite, non-negative number',
    ]);
    expect(transport.deadLetters[1]!.record).toBe('{oops');
    const stats = await sink.stats('w', DAY);
    expect(stats.total).toBe(3);
    expect(stats.top.devices).toEqual([{ value: 'mobile', clicks: 3 }]);
    expect(stats.top.referrers).toEqual([{ value: 'example.com', clicks: 3 }]);
    expect(worker.counters()).toMatchObject({
      batches: 1,
      events: 6,
      written: 3,
      deadLettered: 3,
      duplicates: 0,
      failedBatches: 0,
    });
  });

  it('drops malformed records with a report when there is no dead-letter queue', async () => {
    const sink = new MemorySink();
    const reports: WorkerErrorContext[] = [];
    const { transport, worker } = await pipeline({
      sinks: [sink],
      onError: (_error, context) => reports.push(context),
    });
    await transport.send([event(1), 42, event(2)] as ClickEvent[]);
    await transport.drain();
    expect(reports).toEqual([{ stage: 'decode' }]);
    expect((await sink.stats('w', DAY)).total).toBe(2);
    expect(worker.counters()).toMatchObject({ written: 2, deadLettered: 1, batches: 1 });
  });

  it('retries a sink that fails twice, then succeeds, and counts exactly', async () => {
    const flaky = new ScriptedSink(new MemorySink(), (call) => call <= 2);
    const healthy = new ScriptedSink(new MemorySink());
    const errors: WorkerErrorContext[] = [];
    const { transport, worker } = await pipeline({
      sinks: [healthy, flaky],
      onError: (_error, context) => errors.push(context),
    });
    await transport.send(events(50));
    await transport.drain();

    expect(flaky.calls).toBe(3);
    expect(healthy.calls).toBe(1);
    expect(errors).toEqual([
      { stage: 'sink', sink: 1, attempt: 1 },
      { stage: 'sink', sink: 1, attempt: 2 },
    ]);
    for (const sink of [flaky, healthy]) {
      const stats = await sink.inner.stats('w', DAY);
      expect([stats.total, stats.unique]).toEqual([50, 7]);
    }
    expect(worker.counters()).toMatchObject({
      batches: 1,
      failedBatches: 0,
      written: 50,
      sinkErrors: 2,
    });
  });

  it('does not acknowledge a batch a sink keeps failing; the redelivery is counted once', async () => {
    let down = true;
    const broken = new ScriptedSink(new MemorySink(), () => down);
    const healthy = new ScriptedSink(new MemorySink());
    const { transport, worker } = await pipeline({
      sinks: [healthy, broken],
      retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
    });
    await transport.send(events(40));
    await expect.poll(() => worker.counters().failedBatches).toBeGreaterThanOrEqual(2);
    expect(await transport.drain({ timeoutMs: 0 })).toBe(false);
    expect((await broken.inner.stats('w', DAY)).total).toBe(0);
    down = false;
    expect(await transport.drain({ timeoutMs: 5_000 })).toBe(true);

    expect(healthy.calls).toBeGreaterThan(2);
    for (const sink of [healthy, broken]) {
      expect((await sink.inner.stats('w', DAY)).total).toBe(40);
    }
    const counters = worker.counters();
    expect(counters).toMatchObject({ batches: 1, events: 40, written: 40, duplicates: 0 });
    // Two failed attempts per failed delivery, maybe one more in the delivery that recovered.
    expect(counters.sinkErrors - counters.failedBatches * 2).toBeOneOf([0, 1]);
  });

  it('replaying the same batch changes no count, with or without its own dedupe window', async () => {
    for (const dedupeWindow of [100_000, 0]) {
      const sink = new MemorySink();
      const { transport, worker } = await pipeline({ sinks: [sink], dedupeWindow });
      const batch = events(30);
      await transport.send([...batch, batch[0]!]);
      await transport.drain();
      const first = await sink.stats('w', DAY);
      await transport.send(batch);
      await transport.drain();
      expect(await sink.stats('w', DAY)).toEqual(first);
      expect(first.total).toBe(30);
      expect(worker.counters()).toMatchObject({
        batches: 2,
        events: 61,
        written: dedupeWindow > 0 ? 30 : 60,
        duplicates: dedupeWindow > 0 ? 31 : 1,
      });
    }
  });

  it('marks HEAD requests and crawlers as bots', async () => {
    const sink = new MemorySink();
    const { transport } = await pipeline({ sinks: [sink] });
    await transport.send([
      event(1),
      event(2, { method: 'HEAD' }),
      event(3, { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }),
    ]);
    await transport.drain();
    expect(await sink.stats('w', DAY)).toMatchObject({ total: 1, bots: 2 });
  });

  it('writes at most sinkConcurrency sinks at a time', async () => {
    const sinks = Array.from({ length: 5 }, () => new ScriptedSink(new MemorySink()));
    let active = 0;
    let maxActive = 0;
    for (const sink of sinks) {
      const write = sink.write.bind(sink);
      sink.write = async (batch) => {
        maxActive = Math.max(maxActive, ++active);
        try {
          await write(batch);
        } finally {
          active -= 1;
        }
      };
    }
    const { transport } = await pipeline({ sinks, sinkConcurrency: 2 });
    await transport.send(events(5));
    await transport.drain();
    expect(maxActive).toBe(2);
    expect(sinks.map((s) => s.calls)).toEqual([1, 1, 1, 1, 1]);
  });

  it('merges batches handed over together into one write and acknowledges each only after it', async () => {
    const gated = gatedSink();
    const { worker, deliver } = await handFed({ sinks: [gated.sink] });
    const all = events(40);
    // Three partitions' batches at once; the third repeats five events of the second.
    const first = settledOf({
      a: deliver(all.slice(0, 10)),
      b: deliver(all.slice(10, 20)),
      c: deliver(all.slice(15, 25)),
    });
    await expect.poll(() => gated.waiting()).toBe(1);
    expect(gated.writes).toEqual([25]);
    // Batches handed over while that write runs wait for it, then go together.
    const next = settledOf({ d: deliver(all.slice(25, 30)), e: deliver(all.slice(30, 40)) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gated.writes).toEqual([25]);
    expect([...first, ...next]).toEqual([]);
    gated.open();
    await expect.poll(() => first.length).toBe(3);
    expect(first.sort()).toEqual(['a ok', 'b ok', 'c ok']);
    await expect.poll(() => gated.waiting()).toBe(1);
    expect(gated.writes).toEqual([25, 15]);
    expect(next).toEqual([]);
    gated.open();
    await expect.poll(() => next.length).toBe(2);
    expect((await gated.inner.stats('w', DAY)).total).toBe(40);
    expect(worker.counters()).toMatchObject({
      batches: 5,
      events: 45,
      written: 40,
      duplicates: 5,
    });
  });

  it('fails every batch of a failed write, so that each is redelivered, and keeps writes within maxWriteEvents', async () => {
    const gated = gatedSink();
    const { worker, deliver } = await handFed({ sinks: [gated.sink], maxWriteEvents: 8 });
    const all = events(12);
    gated.failNextWrite();
    const failed = settledOf({ a: deliver(all.slice(0, 4)), b: deliver(all.slice(4, 8)) });
    await expect.poll(() => gated.waiting()).toBe(1);
    gated.open();
    await expect.poll(() => failed.length).toBe(2);
    expect(failed.every((outcome) => outcome.includes('1 of 1 sinks failed'))).toBe(true);
    expect(worker.counters()).toMatchObject({ batches: 0, failedBatches: 2, written: 0 });

    // The redeliveries, and a third batch: 12 events, written as 8 and 4.
    const again = settledOf({
      a: deliver(all.slice(0, 4)),
      b: deliver(all.slice(4, 8)),
      c: deliver(all.slice(8, 12)),
    });
    await expect.poll(() => gated.waiting()).toBe(1);
    gated.open();
    await expect.poll(() => gated.writes.length).toBe(3);
    gated.open();
    await expect.poll(() => again.length).toBe(3);
    expect(gated.writes).toEqual([8, 8, 4]);
    expect((await gated.inner.stats('w', DAY)).total).toBe(12);
    expect(worker.counters()).toMatchObject({ batches: 3, failedBatches: 2, written: 12 });
  });

  it("writes at once, without lingering, when it holds as many batches as the consumer's concurrentBatches", async () => {
    const gated = gatedSink();
    const { worker, deliver } = await handFed({ sinks: [gated.sink], writeLingerMs: 60_000 }, 2);
    const all = events(6);
    const first = deliver(all.slice(0, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gated.writes).toEqual([]); // one batch: lingers for the other
    const second = deliver(all.slice(2, 6));
    await expect.poll(() => gated.writes).toEqual([6]);
    gated.open();
    await Promise.all([first, second]);
    expect(worker.counters()).toMatchObject({ batches: 2, written: 6 });
  });

  it('stop() waits for the batch in hand', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inner = new MemorySink();
    let entered = false;
    const slow: ClickSink = {
      async write(batch) {
        entered = true;
        await gate;
        await inner.write(batch);
      },
      async close() {},
    };
    const { transport, worker } = await pipeline({ sinks: [slow] });
    await transport.send(events(3));
    await expect.poll(() => entered).toBe(true);
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    await worker.idle();
    expect(worker.counters().written).toBe(3);
    expect((await inner.stats('w', DAY)).total).toBe(3);
  });
});

describe('retryWithBackoff', () => {
  const policy = sinkRetryPolicy({ attempts: 4, initialDelayMs: 1, maxDelayMs: 2 });

  it('retries up to the attempts and rethrows the last error', async () => {
    const failures: number[] = [];
    let calls = 0;
    const task = async () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    };
    await expect(
      retryWithBackoff(task, policy, { onFailure: (_e, attempt) => failures.push(attempt) }),
    ).rejects.toThrow('failure 4');
    expect(failures).toEqual([1, 2, 3, 4]);
  });

  it('stops at an error that is not retryable and returns the result on success', async () => {
    let calls = 0;
    const permanent = retryWithBackoff(
      async () => {
        calls += 1;
        throw new Error('permanent');
      },
      policy,
      { retryable: () => false },
    );
    await expect(permanent).rejects.toThrow('permanent');
    expect(calls).toBe(1);
    let tries = 0;
    expect(
      await retryWithBackoff(
        async () => (++tries < 3 ? Promise.reject(new Error()) : tries),
        policy,
      ),
    ).toBe(3);
  });

  it('rejects nonsense options', () => {
    expect(() => sinkRetryPolicy({ attempts: 0 })).toThrow(RangeError);
    expect(() => sinkRetryPolicy({ attempts: Number.NaN })).toThrow(RangeError);
    expect(() => sinkRetryPolicy({ maxDelayMs: -1 })).toThrow(RangeError);
    const consumer = new MemoryTransport();
    expect(() => new ClickWorker({ consumer, sinks: [], sinkConcurrency: 0 })).toThrow(RangeError);
    expect(() => new ClickWorker({ consumer, sinks: [], dedupeWindow: -1 })).toThrow(RangeError);
    expect(() => new ClickWorker({ consumer, sinks: [], maxWriteEvents: 0 })).toThrow(RangeError);
    expect(() => new ClickWorker({ consumer, sinks: [], writeLingerMs: -1 })).toThrow(RangeError);
  });
});
