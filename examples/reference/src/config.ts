import { hostname } from 'node:os';
import { CLICK_TOPIC } from '@linkpulse/core';
import type { TrustProxy } from '@linkpulse/core/http';
import { ConfigError, type Env, integer, list, optional, port, required } from './env.js';

/** Settings both processes share. */
export interface CommonConfig {
  /** `PORT`: HTTP port (app default 3000, worker default 9100; 0 picks a free one). */
  port: number;
  /** `HOST`, default `127.0.0.1`; `0.0.0.0` in containers. */
  host: string;
  /** `NODE_NAME`, default the host name: Kafka client id and log field. */
  nodeName: string;
  /** `KAFKA_BROKERS`: `host:port` list. */
  kafkaBrokers: string[];
  /** `KAFKA_TOPIC`, default `linkpulse.click.v1`. */
  kafkaTopic: string;
  /** `LINKPULSE_API_KEY`: guards the management API (app) and the stats route (worker). */
  apiKey: string | undefined;
  /** `LOG_LEVEL`, default `info`. */
  logLevel: string;
  /** `SHUTDOWN_TIMEOUT_MS`, default 15 s: after SIGTERM, exit 1 past this. */
  shutdownTimeoutMs: number;
}

/** A node of a Redis Cluster, as ioredis's `Cluster` takes it. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/**
 * Where Redis is: one server (`REDIS_URL`, which also carries a password and `rediss://`
 * for TLS), or the seed nodes of a Redis Cluster (`REDIS_CLUSTER_NODES`, `host:port` list,
 * with `REDIS_PASSWORD` when the nodes require one; no TLS).
 */
export type RedisTarget =
  | { url: string }
  | { clusterNodes: RedisClusterNode[]; password: string | undefined };

/** Settings of an app node (`src/app.ts`). */
export interface AppConfig extends CommonConfig {
  /**
   * `REDIS_URL` or `REDIS_CLUSTER_NODES` (one of them): links, code blocks,
   * invalidations, near-real-time counters.
   */
  redis: RedisTarget;
  /**
   * `CLICKHOUSE_URL`, optional: stats of ranges that start before the Redis counters'
   * retention (`RECENT_STATS_DAYS`) are read from ClickHouse.
   */
  clickhouseUrl: string | undefined;
  /** `CLICKHOUSE_DATABASE`, default `linkpulse`. */
  clickhouseDatabase: string;
  /** `RECENT_STATS_DAYS`, default 90: what the Redis counters keep. */
  recentStatsDays: number;
  /** `LINKPULSE_SECRET`: the same on every node (visitor ids, code permutation). */
  secret: string;
  /** `LINKPULSE_BASE_URL`: public URL in front of the codes. */
  baseUrl: string | undefined;
  /** `TRUST_PROXY`: `true`, `false` (default), a hop count or a CIDR list (`10.0.0.0/8,::1`). */
  trustProxy: TrustProxy;
  /** `EMITTER_CAPACITY`, default 10,000 clicks buffered per node. */
  emitterCapacity: number;
  /** `EMITTER_BATCH_SIZE`, default 500 clicks per Kafka send. */
  emitterBatchSize: number;
  /** `EMITTER_FLUSH_MS`, default 250. */
  emitterFlushMs: number;
  /** `CODE_BLOCK_SIZE`, default 1,000 sequence ids fetched from Redis at a time. */
  codeBlockSize: number;
}

/** Sinks a worker pipeline can write. */
export type SinkName = 'redis' | 'clickhouse';

/** One consumer group of a worker process and the sinks it writes. */
export interface Pipeline {
  group: string;
  sinks: SinkName[];
}

