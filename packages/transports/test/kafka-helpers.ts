import { randomUUID } from 'node:crypto';
import { type ClickEvent, recordToObject, type StatsReader } from '@linkpulse/core';
import {
  type KafkaClient,
  type KafkaConsumerSettings,
  type KafkaFlavor,
  KafkaTransport,
  type KafkaTransportOptions,
} from '@linkpulse/transports/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

/**
 * Consumer settings that suit librdkafka's mock cluster: short sessions (a dead member is
 * noticed in seconds) and short fetch waits.
 */
export const TEST_CONSUMER: KafkaConsumerSettings = {
  sessionTimeout: 6_000,
  heartbeatInterval: 1_000,
  maxWaitTimeInMs: 100,
};

/** A kafkajs client for `brokers`, quiet, with short retries so outages surface quickly. */
export function testKafka(brokers: readonly string[]): Kafka {
  return new Kafka({
    clientId: `linkpulse-test-${randomUUID().slice(0, 8)}`,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

/** The client a shared suite runs the transport on, and how the transport drives it. */
export interface TestClient {
  flavor: KafkaFlavor;
  /** A new client of `brokers`, quiet, with short retries. */
  connect(brokers: readonly string[]): KafkaClient;
  /**
   * Whether `replay` works against the mock broker: it asks the admin client for the
   * topic's offsets, which confluent's gets with a DescribeTopics request to the cluster
   * controller, and the mock names a controller (id 0) that no broker has.
   */
  replaysOnMock: boolean;
}

/** kafkajs, the default flavor. */
export const KAFKAJS_CLIENT: TestClient = {
  flavor: 'kafkajs',
  connect: testKafka,
  replaysOnMock: true,
};

/** A topic name no other test uses; the mock creates it (4 partitions) on first use. */
export function uniqueTopic(): string {
  return `linkpulse.click.v1.test-${randomUUID().slice(0, 8)}`;
}

/**
 * A {@link KafkaTransport} with the test settings above, on a kafkajs client or, with
 * `flavor: 'confluent'`, on one of @confluentinc/kafka-javascript.
 */
export function testTransport(
  kafka: KafkaClient,
  options: Omit<KafkaTransportOptions, 'kafka'> = {},
): KafkaTransport {
  return new KafkaTransport({
    kafka,
    // kafkajs warns unless a partitioner is chosen; confluent's KafkaJS API refuses
    // createPartitioner (its murmur2_random hashes keys as the DefaultPartitioner does).
    producer:
      options.flavor === 'confluent' ? {} : { createPartitioner: Partitioners.DefaultPartitioner },
    consumer: TEST_CONSUMER,
    retryBackoff: { initialMs: 50, maxMs: 500 },
    ...options,
  });
}

/** `count` click events for `code`, with ids `${code}-0000`, … and consecutive timestamps. */
export function clickEvents(code: string, count: number, firstTs = Date.now()): ClickEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: 1,
    id: `${code}-${String(i).padStart(4, '0')}`,
    code,
    ts: firstTs + i,
    visitorId: 'AAAAAAAAAAAAAAAA',
    ipPrefix: '203.0.113.0',
    ua: 'Mozilla/5.0 (kafka test)',
    referer: null,
    method: 'GET',
    utm: null,
  }));
}

/** The ids of the click events among `records` (message values as a consumer hands them). */
export function idsOf(records: readonly unknown[]): string[] {
  return records.map((record) => (recordToObject(record) as ClickEvent).id);
}

/** A promise that the test settles itself. */
export function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `done()` holds; rejects after `timeoutMs`. */
export async function waitFor(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A desktop browser: clicks with it count as human in the stats. */
export const HUMAN_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

/** Clicks (human and bot) counted per code in the last day. */
export async function clickCounts(
  reader: StatsReader,
  codes: readonly string[],
): Promise<Record<string, number>> {
  const query = {
    from: new Date(Date.now() - 86_400_000),
    to: new Date(Date.now() + 3_600_000),
    interval: 'day' as const,
    top: 1,
  };
  const counts: Record<string, number> = {};
  for (const code of codes) {
    const stats = await reader.stats(code, query);
    counts[code] = stats.total + stats.bots;
  }
  return counts;
}

/** The sum of {@link clickCounts}. */
export async function totalClicks(reader: StatsReader, codes: readonly string[]) {
  const counts = await clickCounts(reader, codes);
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/**
 * Close options for emitters in tests: the shared mock broker serves every test file at
 * once and can be slow; a close that gives up early would count clicks as dropped.
 */
export const SLOW_BROKER = { timeoutMs: 30_000 };
