import { ClickWorker, createShortener, MemorySink, type ShortenerHandle } from '@linkpulse/core';
import { linkpulse } from '@linkpulse/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaMock, startKafkaMock } from '../../../tools/services/kafka.js';
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

// A private one-broker cluster: taking the shared one down would fail other test files.
const available = requireService('kafka') !== undefined;
const OUTAGE_MS = 5_000;
/** Redirects in flight at once, as a handful of browsers would make them. */
const LANES = 4;
/** Redirects per second across all lanes: a steady stream, the same on any machine. */
const RATE = 500;
/** Far above the emitter's capacity: a redirect never pushes a click out of the buffer. */
const EMITTER_CAPACITY = 50_000;
const CODES = ['outage-a', 'outage-b', 'outage-c'];
const TARGET = (code: string) => `https://example.com/landing/${code}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Redirect {
  code: string;
  status: number;
  location: string | null;
  ms: number;
}

/**
 * The redirect side of a broker outage, over real HTTP: a Fastify app whose shortener
 * emits clicks to Kafka keeps answering redirects at full speed while the broker is down;
 * the clicks are buffered and reach the worker after recovery.
 */
describe.skipIf(!available)('redirects through a 5 s Kafka outage', () => {
  let mock: KafkaMock;
  let app: FastifyInstance;
  let shortener: ShortenerHandle;
  let worker: ClickWorker;
  const sink = new MemorySink();
  let origin: string;

  beforeAll(async () => {
    mock = await startKafkaMock({ brokers: 1, topics: {} });
    const topic = uniqueTopic();
    await mock.createTopic(topic, 4);
    // The app node and the worker node each have a client of their own.
    const producer = testTransport(testKafka(mock.brokers), { topic });
    const consumer = testTransport(testKafka(mock.brokers), { topic });
    worker = new ClickWorker({ consumer, sinks: [sink], group: `${topic}-workers` });
    await worker.start();
    shortener = await createShortener({
      secret: 'redirect-outage-test',
      emitter: {
        capacity: EMITTER_CAPACITY,
        flushIntervalMs: 50,
        sendTimeoutMs: 2_000,
        retry: { initialDelayMs: 50, maxDelayMs: 500 },
      },
      analytics: {
        producer,
        stats: sink,
        async close() {
          await worker.stop();
          await Promise.all([producer.close(), consumer.close()]);
        },
      },
    });
    for (const code of CODES) await shortener.shorten({ url: TARGET(code), code });
    app = Fastify();
    await app.register(linkpulse, { shortener });
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app?.close(); // closes the shortener: emitter, worker, transports
    await mock?.stop();
  });

  /** Follows nothing: one GET of a short link, timed from request to response headers. */
  const redirect = async (code: string): Promise<Redirect> => {
    const started = performance.now();
    const response = await fetch(`${origin}/${code}`, {
      redirect: 'manual',
      headers: { 'user-agent': HUMAN_UA },
    });
    const ms = performance.now() - started;
    await response.arrayBuffer();
    return { code, status: response.status, location: response.headers.get('location'), ms };
  };

  /** Redirects from {@link LANES} lanes for `ms`, at most {@link RATE} per second. */
  const redirectFor = async (ms: number): Promise<Redirect[]> => {
    const results: Redirect[] = [];
    const start = Date.now();
    const lane = async (offset: number) => {
      for (let n = 0; ; n++) {
        const due = start + ((n * LANES + offset) * 1_000) / RATE;
        if (due >= start + ms) return;
        if (due > Date.now()) await sleep(due - Date.now());
        results.push(await redirect(CODES[(n * LANES + offset) % CODES.length]!));
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
    return results;
  };

  it('every redirect answers at once while the broker is down; every click is counted after recovery', async () => {
    const before = await redirectFor(1_000);
    await mock.brokerDown();
    const during = await redirectFor(OUTAGE_MS);
    await mock.brokerUp();
    const after = await redirectFor(1_000);
    const all = [...before, ...during, ...after];

    // Every redirect answered, and with the right target.
    expect(during.length).toBeGreaterThan(0);
    for (const { code, status, location } of all) {
      expect({ status, location }).toEqual({ status: 302, location: TARGET(code) });
    }
    // No redirect waited on the transport: a redirect that did would have taken about as
    // long as a send attempt (2 s) or the outage. A coarse bound, not a performance target.
    const slowest = Math.max(...all.map(({ ms }) => ms));
    expect(slowest).toBeLessThan(OUTAGE_MS / 2);

    // The emitter buffered through the outage and delivered everything after it.
    await shortener.emitter.flush();
    const counters = shortener.emitter.counters();
    expect(counters.failedSends).toBeGreaterThan(0);
    expect(counters.emitted).toBe(all.length);
    expect(counters.sent + counters.dropped).toBe(counters.emitted);
    expect(counters.dropped).toBe(0);

    // The worker counts exactly one click per redirect, per code.
    await waitFor(
      'every click counted',
      async () => (await totalClicks(sink, CODES)) >= all.length,
      SLOW_BROKER.timeoutMs,
    );
    for (const code of CODES) {
      const expected = all.filter((result) => result.code === code).length;
      expect(await totalClicks(sink, [code])).toBe(expected);
    }
  }, 60_000);
});