/** Settings of a worker (`src/worker.ts`). */
export interface WorkerConfig extends CommonConfig {
  /**
   * `PIPELINES`, default `linkpulse-workers=redis,clickhouse`: `group=sink,sink` entries
   * separated by `;`. Each runs a ClickWorker in its own consumer group.
   */
  pipelines: Pipeline[];
  /** `REDIS_URL` or `REDIS_CLUSTER_NODES` (one of them), required when a pipeline writes `redis`. */
  redis: RedisTarget | undefined;
  /** `CLICKHOUSE_URL` (a server over HTTP)… */
  clickhouseUrl: string | undefined;
  /** …or `CHDB_PATH` (in-process chDB, one process per data directory). */
  chdbPath: string | undefined;
  /** `CLICKHOUSE_DATABASE`, default `linkpulse`. */
  clickhouseDatabase: string;
  /** `KAFKA_SESSION_TIMEOUT_MS`, default 30,000: how soon a dead worker's partitions move. */
  kafkaSessionTimeoutMs: number;
  /** `KAFKA_HEARTBEAT_MS`, default 3,000. */
  kafkaHeartbeatMs: number;
  /** `KAFKA_MIN_BYTES`, default 1: a fetch waits for this much data… */
  kafkaMinBytes: number;
  /** …or `KAFKA_MAX_WAIT_MS` (default 1,000), whichever comes first. */
  kafkaMaxWaitMs: number;
  /** `KAFKA_MAX_BYTES_PER_PARTITION`, default 1 MiB: bounds a batch (≈ 3,000 clicks). */
  kafkaMaxBytesPerPartition: number;
  /**
   * `KAFKA_PARTITIONS_CONCURRENTLY`, default 1: partitions a worker handles at once; set it
   * to the partitions a worker owns, so that their batches can share one sink write.
   */
  kafkaPartitionsConcurrently: number;
  /**
   * `KAFKA_FETCH_AHEAD`, default 0: batches a worker may fetch while earlier ones are still
   * being written (0: fetching and writing take turns). Offsets are committed in order.
   */
  kafkaFetchAhead: number;
  /** `WORKER_DEDUPE_WINDOW`, default 100,000 event ids remembered per pipeline. */
  dedupeWindow: number;
  /**
   * `WORKER_WRITE_LINGER_MS`, default 0: how long a sink write waits for the batches of
   * other partitions to join it (about 50 with `KAFKA_PARTITIONS_CONCURRENTLY` above 1).
   */
  writeLingerMs: number;
}

const SINKS: readonly SinkName[] = ['redis', 'clickhouse'];

function common(env: Env, defaultPort: number): CommonConfig {
  const kafkaBrokers = list(env, 'KAFKA_BROKERS');
  if (kafkaBrokers.length === 0) throw new ConfigError('KAFKA_BROKERS must be set');
  return {
    port: port(env, 'PORT', defaultPort),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    nodeName: optional(env, 'NODE_NAME') ?? hostname(),
    kafkaBrokers,
    kafkaTopic: optional(env, 'KAFKA_TOPIC') ?? CLICK_TOPIC,
    apiKey: optional(env, 'LINKPULSE_API_KEY'),
    logLevel: optional(env, 'LOG_LEVEL') ?? 'info',
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 15_000, { min: 1 }),
  };
}

/** Parses `TRUST_PROXY`. */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((entry) => entry.trim());
}

