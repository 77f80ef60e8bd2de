import type { LinkStats, StatsQuery, StatsReader } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';
import { loadAppConfig, loadWorkerConfig, parsePipelines, parseTrustProxy } from '../src/config.js';
import { ConfigError, type Env } from '../src/env.js';
import { TieredStatsReader } from '../src/tiered-stats.js';

const APP_ENV = {
  REDIS_URL: 'redis://r:6379',
  KAFKA_BROKERS: 'k1:9092, k2:9092',
  LINKPULSE_SECRET: 's3cret',
};

describe('app configuration', () => {
  it('reads the environment with defaults', () => {
    const config = loadAppConfig({ ...APP_ENV, EMITTER_CAPACITY: '2000', TRUST_PROXY: '1' });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      kafkaTopic: 'linkpulse.click.v1',
      emitterCapacity: 2000,
      emitterBatchSize: 500,
      trustProxy: 1,
      clickhouseUrl: undefined,
      apiKey: undefined,
    });
  });

  it.each([
    [{ ...APP_ENV, REDIS_URL: '' }, /REDIS_URL/],
    [{ ...APP_ENV, KAFKA_BROKERS: ' , ' }, /KAFKA_BROKERS/],
    [{ ...APP_ENV, LINKPULSE_SECRET: undefined }, /LINKPULSE_SECRET/],
    [{ ...APP_ENV, PORT: '70000' }, /PORT/],
    [{ ...APP_ENV, EMITTER_BATCH_SIZE: '0' }, /EMITTER_BATCH_SIZE/],
    [{ ...APP_ENV, EMITTER_FLUSH_MS: '1.5' }, /EMITTER_FLUSH_MS/],
  ])('names the variable that is missing or wrong (%#)', (env, message) => {
    expect(() => loadAppConfig(env)).toThrow(ConfigError);
    expect(() => loadAppConfig(env)).toThrow(message);
  });

  it('takes a Redis Cluster from REDIS_CLUSTER_NODES in place of REDIS_URL', () => {
    expect(loadAppConfig(APP_ENV).redis).toEqual({ url: 'redis://r:6379' });
    const cluster = {
      ...APP_ENV,
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: 'r1:7000, 10.0.0.2:7001,[::1]:7002',
    };
    expect(loadAppConfig(cluster).redis).toEqual({
      clusterNodes: [
        { host: 'r1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: undefined,
    });
    expect(loadAppConfig({ ...cluster, REDIS_PASSWORD: 'pw' }).redis).toMatchObject({
      password: 'pw',
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'r1:7000' }, /REDIS_URL or REDIS_CLUSTER_NODES, not both/],
    [{ REDIS_URL: undefined }, /REDIS_URL or REDIS_CLUSTER_NODES must be set/],
    [{ REDIS_URL: undefined, REDIS_CLUSTER_NODES: ' , ' }, /must be set/],
    [{ REDIS_PASSWORD: 'pw' }, /REDIS_PASSWORD goes with REDIS_CLUSTER_NODES/],
    ...['r1', 'r1:', ':7000', 'r1:0', 'r1:65536', 'r1:7000:1', 'redis://r1:7000', '::1:7000'].map(
      (entry): [Env, string] => [
        { REDIS_URL: undefined, REDIS_CLUSTER_NODES: `r0:7000,${entry}` },
        `REDIS_CLUSTER_NODES entry "${entry}" must look like host:port`,
      ],
    ),
  ])('wants REDIS_URL or well-formed REDIS_CLUSTER_NODES, one of them (%#)', (redis, message) => {
    const env = { ...APP_ENV, ...redis };
    expect(() => loadAppConfig(env)).toThrow(ConfigError);
    expect(() => loadAppConfig(env)).toThrow(message);
  });

  it('parses TRUST_PROXY as a flag, a hop count or a list', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, ::1')).toEqual(['10.0.0.0/8', '::1']);
  });
});

