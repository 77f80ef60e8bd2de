import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import {
  ClickEmitter,
  ClickWorker,
  createUlid,
  Enricher,
  toClickEvent,
  VisitorHasher,
} from '@linkpulse/core';
import { ClickHouseSink, migrate, type RawClickRow, toRawRow } from '@linkpulse/sinks/clickhouse';
import { createChdbConnection } from 'chdb/connection';
import { Partitioners } from 'kafkajs';
import { BENCH_SECRET, benchClick } from '../traffic/clicks.js';
import { pipelineResult, startClock } from './clock.js';
import { benchKafka, benchKafkaTransport, EVENTS_PER_MESSAGE } from './kafka-client.js';
import { emitPaced, waitFor } from './pace.js';
import type { PipelineResult, PipelineSpec } from './pipeline-types.js';

/** Topic prefix of the raw kafkajs baseline (auto-created, 4 partitions on the mock cluster). */
const RAW_TOPIC = 'bench.raw.v1';
/** Partitions of the click topic on the mock cluster (see `tools/services/kafka.ts`). */
const PARTITIONS = 4;
/**
 * Clicks per producer send, in the pipeline (the emitter's `maxBatchSize`) and in the raw
 * kafkajs baseline alike: the Kafka transport README's throughput setting.
 */
const PRODUCE_BATCH = 5_000;
/** The emitter's buffer: room for the batch in flight and the next ones. */
const EMITTER_CAPACITY = 4 * PRODUCE_BATCH;
/**
 * Batches the worker's consumer may hold unwritten while it keeps fetching (the transport's
 * `fetchAhead`): four per partition, on the mock four sends' worth (20,000 clicks) in all.
 */
const FETCH_AHEAD = 4 * PARTITIONS;
/**
 * Rows per INSERT of the raw ClickHouse baseline: about what the pipeline's worker writes at
 * once (chDB spends ~6 ms per INSERT whatever its size, so smaller inserts would understate
 * what ClickHouse can take).
 */
const RAW_INSERT_ROWS = 10_000;
const TIMEOUT_MS = 120_000;

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** An in-process ClickHouse (chDB) on `path`, behind the official client. */
function chdbClient(path: string): ClickHouseClient {
  // chdb types its connection against its own copy of @clickhouse/client-common.
  return createClient({
    connection: createChdbConnection({ path }) as unknown as ClientConnection,
  });
}

/**
 * The ClickHouse of a pipeline run: chDB in this process, or in `kafka-clickhouse-http`
 * mode the server at `spec.clickhouseUrl` with a database of this run's own (dropped at
 * the end of the run, so a round does not start on the previous rounds' data).
 */
function pipelineClickHouse(spec: PipelineSpec): { client: ClickHouseClient; database?: string } {
  if (spec.mode !== 'kafka-clickhouse-http') {
    return { client: chdbClient(`${spec.dir}/chdb-pipeline`) };
  }
  if (!spec.clickhouseUrl) throw new RangeError('kafka-clickhouse-http needs clickhouseUrl');
  return {
    client: createClient({ url: spec.clickhouseUrl }),
    database: `bench_${Date.now().toString(36)}`,
  };
}

/**
 * The distributed pipeline in one process: emitter → Kafka transport → worker (consumer
 * group, enrichment) → ClickHouse sink on chDB (or over HTTP, see
 * {@link pipelineClickHouse}), with the transport README's throughput
 * settings: emitter batches of {@link PRODUCE_BATCH} packed {@link EVENTS_PER_MESSAGE} clicks
 * per Kafka message, every partition consumed at once, fetching on during sink writes
 * ({@link FETCH_AHEAD}) and the batches in hand merged into one sink write. Timed from the first emit until the
 * worker has written every event, after one warm-up batch went all the way through.
 */
export async function kafkaToClickHouse(spec: PipelineSpec): Promise<PipelineResult> {
  const { client, database } = pipelineClickHouse(spec);
  await migrate(client, { database });
  const sink = new ClickHouseSink({ client, database });
  const transport = benchKafkaTransport(spec.brokers, {
    // The raw kafkajs baseline's fetch wait. The README's light-load advice (minBytes
    // 256 KiB, maxWaitTimeInMs about 1 s) left the worker idle here: librdkafka's mock
    // broker answers a fetch that found no data only when the whole wait has run out, even
    // if data arrives meanwhile (rdkafka_mock_handlers.c), where a real broker answers as
    // soon as minBytes arrived.
    consumer: {
      maxWaitTimeInMs: 100,
      // The runs share the consumer group, and the mock broker holds a new member's join
      // until the previous run's member has timed out: 6 s instead of kafkajs' 30 s.
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
    },
    partitionsConsumedConcurrently: PARTITIONS,
    fetchAhead: FETCH_AHEAD,
  });
  const worker = new ClickWorker({
    consumer: transport,
    deadLetters: transport,
    sinks: [sink],
    // No `writeLingerMs`: what arrived during one write goes into the next as soon as it ends.
  });
  await worker.start();
  const emitter = new ClickEmitter({
    transport,
    secret: BENCH_SECRET,
    maxBatchSize: PRODUCE_BATCH,
    capacity: EMITTER_CAPACITY,
  });
  const written = () => worker.counters().written;
  // Warm-up: producer connection, first fetch, first insert.
  for (let i = 0; i < 500; i++) emitter.emit(benchClick(spec.events + i));
  await emitter.flush();
  await waitFor(() => written() >= 500, TIMEOUT_MS, 'the warm-up batch');
  const base = written();
  const clock = startClock();
  await emitPaced(emitter, spec.events, () => written() - base, undefined, EMITTER_CAPACITY);
  await emitter.flush();
  await waitFor(
    () => written() - base + emitter.counters().dropped >= spec.events,
    TIMEOUT_MS,
    'the worker',
  );
  const reading = clock.stop();
  const { dropped } = emitter.counters();
  await emitter.close();
  await worker.stop();
  await transport.close();
  if (database) await client.command({ query: `DROP DATABASE \`${database}\`` });
  await sink.close();
  return pipelineResult(spec, written() - base, dropped, reading);
}

