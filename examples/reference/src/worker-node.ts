import {
  type ClickSink,
  ClickWorker,
  isLinkPulseError,
  normalizeStatsQuery,
  type StatsInterval,
  type StatsQuery,
} from '@linkpulse/core';
import { createApiKeyCheck, errorReply, unauthorizedError } from '@linkpulse/core/http';
import {
  createPipelineMetrics,
  registerConsumerLag,
  registerWorkerMetrics,
} from '@linkpulse/core/prometheus';
import { ClickHouseSink, migrate } from '@linkpulse/sinks/clickhouse';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import type { RedisClient } from '@linkpulse/stores/redis';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { connectRedis, openClickHouse } from './backends.js';
import { type SinkName, usesSink, type WorkerConfig } from './config.js';
import { createKafka, createLagReader, createTransport } from './kafka.js';
import { addOpsRoutes, createServer, type Probe } from './ops.js';

/** Query string of the worker's ClickHouse stats route. */
interface StatsQueryString {
  from?: string;
  to?: string;
  interval?: StatsInterval;
  top?: string;
}

function statsQuery(query: StatsQueryString): Partial<StatsQuery> {
  return {
    ...(query.from !== undefined && { from: new Date(query.from) }),
    ...(query.to !== undefined && { to: new Date(query.to) }),
    ...(query.interval !== undefined && { interval: query.interval }),
    ...(query.top !== undefined && { top: Number(query.top) }),
  };
}

/**
 * A worker process: one {@link ClickWorker} per configured pipeline (a consumer group
 * and its sinks: the Redis counters and/or ClickHouse), all reading the click topic.
 * Adds `/healthz`, `/readyz` (Kafka, Redis and ClickHouse answer), `/metrics` (batches,
 * sinks, consumer lag per partition) and, when it writes ClickHouse,
 * `GET /clickhouse/stats/:code` (the stats reader over its aggregates, behind the API
 * key). Resolves once every pipeline joined its group. Closing it stops consuming after
 * the batch in hand is written and committed, then closes the sinks.
 */
export async function createWorkerNode(config: WorkerConfig): Promise<FastifyInstance> {
  const app = createServer(config);
  const uses = (sink: SinkName) => usesSink(config.pipelines, sink);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createPipelineMetrics({ registry });
  const probes: Record<string, Probe> = {};
  const sinks = new Map<SinkName, ClickSink>();
  const closers: (() => Promise<unknown>)[] = [];

  let redis: RedisClient | undefined;
  if (uses('redis')) {
    const connection = await connectRedis(config.redis!, `${config.nodeName}:worker`);
    redis = connection;
    probes.redis = () => connection.ping();
    sinks.set('redis', metrics.sink(new RedisCounterSink({ redis: connection }), 'redis'));
  }
  let clickhouse: ClickHouseSink | undefined;
  if (uses('clickhouse')) {
    const client = await openClickHouse(
      config.clickhouseUrl ? { url: config.clickhouseUrl } : { chdbPath: config.chdbPath! },
    );
    await migrate(client, { database: config.clickhouseDatabase });
    const sink = new ClickHouseSink({ client, database: config.clickhouseDatabase });
    clickhouse = sink;
    probes.clickhouse = async () => {
      const answer = await client.ping();
      if (!answer.success) throw answer.error;
    };
    sinks.set('clickhouse', metrics.sink(sink, 'clickhouse'));
  }

  const kafka = createKafka({
    brokers: config.kafkaBrokers,
    clientId: config.nodeName,
    logger: app.log,
  });
  const transport = createTransport(
    kafka,
    config.kafkaTopic,
    {
      sessionTimeout: config.kafkaSessionTimeoutMs,
      heartbeatInterval: config.kafkaHeartbeatMs,
      minBytes: config.kafkaMinBytes,
      maxWaitTimeInMs: config.kafkaMaxWaitMs,
      maxBytesPerPartition: config.kafkaMaxBytesPerPartition,
    },
    {
      partitionsConsumedConcurrently: config.kafkaPartitionsConcurrently,
      fetchAhead: config.kafkaFetchAhead,
    },
  );
  const groups = config.pipelines.map(({ group }) => group);
  const lag = createLagReader(kafka, config.kafkaTopic, groups);
  probes.kafka = () => lag.probe();
  registerConsumerLag(() => lag.read(), {
    registry,
    onError: (error) => app.log.warn({ err: error }, 'consumer lag unavailable'),
  });

  const consumer = metrics.consumer(transport);
  const workers = config.pipelines.map(
    ({ group, sinks: names }) =>
      new ClickWorker({
        consumer,
        deadLetters: transport,
        sinks: names.map((name) => sinks.get(name)!),
        group,
        dedupeWindow: config.dedupeWindow,
        writeLingerMs: config.writeLingerMs,
        onError: (error, context) =>
          app.log.warn({ err: error, group, ...context }, 'click worker problem'),
      }),
  );
  registerWorkerMetrics(
    workers.map((worker, index) => ({ labels: { group: groups[index]! }, worker })),
    { registry },
  );

  closers.push(
    () => Promise.all(workers.map((worker) => worker.stop())),
    () => transport.close(),
    () => lag.close(),
    () => Promise.all([...sinks.values()].map((sink) => sink.close())),
    async () => redis?.quit(),
  );
  app.addHook('onClose', async () => {
    for (const close of closers) {
      await close().catch((error: unknown) => app.log.error({ err: error }, 'closing failed'));
    }
  });

  if (clickhouse) {
    const reader = clickhouse;
    const authorized = config.apiKey ? createApiKeyCheck(config.apiKey) : () => true;
    app.get<{ Params: { code: string }; Querystring: StatsQueryString }>(
      '/clickhouse/stats/:code',
      async (request, reply) => {
        const fail = (error: Parameters<typeof errorReply>[0]) => {
          const { status, headers, body } = errorReply(error);
          return reply.code(status).headers(headers).send(body);
        };
        if (!authorized(request.headers)) return fail(unauthorizedError());
        try {
          const query = normalizeStatsQuery(statsQuery(request.query));
          return await reader.stats(request.params.code, query);
        } catch (error) {
          if (isLinkPulseError(error)) return fail(error);
          throw error;
        }
      },
    );
  }
  addOpsRoutes(app, { registry, probes });

  try {
    await Promise.all(workers.map((worker) => worker.start()));
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
