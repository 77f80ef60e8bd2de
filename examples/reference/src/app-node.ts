import { createHmac } from 'node:crypto';
import {
  type Analytics,
  createShortener,
  createThreadedAnalytics,
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
import { addOpsRoutes, createServer } from './ops.js';
import type { ProducerThreadData } from './producer-thread.js';
import { TieredStatsReader } from './tiered-stats.js';

/** Paths of the redirect routes, as Fastify reports them in `routeOptions.url`. */
const REDIRECT_PATHS: ReadonlySet<string> = new Set(
  ROUTES.filter((route) => route.group === 'redirect').map((route) => route.path),
);

/**
 * The producer thread's module: `producer-thread.js` beside the bundle, or the `.ts` source
 * when this runs from sources (tsx), by the extension of this module.
 */
function producerThreadModule(): URL {
  const here = import.meta.url;
  return new URL(`./producer-thread${here.slice(here.lastIndexOf('.'))}`, here);
}

/** A key for one purpose derived from the shared secret, so no two uses share a key. */
function subkey(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`linkpulse:${purpose}`).digest();
}

/**
 * One stateless app node: the Fastify plugin over a shortener whose links live in Redis
 * (codes from sequence blocks of a shared Redis counter, cache invalidations over Redis
 * pub/sub) and whose clicks go to Kafka from a producer thread (which builds the events
 * and runs the Kafka client off the request thread); stats come from the Redis counters the workers
 * keep (and from ClickHouse for old ranges when `CLICKHOUSE_URL` is set). Adds
 * `/healthz`, `/readyz` (Redis answers, the producer thread runs) and `/metrics`. Closing it stops accepting
 * requests, flushes the clicks still buffered to Kafka and closes the connections.
 */
export async function createAppNode(config: AppConfig): Promise<FastifyInstance> {
  const app = createServer(config);
  const redis = await connectRedis(config.redis, `${config.nodeName}:app`);
  const bus = new RedisInvalidationBus({ redis });
  await bus.ready();
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
  const producerThread = await createThreadedAnalytics<ProducerThreadData>({
    module: producerThreadModule(),
    data: {
      brokers: config.kafkaBrokers,
      topic: config.kafkaTopic,
      nodeName: config.nodeName,
      logLevel: config.logLevel,
    },
    onError: (error, context) => app.log.error({ err: error, ...context }, 'producer thread'),
  });
  const analytics: Analytics = {
    producer: producerThread.producer,
    stats,
    async close(options) {
      await producerThread.close(options);
      await history?.close();
    },
  };

  // On a Cluster, one hash tag keeps a link and the code index in one slot (the store's
  // scripts touch both); the code counter takes the same tag. The counter sink keeps its
  // default prefix: its keys carry a tag per code, which spreads them over the masters.
  const prefix = redis.isCluster ? '{lp}:' : 'lp:';
  const secret = subkey(config.secret, 'visitors');
  const shortener = await createShortener({
    store: new RedisLinkStore({ redis, prefix }),
    codes: new SequenceCodeGenerator({
      allocator: new RedisBlockAllocator({ redis, key: `${prefix}seq` }),
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
  addOpsRoutes(app, {
    registry,
    probes: {
      redis: () => redis.ping(),
      // A crashed producer thread is not restarted: the node must be.
      'producer-thread': async () => {
        if (!producerThread.running) throw new Error('the producer thread is not running');
      },
    },
  });
  return app;
}
