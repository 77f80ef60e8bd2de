import { createHmac } from 'node:crypto';
import {
  type Analytics,
  createShortener,
  SequenceCodeGenerator,
  type StatsReader,
} from '@linkpulse/core';
import { ROUTES } from '@linkpulse/core/http';
import { registerEmitterMetrics, registerRedirectMetrics } from '@linkpulse/core/prometheus';
import { linkpulse } from '@linkpulse/fastify';
import { ClickHouseSink } from '@linkpulse/sinks/clickhouse';
import { RedisCounterSink } from '@linkpulse/sinks/redis';
import { RedisBlockAllocator, RedisInvalidationBus, RedisLinkStore } from '@linkpulse/stores/redis';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { connectRedis, openClickHouse } from './backends.js';
import type { AppConfig } from './config.js';
import { createKafka, createTransport } from './kafka.js';
import { addOpsRoutes, createServer } from './ops.js';
import { TieredStatsReader } from './tiered-stats.js';

/** Paths of the redirect routes, as Fastify reports them in `routeOptions.url`. */
const REDIRECT_PATHS: ReadonlySet<string> = new Set(
  ROUTES.filter((route) => route.group === 'redirect').map((route) => route.path),
);

/** A key for one purpose derived from the shared secret, so no two uses share a key. */
function subkey(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`linkpulse:${purpose}`).digest();
}

/**
 * One stateless app node: the Fastify plugin over a shortener whose links live in Redis
 * (codes from sequence blocks of a shared Redis counter, cache invalidations over Redis
 * pub/sub) and whose clicks go to Kafka; stats come from the Redis counters the workers
 * keep (and from ClickHouse for old ranges when `CLICKHOUSE_URL` is set). Adds
 * `/healthz`, `/readyz` (Redis answers) and `/metrics`. Closing it stops accepting
 * requests, flushes the clicks still buffered to Kafka and closes the connections.
 */
export async function createAppNode(config: AppConfig): Promise<FastifyInstance> {
  const app = createServer(config);
  const redis = await connectRedis(config.redisUrl, `${config.nodeName}:app`);
  const bus = new RedisInvalidationBus({ redis });
  await bus.ready();
  const kafka = createKafka({
    brokers: config.kafkaBrokers,
    clientId: config.nodeName,
    logger: app.log,
  });
  const transport = createTransport(kafka, config.kafkaTopic);

  const recent = new RedisCounterSink({ redis });
  const history = config.clickhouseUrl
    ? new ClickHouseSink({
        client: await openClickHouse({ url: config.clickhouseUrl }),
        database: config.clickhouseDatabase,
      })
    : undefined;
  const stats: StatsReader = history
    ? new TieredStatsReader({ recent, history, recentDays: config.recentStatsDays })
    : recent;
  const analytics: Analytics = {
    producer: transport,
    stats,
    async close() {
      await transport.close();
      await history?.close();
    },
  };

  const secret = subkey(config.secret, 'visitors');
  const shortener = await createShortener({
    store: new RedisLinkStore({ redis }),
    codes: new SequenceCodeGenerator({
      allocator: new RedisBlockAllocator({ redis }),
      secret: subkey(config.secret, 'codes'),
      blockSize: config.codeBlockSize,
    }),
    resolver: { bus },
    secret,
    emitter: {
      capacity: config.emitterCapacity,
      maxBatchSize: config.emitterBatchSize,
      flushIntervalMs: config.emitterFlushMs,
      onError: (error) => app.log.warn({ err: error }, 'click batch not sent yet'),
    },
    analytics,
  });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerEmitterMetrics(shortener.emitter, { registry });
  const redirects = registerRedirectMetrics({ registry });
  app.addHook('onResponse', async (request, reply) => {
    if (REDIRECT_PATHS.has(request.routeOptions.url ?? '')) {
      redirects.observe(reply.elapsedTime / 1000, reply.statusCode);
    }
  });

  // Closed here rather than by the plugin, so that the connections close after it.
  app.addHook('onClose', async () => {
    await shortener.close({ timeoutMs: Math.min(5_000, config.shutdownTimeoutMs / 2) });
    await bus.close();
    await redis.quit();
  });
  await app.register(linkpulse, {
    shortener,
    closeShortener: false,
    apiKey: config.apiKey,
    baseUrl: config.baseUrl,
    trustProxy: config.trustProxy,
  });
  addOpsRoutes(app, { registry, probes: { redis: () => redis.ping() } });
  return app;
}
