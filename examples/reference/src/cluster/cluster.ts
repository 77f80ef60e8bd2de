/**
 * The reference topology as processes on this machine: nginx in front of app nodes,
 * Redis (one server or a Redis Cluster), the Kafka-protocol broker of the test harness,
 * and two workers, the first of which also owns ClickHouse (chDB in process).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLICK_TOPIC } from '@linkpulse/core';
import { Redis } from 'ioredis';
import { freePort } from '../../../../tools/services/free-port.js';
import { type KafkaMock, startKafkaMock } from '../../../../tools/services/kafka.js';
import { type NginxServer, startNginx } from '../../../../tools/services/nginx.js';
import { startRedis, startRedisCluster } from '../../../../tools/services/redis.js';
import { renderNginxConfig } from '../nginx-config.js';
import { type ExitStatus, NodeProcess } from './node-process.js';

/** The consumer group of the workers that keep the Redis counters. */
export const COUNTER_GROUP = 'linkpulse-workers';
/** The consumer group of the single ClickHouse writer (chDB allows one process per data directory). */
export const CLICKHOUSE_GROUP = 'linkpulse-clickhouse';

/**
 * Emitter settings of the local app nodes: one send per second of up to 2,000 clicks.
 * The mock broker hands a consumer one producer batch per partition per fetch, and every
 * ClickHouse insert through chDB costs tens of milliseconds whatever its size, so the
 * ClickHouse writer keeps up only when producer batches are large: few partitions, and
 * emitter batches that fill for a second. (A real broker returns up to
 * `KAFKA_MAX_BYTES_PER_PARTITION` per fetch; the Compose stack needs none of this.)
 */
const LOCAL_EMITTER_ENV: Readonly<Record<string, string>> = {
  EMITTER_FLUSH_MS: '1000',
  EMITTER_BATCH_SIZE: '2000',
};

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** App nodes behind nginx (default 3). */
  apps?: number;
  /** Workers in {@link COUNTER_GROUP} (default 2); the first also runs {@link CLICKHOUSE_GROUP}. */
  workers?: number;
  /**
   * Partitions of the click topic (default 2): at most this many workers share the work.
   * Few on purpose here, see {@link LOCAL_EMITTER_ENV}.
   */
  partitions?: number;
  /** API key of the management and stats routes (default random). */
  apiKey?: string;
  /** `LOG_LEVEL` of the processes (default `warn`). */
  logLevel?: string;
  /**
   * Redis as a Redis Cluster of `masters` nodes (`REDIS_CLUSTER_NODES`) instead of one
   * server (`REDIS_URL`); with `password`, every node requires it (`REDIS_PASSWORD`).
   */
  redisCluster?: { masters: number; password?: string };
  /** Extra environment of every app and worker. */
  env?: Readonly<Record<string, string>>;
  /** Told what is starting, for a progress display. */
  onProgress?: (message: string) => void;
}

/** A running local cluster. */
export interface Cluster {
  /** Holds `logs/` (one file per process) and `chdb/` (ClickHouse data). */
  readonly dir: string;
  /** nginx, the way in for clients. */
  readonly lbUrl: string;
  /** nginx's access log: one line per request with every upstream tried. */
  readonly accessLog: string;
  /** How the processes reach Redis: `REDIS_URL`, or `REDIS_CLUSTER_NODES` (and `REDIS_PASSWORD`). */
  readonly redisEnv: Readonly<Record<string, string>>;
  readonly kafkaBrokers: readonly string[];
  readonly topic: string;
  readonly apiKey: string;
  readonly apps: readonly NodeProcess[];
  readonly workers: readonly NodeProcess[];
  /** The worker that writes ClickHouse and serves `GET /clickhouse/stats/:code`. */
  readonly clickhouseWorker: NodeProcess;
  /**
   * Stops everything (SIGTERM to apps and workers) and resolves with how each process
   * ended; later calls return the same result.
   */
  stop(): Promise<Record<string, ExitStatus>>;
}