describe('worker configuration', () => {
  const WORKER_ENV = { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r' };

  it('runs one pipeline writing both sinks by default', () => {
    const config = loadWorkerConfig({ ...WORKER_ENV, CLICKHOUSE_URL: 'http://ch:8123' });
    expect(config.pipelines).toEqual([
      { group: 'linkpulse-workers', sinks: ['redis', 'clickhouse'] },
    ]);
    expect(config.port).toBe(9100);
    expect(config.kafkaPartitionsConcurrently).toBe(1);
    expect(config.kafkaFetchAhead).toBe(0);
    expect(config.writeLingerMs).toBe(0);
  });

  it('reads the throughput settings and rejects a concurrency below 1', () => {
    const env = { ...WORKER_ENV, CLICKHOUSE_URL: 'http://ch:8123' };
    const config = loadWorkerConfig({
      ...env,
      KAFKA_PARTITIONS_CONCURRENTLY: '6',
      KAFKA_FETCH_AHEAD: '12',
      WORKER_WRITE_LINGER_MS: '50',
    });
    expect(config.kafkaPartitionsConcurrently).toBe(6);
    expect(config.kafkaFetchAhead).toBe(12);
    expect(config.writeLingerMs).toBe(50);
    expect(() => loadWorkerConfig({ ...env, KAFKA_PARTITIONS_CONCURRENTLY: '0' })).toThrow(
      /KAFKA_PARTITIONS_CONCURRENTLY/,
    );
    expect(() => loadWorkerConfig({ ...env, KAFKA_FETCH_AHEAD: '-1' })).toThrow(
      /KAFKA_FETCH_AHEAD/,
    );
  });

  it('parses pipelines: groups with their sinks', () => {
    expect(parsePipelines('a=redis; b = clickhouse,clickhouse ;')).toEqual([
      { group: 'a', sinks: ['redis'] },
      { group: 'b', sinks: ['clickhouse'] },
    ]);
    for (const bad of ['', 'a', '=redis', 'a=sqlite', 'a=redis=x', 'a=redis;a=clickhouse']) {
      expect(() => parsePipelines(bad), bad).toThrow(ConfigError);
    }
  });

  it('needs exactly one ClickHouse target when a pipeline writes ClickHouse, and Redis when one writes Redis', () => {
    expect(() => loadWorkerConfig(WORKER_ENV)).toThrow(/CLICKHOUSE_URL or CHDB_PATH/);
    expect(() =>
      loadWorkerConfig({ ...WORKER_ENV, CLICKHOUSE_URL: 'http://ch', CHDB_PATH: '/data' }),
    ).toThrow(/one of them/);
    expect(
      loadWorkerConfig({ KAFKA_BROKERS: 'k:9092', PIPELINES: 'g=clickhouse', CHDB_PATH: '/d' })
        .chdbPath,
    ).toBe('/d');
    expect(() => loadWorkerConfig({ KAFKA_BROKERS: 'k:9092', PIPELINES: 'g=redis' })).toThrow(
      /REDIS_URL or REDIS_CLUSTER_NODES must be set/,
    );
    expect(
      loadWorkerConfig({
        KAFKA_BROKERS: 'k:9092',
        PIPELINES: 'g=redis',
        REDIS_CLUSTER_NODES: 'r:1',
      }).redis,
    ).toEqual({ clusterNodes: [{ host: 'r', port: 1 }], password: undefined });
  });
});

describe('TieredStatsReader', () => {
  const DAY = 86_400_000;
  const now = Date.UTC(2026, 5, 1);
  const reader = (name: string): StatsReader & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      async stats(code: string) {
        calls.push(code);
        return { code, total: name === 'recent' ? 1 : 2 } as unknown as LinkStats;
      },
    };
  };
  const query = (fromDaysAgo: number): StatsQuery => ({
    from: new Date(now - fromDaysAgo * DAY),
    to: new Date(now),
    interval: 'day',
    top: 5,
  });

  it('answers from the recent tier within its retention and from history before it', async () => {
    const recent = reader('recent');
    const history = reader('history');
    const tiered = new TieredStatsReader({ recent, history, recentDays: 90, now: () => now });
    expect((await tiered.stats('a', query(30))).total).toBe(1);
    expect((await tiered.stats('b', query(90))).total).toBe(1);
    expect((await tiered.stats('c', query(91))).total).toBe(2);
    expect(recent.calls).toEqual(['a', 'b']);
    expect(history.calls).toEqual(['c']);
  });
});
