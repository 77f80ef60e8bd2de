import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ClickEmitter } from '@linkpulse/core';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killOnExit } from '../../../tools/services/kill-on-exit.js';
import { requireService } from '../../../tools/services/test-services.js';
import {
  HUMAN_UA,
  SLOW_BROKER,
  testKafka,
  testTransport,
  totalClicks,
  uniqueTopic,
  waitFor,
} from './kafka-helpers.js';

const brokers = requireService('kafka');
const redisUrl = requireService('redis');

const CLICKS = 2_000;
const CODES = ['kc0', 'kc1', 'kc2', 'kc3', 'kc4'];
const WORKER = fileURLToPath(new URL('./fixtures/kafka-crash-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(!brokers || !redisUrl)('a Kafka worker killed in the middle of a batch', () => {
  const topic = uniqueTopic();
  const prefix = `lp:${randomUUID().slice(0, 8)}:`;
  const children: ChildProcess[] = [];
  let redis: Redis;
  let sink: RedisCounterSink;

  /** Starts a worker process; resolves with it and a promise of its next line `line`. */
  function startWorker(pauseMidBatch: boolean) {
    const child = spawn(
      process.execPath,
      ['--conditions=@linkpulse/source', '--import', 'tsx', WORKER],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers,
          REDIS_URL: redisUrl,
          TOPIC: topic,
          GROUP: `${topic}-workers`,
          PREFIX: prefix,
          PAUSE_MID_BATCH: pauseMidBatch ? '1' : '0',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    killOnExit(child);
    children.push(child);
    let output = '';
    const waiters: Array<{ line: string; resolve: () => void }> = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const waiter of [...waiters]) {
        if (output.split('\n').includes(waiter.line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
    const printed = (line: string) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ line, resolve });
        child.once('exit', (code) => reject(new Error(`worker exited (${code}) before '${line}'`)));
      });
    return { child, printed };
  }

  beforeAll(async () => {
    redis = new Redis(redisUrl!);
    sink = new RedisCounterSink({ redis, prefix });
    const transport = testTransport(testKafka(brokers!.split(',')), { topic });
    const emitter = new ClickEmitter({ transport, secret: 'crash-test' });
    for (let i = 0; i < CLICKS; i++) {
      emitter.emit({
        code: CODES[i % CODES.length]!,
        ip: `203.0.113.${i % 250}`,
        userAgent: HUMAN_UA,
      });
    }
    await emitter.close(SLOW_BROKER);
    expect(emitter.counters().sent).toBe(CLICKS);
    await transport.close();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    redis?.disconnect();
  });

  it('counts exactly once after a SIGKILL mid-batch and a restart', async () => {
    const first = startWorker(true);
    await first.printed('mid-batch');
    const partial = await totalClicks(sink, CODES);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    // Half a batch reached Redis, its offsets were never committed.
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(CLICKS);

    const second = startWorker(false);
    await second.printed('ready');
    await waitFor(
      'every click counted',
      async () => (await totalClicks(sink, CODES)) >= CLICKS,
      40_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await totalClicks(sink, CODES)).toBe(CLICKS);
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }, 90_000);
});