/** Starts the cluster; on failure stops whatever had started and rejects. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const progress = options.onProgress ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'linkpulse-cluster-'));
  await mkdir(join(dir, 'logs'));
  const apiKey = options.apiKey ?? randomBytes(16).toString('hex');
  const topic = CLICK_TOPIC;
  let redis: RunningRedis | undefined;
  let kafka: KafkaMock | undefined;
  let nginx: NginxServer | undefined;
  const processes: NodeProcess[] = [];

  let stopped: Promise<Record<string, ExitStatus>> | undefined;
  const stop = () => {
    stopped ??= stopAll();
    return stopped;
  };
  const stopAll = async (): Promise<Record<string, ExitStatus>> => {
    const exits: Record<string, ExitStatus> = {};
    await nginx?.stop();
    await Promise.all(
      processes.map(async (node) => {
        exits[node.name] = await node.stop('SIGTERM');
      }),
    );
    await kafka?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
    return exits;
  };

  try {
    progress('starting Redis and the Kafka-protocol broker');
    [redis, kafka] = await Promise.all([
      startRedisFor(options.redisCluster),
      startKafkaMock({
        brokers: 3,
        topics: { [topic]: options.partitions ?? 2, [`${topic}.dlq`]: 1 },
      }),
    ]);
    const common = {
      ...redis.env,
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC: topic,
      LINKPULSE_API_KEY: apiKey,
      LOG_LEVEL: options.logLevel ?? 'warn',
      HOST: '127.0.0.1',
      ...options.env,
    };
    const node = async (name: string, entry: string, env: Record<string, string>) =>
      new NodeProcess({
        name,
        entry,
        port: await freePort(),
        env: { ...common, NODE_NAME: name, ...env },
        logFile: join(dir, 'logs', `${name}.log`),
      });

    const workers: NodeProcess[] = [];
    for (let i = 1; i <= (options.workers ?? 2); i++) {
      const pipelines = [`${COUNTER_GROUP}=redis`];
      const env: Record<string, string> = {
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        KAFKA_HEARTBEAT_MS: '1000',
        KAFKA_MAX_WAIT_MS: '100',
        // Fetching goes on while a worker writes, so each write takes what came meanwhile.
        KAFKA_FETCH_AHEAD: '8',
      };
      if (i === 1) {
        pipelines.push(`${CLICKHOUSE_GROUP}=clickhouse`);
        env.CHDB_PATH = join(dir, 'chdb');
      }
      workers.push(
        await node(`worker-${i}`, 'src/worker.ts', { ...env, PIPELINES: pipelines.join(';') }),
      );
    }
    const secret = randomBytes(32).toString('base64url');
    const apps: NodeProcess[] = [];
    for (let i = 1; i <= (options.apps ?? 3); i++) {
      apps.push(
        await node(`app-${i}`, 'src/app.ts', {
          ...LOCAL_EMITTER_ENV,
          LINKPULSE_SECRET: secret,
          TRUST_PROXY: '1',
        }),
      );
    }
    processes.push(...workers, ...apps);
    progress(`starting ${workers.length} workers and ${apps.length} app nodes`);
    await Promise.all(processes.map((process) => process.start()));

    progress('starting nginx');
    nginx = await startNginx({
      config: (nginxDir, port) =>
        renderNginxConfig({
          listen: `127.0.0.1:${port}`,
          upstreams: apps.map((app) => `127.0.0.1:${app.port}`),
          workerProcesses: '1',
          files: {
            pid: join(nginxDir, 'nginx.pid'),
            errorLog: join(nginxDir, 'error.log'),
            accessLog: join(nginxDir, 'access.log'),
            temp: nginxDir,
          },
        }),
    });
    return {
      dir,
      lbUrl: `http://127.0.0.1:${nginx.port}`,
      accessLog: join(nginx.dir, 'access.log'),
      redisEnv: redis.env,
      kafkaBrokers: kafka.brokers,
      topic,
      apiKey,
      apps,
      workers,
      clickhouseWorker: workers[0]!,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Redis of the cluster, with the variables that point the processes at it. */
interface RunningRedis {
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** One server, or a Redis Cluster whose nodes may require a password; both with AOF. */
async function startRedisFor(cluster: ClusterOptions['redisCluster']): Promise<RunningRedis> {
  const persistence = { appendonly: true, appendfsync: 'everysec' } as const;
  if (!cluster) {
    const server = await startRedis(persistence);
    return { env: { REDIS_URL: server.url }, stop: () => server.stop() };
  }
  const { nodes, stop } = await startRedisCluster(cluster.masters, persistence);
  const { password } = cluster;
  if (password !== undefined) {
    try {
      for (const node of nodes) {
        const admin = new Redis({ ...node, lazyConnect: true });
        await admin.config('SET', 'requirepass', password).finally(() => admin.disconnect());
      }
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return {
    env: {
      REDIS_CLUSTER_NODES: nodes.map(({ host, port }) => `${host}:${port}`).join(','),
      ...(password !== undefined && { REDIS_PASSWORD: password }),
    },
    stop,
  };
}