/** Parses one `host:port` of `REDIS_CLUSTER_NODES` (`[::1]:7000` for an IPv6 address). */
function clusterNode(entry: string): RedisClusterNode {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) {
    throw new ConfigError(`REDIS_CLUSTER_NODES entry "${entry}" must look like host:port`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/**
 * Reads `REDIS_URL` or `REDIS_CLUSTER_NODES` (with `REDIS_PASSWORD`); `undefined` when
 * neither is set and Redis is not `needed`.
 */
function redisTarget(env: Env, needed: true): RedisTarget;
function redisTarget(env: Env, needed: boolean): RedisTarget | undefined;
function redisTarget(env: Env, needed: boolean): RedisTarget | undefined {
  const url = optional(env, 'REDIS_URL');
  const nodes = list(env, 'REDIS_CLUSTER_NODES');
  const password = optional(env, 'REDIS_PASSWORD');
  if (url !== undefined && nodes.length > 0) {
    throw new ConfigError('set REDIS_URL or REDIS_CLUSTER_NODES, not both');
  }
  if (password !== undefined && nodes.length === 0) {
    throw new ConfigError(
      'REDIS_PASSWORD goes with REDIS_CLUSTER_NODES (with REDIS_URL, put it in the URL: redis://:password@host:6379)',
    );
  }
  if (url !== undefined) return { url };
  if (nodes.length > 0) return { clusterNodes: nodes.map(clusterNode), password };
  if (needed) throw new ConfigError('REDIS_URL or REDIS_CLUSTER_NODES must be set');
  return undefined;
}

/** Reads an app node's settings; throws {@link ConfigError} naming what is wrong. */
export function loadAppConfig(env: Env = process.env): AppConfig {
  return {
    ...common(env, 3000),
    redis: redisTarget(env, true),
    clickhouseUrl: optional(env, 'CLICKHOUSE_URL'),
    clickhouseDatabase: optional(env, 'CLICKHOUSE_DATABASE') ?? 'linkpulse',
    recentStatsDays: integer(env, 'RECENT_STATS_DAYS', 90, { min: 1 }),
    secret: required(env, 'LINKPULSE_SECRET'),
    baseUrl: optional(env, 'LINKPULSE_BASE_URL'),
    trustProxy: parseTrustProxy(optional(env, 'TRUST_PROXY')),
    emitterCapacity: integer(env, 'EMITTER_CAPACITY', 10_000, { min: 1 }),
    emitterBatchSize: integer(env, 'EMITTER_BATCH_SIZE', 500, { min: 1 }),
    emitterFlushMs: integer(env, 'EMITTER_FLUSH_MS', 250, { min: 1 }),
    codeBlockSize: integer(env, 'CODE_BLOCK_SIZE', 1_000, { min: 1 }),
  };
}

/** Parses `PIPELINES` (see {@link WorkerConfig.pipelines}). */
export function parsePipelines(text: string): Pipeline[] {
  const pipelines = text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): Pipeline => {
      const [group = '', sinks = '', extra] = entry.split('=').map((part) => part.trim());
      const names = sinks.split(',').map((sink) => sink.trim());
      if (group === '' || extra !== undefined || names.some((sink) => !isSinkName(sink))) {
        throw new ConfigError(
          `PIPELINES entry "${entry}" must look like group=${SINKS.join(',')} (sinks: ${SINKS.join(', ')})`,
        );
      }
      return { group, sinks: [...new Set(names as SinkName[])] };
    });
  if (pipelines.length === 0) throw new ConfigError('PIPELINES names no pipeline');
  const groups = pipelines.map((pipeline) => pipeline.group);
  if (new Set(groups).size !== groups.length) {
    throw new ConfigError('PIPELINES names a consumer group twice');
  }
  return pipelines;
}

/** Whether any of `pipelines` writes `sink`. */
export function usesSink(pipelines: readonly Pipeline[], sink: SinkName): boolean {
  return pipelines.some((pipeline) => pipeline.sinks.includes(sink));
}

function isSinkName(name: string): name is SinkName {
  return (SINKS as readonly string[]).includes(name);
}

/** Reads a worker's settings; throws {@link ConfigError} naming what is wrong. */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const pipelines = parsePipelines(
    optional(env, 'PIPELINES') ?? 'linkpulse-workers=redis,clickhouse',
  );
  const uses = (sink: SinkName) => usesSink(pipelines, sink);
  const clickhouseUrl = optional(env, 'CLICKHOUSE_URL');
  const chdbPath = optional(env, 'CHDB_PATH');
  if (uses('clickhouse') && (clickhouseUrl === undefined) === (chdbPath === undefined)) {
    throw new ConfigError('a clickhouse pipeline needs CLICKHOUSE_URL or CHDB_PATH (one of them)');
  }
  return {
    ...common(env, 9100),
    pipelines,
    redis: redisTarget(env, uses('redis')),
    clickhouseUrl,
    chdbPath,
    clickhouseDatabase: optional(env, 'CLICKHOUSE_DATABASE') ?? 'linkpulse',
    kafkaSessionTimeoutMs: integer(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, { min: 1_000 }),
    kafkaHeartbeatMs: integer(env, 'KAFKA_HEARTBEAT_MS', 3_000, { min: 100 }),
    kafkaMinBytes: integer(env, 'KAFKA_MIN_BYTES', 1, { min: 1 }),
    kafkaMaxWaitMs: integer(env, 'KAFKA_MAX_WAIT_MS', 1_000, { min: 1 }),
    kafkaMaxBytesPerPartition: integer(env, 'KAFKA_MAX_BYTES_PER_PARTITION', 1_048_576, {
      min: 1_024,
    }),
    kafkaPartitionsConcurrently: integer(env, 'KAFKA_PARTITIONS_CONCURRENTLY', 1, { min: 1 }),
    kafkaFetchAhead: integer(env, 'KAFKA_FETCH_AHEAD', 0),
    dedupeWindow: integer(env, 'WORKER_DEDUPE_WINDOW', 100_000),
    writeLingerMs: integer(env, 'WORKER_WRITE_LINGER_MS', 0),
  };
}
