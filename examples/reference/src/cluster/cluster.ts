/**
 * The reference topology as processes on this machine: nginx in front of app nodes,
 * Redis (one server or a Redis Cluster), the Kafka-protocol broker and the ClickHouse HTTP
 * endpoint of the test harness, and workers that write the Redis counters and ClickHouse,
 * as in the Compose stack.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLICK_TOPIC } from '@linkpulse/core';
import { Redis } from 'ioredis';
import { type ClickHouseServer, startClickHouse } from '../../../../tools/services/clickhouse.js';
import { freePort } from '../../../../tools/services/free-port.js';
import { type KafkaMock, startKafkaMock } from '../../../../tools/services/kafka.js';
import { type NginxServer, startNginx } from '../../../../tools/services/nginx.js';
import { startRedis, startRedisCluster } from '../../../../tools/services/redis.js';
import { renderNginxConfig } from '../nginx-config.js';
import { type ExitStatus, NodeProcess } from './node-process.js';

/** The consumer group of the workers, which write the Redis counters and ClickHouse. */
export const WORKER_GROUP = 'linkpulse-workers';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** App nodes behind nginx (default 3). */
  apps?: number;
  /** Workers in {@link WORKER_GROUP} (default 2). */
  workers?: number;
  /** Partitions of the click topic (default 2): at most this many workers share the work. */
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
  /** Holds `logs/`, one file per process. */
  readonly dir: string;
  /** nginx, the way in for clients. */
  readonly lbUrl: string;
  /** nginx's access log: one line per request with every upstream tried. */
  readonly accessLog: string;
  /** How the processes reach Redis: `REDIS_URL`, or `REDIS_CLUSTER_NODES` (and `REDIS_PASSWORD`). */
  readonly redisEnv: Readonly<Record<string, string>>;
  readonly kafkaBrokers: readonly string[];
  /** ClickHouse over HTTP (its `url` is the workers' and apps' `CLICKHOUSE_URL`); `kill` and `restart` serve fault tests. */
  readonly clickhouse: ClickHouseServer;
  readonly topic: string;
  readonly apiKey: string;
  readonly apps: readonly NodeProcess[];
  readonly workers: readonly NodeProcess[];
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
  let clickhouse: ClickHouseServer | undefined;
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
    await clickhouse?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
    return exits;
  };

  try {
    progress('starting Redis, the Kafka-protocol broker and ClickHouse');
    // Each service is recorded as soon as it runs, and every start is waited for before a
    // failure is thrown: `stop()` then stops the others instead of leaving them behind.
    const starting = [
      startRedisFor(options.redisCluster).then((started) => (redis = started)),
      startKafkaMock({
        brokers: 3,
        topics: { [topic]: options.partitions ?? 2, [`${topic}.dlq`]: 1 },
      }).then((started) => (kafka = started)),
      startClickHouse().then((started) => (clickhouse = started)),
    ] as const;
    await Promise.allSettled(starting);
    const [redisUp, kafkaUp, clickhouseUp] = await Promise.all(starting);
    const common = {
      ...redisUp.env,
      KAFKA_BROKERS: kafkaUp.brokers.join(','),
      KAFKA_TOPIC: topic,
      CLICKHOUSE_URL: clickhouseUp.url,
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
      workers.push(
        await node(`worker-${i}`, 'src/worker.ts', {
          PIPELINES: `${WORKER_GROUP}=redis,clickhouse`,
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          KAFKA_HEARTBEAT_MS: '1000',
          KAFKA_MAX_WAIT_MS: '100',
          // Fetching goes on while a worker writes, so each write takes what came meanwhile.
          KAFKA_FETCH_AHEAD: '8',
        }),
      );
    }
    const secret = randomBytes(32).toString('base64url');
    const apps: NodeProcess[] = [];
    for (let i = 1; i <= (options.apps ?? 3); i++) {
      apps.push(
        await node(`app-${i}`, 'src/app.ts', {
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
      redisEnv: redisUp.env,
      kafkaBrokers: kafkaUp.brokers,
      clickhouse: clickhouseUp,
      topic,
      apiKey,
      apps,
      workers,
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
