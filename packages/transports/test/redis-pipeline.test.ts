import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ClickEmitter, ClickWorker, createThreadedAnalytics } from '@linkpulse/core';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import { RedisStreamsTransport } from '@linkpulse/transports/redis';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import { type ScriptProcess, startScript } from './fixtures/script-process.js';
import { HUMAN_UA, totalClicks } from './kafka-helpers.js';

const url = requireService('redis');
const CRASH_WORKER = fileURLToPath(new URL('./fixtures/redis-crash-worker.ts', import.meta.url));
const FORWARD_THREAD = new URL('./fixtures/redis-forward-thread.ts', import.meta.url);

/**
 * The Redis Streams path end to end against a real redis-server: emitters (app nodes) →
 * RedisStreamsTransport → ClickWorkers in one consumer group → RedisCounterSink.
 */
describe.skipIf(!url)('Redis Streams pipeline end to end', () => {
  let stream: string;
  let prefix: string;
  let codes: string[];
  let clients: Redis[];
  let sink: RedisCounterSink;
  let stopAll: (() => Promise<void>)[];

  /** A client of its own, as on a separate node. */
  const connect = () => {
    const client = new Redis(url!);
    clients.push(client);
    return client;
  };
  const transport = (options: { claimIdleMs?: number } = {}) => {
    const created = new RedisStreamsTransport({
      redis: connect(),
      stream,
      blockMs: 100,
      ...options,
    });
    stopAll.push(() => created.close());
    return created;
  };
  const worker = async () => {
    const consumer = transport();
    const started = new ClickWorker({
      consumer,
      deadLetters: consumer,
      sinks: [sink],
      group: 'workers',
    });
    stopAll.unshift(() => started.stop());
    await started.start();
    return started;
  };
  /** Emits `count` human clicks over the codes from a node of its own, and flushes. */
  const emitClicks = async (count: number, node: number) => {
    const emitter = new ClickEmitter({ transport: transport(), secret: 'pipeline-test' });
    for (let i = 0; i < count; i++) {
      emitter.emit({
        code: codes[i % codes.length]!,
        ip: `198.51.${node}.${i % 250}`,
        userAgent: HUMAN_UA,
      });
    }
    await emitter.close({ timeoutMs: 20_000 });
    return emitter.counters();
  };
  const pending = async () => ((await clients[0]!.xpending(stream, 'workers')) as [number])[0];

  beforeEach(() => {
    const run = randomUUID().slice(0, 8);
    stream = `t:${run}:clicks`;
    prefix = `t:${run}:`;
    codes = Array.from({ length: 10 }, (_, i) => `rs${i}`);
    clients = [];
    stopAll = [];
    sink = new RedisCounterSink({ redis: connect(), prefix });
  });
  afterEach(async () => {
    for (const stop of stopAll) await stop();
    await clients[0]!.del(stream, `{${stream}}.dlq`);
    for (const client of clients) client.disconnect();
  });

  it('counts exactly 10,000 clicks from two emitters handled by a group of two workers', async () => {
    const workers = [await worker(), await worker()];
    const sent = await Promise.all([emitClicks(5_000, 1), emitClicks(5_000, 2)]);
    for (const counters of sent) expect([counters.sent, counters.dropped]).toEqual([5_000, 0]);

    await expect
      .poll(() => totalClicks(sink, codes), { timeout: 20_000, interval: 50 })
      .toBe(10_000);
    const written = workers.map((w) => w.counters().written);
    expect(written[0]! + written[1]!).toBe(10_000);
    expect(Math.min(...written)).toBeGreaterThan(0);
    await expect.poll(pending, { timeout: 5_000 }).toBe(0);
  });

  it('counts exactly the clicks an emitter sends through a thread that produces them', async () => {
    const workers = [await worker(), await worker()];
    const analytics = await createThreadedAnalytics({
      module: FORWARD_THREAD,
      data: { url: url!, stream },
    });
    stopAll.unshift(() => analytics.close());
    const emitter = new ClickEmitter({ transport: analytics.producer, secret: 'pipeline-test' });
    for (let i = 0; i < 3_000; i++) {
      emitter.emit({
        code: codes[i % codes.length]!,
        ip: `198.51.7.${i % 250}`,
        userAgent: HUMAN_UA,
      });
    }
    await emitter.close({ timeoutMs: 20_000 });
    expect(emitter.counters()).toMatchObject({ sent: 3_000, dropped: 0 });
    expect(await clients[0]!.xlen(stream)).toBe(3_000);

    await expect
      .poll(() => totalClicks(sink, codes), { timeout: 20_000, interval: 50 })
      .toBe(3_000);
    expect(workers[0]!.counters().written + workers[1]!.counters().written).toBe(3_000);
    expect(workers[0]!.counters().deadLettered + workers[1]!.counters().deadLettered).toBe(0);
  });

  it('shows a click in the stats within a second of the redirect', async () => {
    await worker();
    const emitter = new ClickEmitter({ transport: transport(), secret: 'pipeline-test' });
    stopAll.unshift(() => emitter.close());
    emitter.emit({ code: codes[0]!, ip: '198.51.100.7', userAgent: HUMAN_UA });
    // The emitter's own flush interval (250 ms) is part of the second.
    await expect.poll(() => totalClicks(sink, codes), { timeout: 1_000, interval: 20 }).toBe(1);
  });

  it('dead-letters poison records and processes the rest', async () => {
    const raw = connect();
    await raw.xadd(stream, '*', 'event', 'not json at all');
    await raw.xadd(stream, '*', 'event', JSON.stringify({ v: 2, id: 'future', code: 'rs0' }));
    const consumer = await worker();
    await emitClicks(300, 1);

    await expect.poll(() => totalClicks(sink, codes), { timeout: 10_000, interval: 50 }).toBe(300);
    // The default dead-letter stream: the stream's name as a hash tag, plus `.dlq`.
    const dead = (await raw.xrange(`{${stream}}.dlq`, '-', '+')) as [string, string[]][];
    expect(dead.map(([, fields]) => fields[1])).toEqual([
      'not json at all',
      JSON.stringify({ v: 2, id: 'future', code: 'rs0' }),
    ]);
    for (const [, fields] of dead) expect(fields[2]).toBe('reason');
    expect(consumer.counters().deadLettered).toBe(2);
    await expect.poll(pending, { timeout: 5_000 }).toBe(0);
  });

  it('counts exactly after a worker process is SIGKILLed mid-batch and another takes over', async () => {
    const clicks = 2_000;
    await emitClicks(clicks, 1);
    const start = (consumer: string, pause: boolean): ScriptProcess => {
      const child = startScript(CRASH_WORKER, {
        REDIS_URL: url!,
        STREAM: stream,
        GROUP: 'workers',
        CONSUMER: consumer,
        PREFIX: prefix,
        PAUSE_MID_BATCH: pause ? '1' : '0',
      });
      stopAll.push(async () => {
        if (child.child.exitCode === null && child.child.signalCode === null) {
          child.child.kill('SIGKILL');
          await once(child.child, 'exit');
        }
      });
      return child;
    };

    const first = start('worker-a', true);
    await first.printed('mid-batch');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const partial = await totalClicks(sink, codes);
    // Half a batch reached the counters; none of it was acknowledged.
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(clicks);

    // A replacement with another name claims what the dead one held (after claimIdleMs).
    const second = start('worker-b', false);
    await second.printed('ready');
    await expect
      .poll(() => totalClicks(sink, codes), { timeout: 30_000, interval: 100 })
      .toBe(clicks);
    await expect.poll(pending, { timeout: 5_000 }).toBe(0);
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
    expect(await totalClicks(sink, codes)).toBe(clicks);
  }, 60_000);
});