/**
 * The Kafka message values for `events` clicks: each click's JSON, or with `perMessage`
 * above 1, JSON arrays of that many clicks (as the transport packs them).
 */
function clickValues(events: number, perMessage: number): Buffer[] {
  const ulid = createUlid();
  const visitors = new VisitorHasher(BENCH_SECRET);
  const now = Date.now();
  const json = Array.from({ length: events }, (_, i) =>
    JSON.stringify(toClickEvent(benchClick(i), now + (i >> 4), ulid, visitors)),
  );
  if (perMessage === 1) return json.map((value) => Buffer.from(value));
  const values: Buffer[] = [];
  for (let i = 0; i < json.length; i += perMessage) {
    values.push(Buffer.from(`[${json.slice(i, i + perMessage).join(',')}]`));
  }
  return values;
}

/**
 * Baseline: kafkajs alone producing the clicks' JSON (batches of {@link PRODUCE_BATCH}
 * clicks, acks all) while a consumer group reads them with `eachBatch`, from the first send
 * until the last click was consumed. One keyed message per click; `kafkajs-raw-packed`
 * packs {@link EVENTS_PER_MESSAGE} clicks per message as the pipeline does. Values are built
 * before the clock starts.
 */
export async function rawKafkajs(spec: PipelineSpec): Promise<PipelineResult> {
  const perMessage = spec.mode === 'kafkajs-raw-packed' ? EVENTS_PER_MESSAGE : 1;
  if (spec.events % perMessage !== 0) {
    throw new RangeError(`the packed baseline needs a multiple of ${perMessage} events`);
  }
  const values = clickValues(spec.events, perMessage);
  const kafka = benchKafka(spec.brokers);
  const topic = `${RAW_TOPIC}.${Date.now()}`;
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-raw-${Date.now()}`, maxWaitTimeInMs: 100 });
  await producer.connect();
  // The first send creates the topic (a fresh one per run); the consumer reads it from the
  // start, and the clock starts once this warm-up message came through.
  await producer.send({ topic, messages: [{ value: 'warm-up' }] });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      // Every message holds perMessage clicks (spec.events is a multiple of it, see above).
      consumed += batch.messages.length * perMessage;
      resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });
  await waitFor(() => consumed > 0, TIMEOUT_MS, 'the warm-up message');
  consumed = 0;
  const clock = startClock();
  const messagesPerSend = PRODUCE_BATCH / perMessage;
  for (let i = 0; i < values.length; ) {
    const end = Math.min(values.length, i + messagesPerSend);
    const messages = [];
    for (; i < end; i++) {
      messages.push(
        perMessage === 1 ? { key: String(i % 1_000), value: values[i]! } : { value: values[i]! },
      );
    }
    await producer.send({ topic, acks: -1, messages });
    while (i * perMessage - consumed > 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  await waitFor(() => consumed >= spec.events, TIMEOUT_MS, 'the raw consumer');
  const reading = clock.stop();
  await consumer.disconnect();
  await producer.disconnect();
  return pipelineResult(spec, consumed, 0, reading);
}

/**
 * Baseline: the same enriched rows (built beforehand) inserted with the official client
 * into a plain MergeTree table of the raw table's columns, {@link RAW_INSERT_ROWS} rows
 * per `INSERT … FORMAT JSONCompactColumns` (the sink's format, one `JSON.stringify` per
 * insert), without the sink's duplicate check or views.
 */
export async function rawClickHouse(spec: PipelineSpec): Promise<PipelineResult> {
  const ulid = createUlid();
  const visitors = new VisitorHasher(BENCH_SECRET);
  const enricher = new Enricher();
  const now = Date.now();
  const rows = Array.from({ length: spec.events }, (_, i) =>
    toRawRow(enricher.enrich(toClickEvent(benchClick(i), now + (i >> 4), ulid, visitors))),
  );
  const client = chdbClient(`${spec.dir}/chdb-raw`);
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS bench' });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS bench.clicks (
      id String, code String, ts DateTime64(3, 'UTC'), visitor_id String, ip_prefix String,
      ua String, referer String, referer_host LowCardinality(String), method LowCardinality(String),
      device LowCardinality(String), browser LowCardinality(String), os LowCardinality(String),
      country LowCardinality(String), bot Bool, utm_source LowCardinality(String),
      utm_medium LowCardinality(String), utm_campaign String, utm_term String, utm_content String
    ) ENGINE = MergeTree ORDER BY (code, ts)`,
  });
  const columns = Object.keys(rows[0]!) as (keyof RawClickRow)[];
  const clock = startClock();
  for (let i = 0; i < rows.length; i += RAW_INSERT_ROWS) {
    const chunk = rows.slice(i, i + RAW_INSERT_ROWS);
    const body = JSON.stringify(columns.map((column) => chunk.map((row) => row[column])));
    const { stream } = await client.exec({
      query: `INSERT INTO bench.clicks (${columns.join(', ')}) FORMAT JSONCompactColumns`,
      values: Readable.from([body]),
    });
    await finished(stream.resume());
  }
  const reading = clock.stop();
  const count = await client.query({
    query: 'SELECT count() AS n FROM bench.clicks',
    format: 'JSONEachRow',
  });
  const [{ n }] = (await count.json()) as [{ n: string }];
  await client.close();
  return pipelineResult(spec, Number(n), 0, reading);
}
