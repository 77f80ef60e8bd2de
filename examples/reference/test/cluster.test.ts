import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import { type ClickEvent, recordToObject } from '@linkpulse/core';
import { makeClick } from '@linkpulse/core/testing';
import { ClickHouseSink } from '@linkpulse/sinks/clickhouse';
import { Cluster as RedisCluster } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNginx } from '../../../tools/services/nginx.js';
import { missingService, requireService } from '../../../tools/services/test-services.js';
import { type Cluster, startCluster, WORKER_GROUP } from '../src/cluster/cluster.js';
import type { ExitStatus, NodeProcess } from '../src/cluster/node-process.js';
import { createTransport } from '../src/kafka.js';
import { createLinks, type LoadResult, runRedirects } from '../src/load.js';
import { allExpressions, metricNames } from './deploy-files.js';
import { type Family, parsePrometheusText, sampleNames, sampleValue } from './prometheus-text.js';

// The cluster starts its own Redis, broker and ClickHouse; these say whether they can run here.
const redis = requireService('redis');
const kafka = requireService('kafka');
const clickhouse = requireService('clickhouse');
const nginx =
  findNginx() ?? missingService('nginx', 'not installed (Debian: apt-get install nginx)');

const LOAD_LINKS = 24;
const FIRST_LOAD = 20_000;
const FAULT_LOAD = 6_000;
const KILL_AFTER = 2_000;
const PARTITIONS = 2;
/** How long ClickHouse stays down in the outage test. */
const CLICKHOUSE_DOWN_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A range that starts before the apps' `RECENT_STATS_DAYS` (90): answered from ClickHouse. */
const DAY = 86_400_000;
const HISTORY_FROM = () => new Date(Date.now() - 100 * DAY).toISOString();

async function metricsOf(node: NodeProcess): Promise<Map<string, Family>> {
  const response = await fetch(`${node.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.skipIf(!redis || !kafka || !clickhouse || !nginx)(
  'the `pnpm cluster` topology, end to end',
  () => {
    let cluster: Cluster;
    let loadCodes: string[];
    let expected = 0;
    const auth = () => ({ authorization: `Bearer ${cluster.apiKey}` });

    /** Clicks (humans and bots) of `codes` over the last day, from one stats endpoint. */
    async function totalFrom(statsUrl: (code: string) => string, codes: readonly string[]) {
      let total = 0;
      for (const code of codes) {
        const response = await fetch(statsUrl(code), { headers: auth() });
        const body = (await response.json()) as { total: number; bots: number };
        expect(response.status, JSON.stringify(body)).toBe(200);
        total += body.total + body.bots;
      }
      return total;
    }
    const redisTotal = () =>
      totalFrom((code) => `${cluster.lbUrl}/api/links/${code}/stats`, loadCodes);
    const clickhouseTotal = () =>
      totalFrom(
        (code) => `${cluster.lbUrl}/api/links/${code}/stats?from=${HISTORY_FROM()}`,
        loadCodes,
      );

    /** Both totals once they reach `expected`; fails if either goes past it. */
    async function countsReach(total: number, timeoutMs: number) {
      const counts = await waitFor(
        `${total} clicks in Redis and ClickHouse`,
        async () => ({ redis: await redisTotal(), clickhouse: await clickhouseTotal() }),
        (c) =>
          (c.redis >= total && c.clickhouse >= total) || c.redis > total || c.clickhouse > total,
        timeoutMs,
      );
      expect(counts).toEqual({ redis: total, clickhouse: total });
    }

    /** The running workers report zero lag on every partition. */
    async function caughtUp(timeoutMs: number) {
      await waitFor(
        'zero consumer lag',
        async () => {
          const lags: number[] = [];
          for (const worker of cluster.workers.filter((w) => w.running)) {
            const metrics = await metricsOf(worker);
            for (let partition = 0; partition < PARTITIONS; partition++) {
              const labels = { group: WORKER_GROUP, partition: String(partition) };
              lags.push(sampleValue(metrics, 'linkpulse_consumer_lag', labels));
            }
          }
          return lags;
        },
        (lags) => lags.length >= PARTITIONS && lags.every((lag) => lag === 0),
        timeoutMs,
      );
    }

    /** The surviving app nodes have nothing buffered or in flight. */
    async function emittersDrained(timeoutMs: number) {
      await waitFor(
        'drained emitters',
        async () => {
          let pending = 0;
          for (const app of cluster.apps.filter((a) => a.running)) {
            const metrics = await metricsOf(app);
            pending += sampleValue(metrics, 'linkpulse_emitter_queue_depth');
            pending += sampleValue(metrics, 'linkpulse_emitter_in_flight');
          }
          return pending;
        },
        (pending) => pending === 0,
        timeoutMs,
      );
    }

    const redirectsServed = async (app: NodeProcess) =>
      sampleValue(await metricsOf(app), 'linkpulse_redirect_duration_seconds_count', {
        status: '302',
      });

    /** `FAULT_LOAD` redirects through nginx; `fault` runs once `KILL_AFTER` were answered. */
    async function loadWithFault(fault: () => Promise<unknown>): Promise<LoadResult> {
      let injected: Promise<unknown> | undefined;
      const result = await runRedirects({
        url: cluster.lbUrl,
        codes: loadCodes,
        total: FAULT_LOAD,
        onProgress: (done) => {
          if (done >= KILL_AFTER) injected ??= fault();
        },
      });
      await injected;
      return result;
    }

    beforeAll(async () => {
      cluster = await startCluster({ partitions: PARTITIONS });
    }, 240_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 60_000);

    it('serves through one node the links another created, on every node and through nginx', async () => {
      const [creator, ...others] = cluster.apps;
      const codes = await createLinks({
        url: creator!.url,
        apiKey: cluster.apiKey,
        count: 3,
        target: (i) => `https://example.com/probe/${i}`,
      });
      for (const [i, code] of codes.entries()) {
        for (const base of [...others.map((node) => node.url), cluster.lbUrl]) {
          const response = await fetch(`${base}/${code}`, { redirect: 'manual' });
          expect(response.status, `${base}/${code}`).toBe(302);
          expect(response.headers.get('location')).toBe(`https://example.com/probe/${i}`);
        }
      }
      // An unknown code is 404 everywhere, and the API key is enforced through nginx.
      expect((await fetch(`${cluster.lbUrl}/zzzzzzz`, { redirect: 'manual' })).status).toBe(404);
      expect((await fetch(`${cluster.lbUrl}/api/links/${codes[0]}`)).status).toBe(401);
    });

    it(`turns ${FIRST_LOAD.toLocaleString('en')} redirects spread over three nodes into exactly as many clicks in ClickHouse and in the Redis counters`, async () => {
      loadCodes = await createLinks({
        url: cluster.lbUrl,
        apiKey: cluster.apiKey,
        count: LOAD_LINKS,
      });
      const before = await Promise.all(cluster.apps.map(redirectsServed));
      const result = await runRedirects({
        url: cluster.lbUrl,
        codes: loadCodes,
        total: FIRST_LOAD,
      });
      console.info(
        `[cluster] ${FIRST_LOAD} redirects through nginx in ${result.seconds.toFixed(1)} s ` +
          `(${Math.round(FIRST_LOAD / result.seconds)}/s), p50 ${result.latencyMs.p50.toFixed(1)} ms, ` +
          `p99 ${result.latencyMs.p99.toFixed(1)} ms`,
      );
      expect(result.statuses).toEqual({ 302: FIRST_LOAD });
      expect(result.errors).toBe(0);
      const after = await Promise.all(cluster.apps.map(redirectsServed));
      const served = after.map((count, i) => count - before[i]!);
      expect(served.reduce((sum, n) => sum + n, 0)).toBe(FIRST_LOAD);
      for (const share of served) expect(share).toBeGreaterThan(FIRST_LOAD / 4);

      const started = Date.now();
      expected = FIRST_LOAD;
      await countsReach(expected, 120_000);
      console.info(
        `[cluster] counts exact ${((Date.now() - started) / 1000).toFixed(1)} s after the last redirect`,
      );
      // Nothing is left in flight, and the counts stay exact.
      await emittersDrained(10_000);
      await caughtUp(30_000);
      expect({ redis: await redisTotal(), clickhouse: await clickhouseTotal() }).toEqual({
        redis: expected,
        clickhouse: expected,
      });
      // A worker serves the same ClickHouse stats for operators.
      const fromWorker = await totalFrom(
        (code) => `${cluster.workers[0]!.url}/clickhouse/stats/${code}?from=${HISTORY_FROM()}`,
        loadCodes,
      );
      expect(fromWorker).toBe(expected);
    }, 300_000);

    it('answers ranges older than RECENT_STATS_DAYS from ClickHouse on every app node', async () => {
      // A click that only ClickHouse has, 95 days old, written straight into its tables:
      // app nodes reading such ranges from the Redis counters would report none.
      const [code] = await createLinks({ url: cluster.lbUrl, apiKey: cluster.apiKey, count: 1 });
      const sink = new ClickHouseSink({ client: createClient({ url: cluster.clickhouse.url }) });
      try {
        await sink.write([makeClick({ code, ts: Date.now() - 95 * DAY })]);
      } finally {
        await sink.close();
      }
      for (const app of cluster.apps) {
        const stats = (query: string) =>
          totalFrom((c) => `${app.url}/api/links/${c}/stats${query}`, [code!]);
        expect({ app: app.name, history: await stats(`?from=${HISTORY_FROM()}`) }).toEqual({
          app: app.name,
          history: 1,
        });
        expect(await stats('')).toBe(0);
      }
    });

    it('serves Prometheus text that parses from every process, with every metric the dashboard and alert rules use', async () => {
      const names = new Set<string>();
      for (const node of [...cluster.apps, ...cluster.workers]) {
        for (const name of sampleNames(await metricsOf(node))) names.add(name);
      }
      const used = metricNames(allExpressions());
      expect(used.size).toBeGreaterThan(10);
      expect([...used].filter((name) => !names.has(name))).toEqual([]);
      for (const name of [
        'linkpulse_redirect_duration_seconds_bucket',
        'linkpulse_emitter_queue_depth',
        'linkpulse_emitter_events_dropped_total',
        'linkpulse_emitter_send_failures_total',
        'linkpulse_consumer_lag',
        'linkpulse_worker_batch_duration_seconds_bucket',
        'linkpulse_sink_write_errors_total',
        'linkpulse_worker_dead_lettered_total',
      ]) {
        expect(names).toContain(name);
      }
    }, 60_000);

    it('keeps the counts exact when a worker is killed mid-load: the other takes over its partitions', async () => {
      const [survivor, victim] = cluster.workers;
      const eventsOf = async (worker: NodeProcess) =>
        sampleValue(await metricsOf(worker), 'linkpulse_worker_events_total', {
          group: WORKER_GROUP,
        });
      // Both members own partitions: each has handled clicks.
      expect(await eventsOf(victim!)).toBeGreaterThan(0);
      const survivorBefore = await eventsOf(survivor!);

      let killed: ExitStatus | undefined;
      const result = await loadWithFault(async () => {
        killed = await victim!.stop('SIGKILL');
      });
      expect(killed).toBe('SIGKILL');
      expect(result.statuses).toEqual({ 302: FAULT_LOAD });

      expected += FAULT_LOAD;
      await countsReach(expected, 120_000);
      await caughtUp(30_000);
      // The survivor handled clicks from partitions that were the victim's.
      expect((await eventsOf(survivor!)) - survivorBefore).toBeGreaterThan(FAULT_LOAD / 2);
    }, 300_000);

    it('keeps the counts exact when ClickHouse is SIGKILLed mid-load and comes back 5 s later: every redirect answered, every click counted once in both sinks', async () => {
      const sinkErrors = async () =>
        sampleValue(await metricsOf(cluster.workers[0]!), 'linkpulse_sink_write_errors_total');
      const errorsBefore = await sinkErrors();
      let restarted: Promise<void> | undefined;
      const result = await loadWithFault(async () => {
        await cluster.clickhouse.kill();
        restarted = sleep(CLICKHOUSE_DOWN_MS).then(() => cluster.clickhouse.restart());
      });
      expect(result.errors).toBe(0);
      expect(result.statuses).toEqual({ 302: FAULT_LOAD });
      await restarted;
      expected += FAULT_LOAD;
      const started = Date.now();
      await countsReach(expected, 120_000);
      await caughtUp(30_000);
      // The outage reached the worker: its ClickHouse writes failed meanwhile.
      expect(await sinkErrors()).toBeGreaterThan(errorsBefore);
      console.info(
        `[cluster] ClickHouse down ${CLICKHOUSE_DOWN_MS / 1000} s mid-load: counts exact ${((Date.now() - started) / 1000).toFixed(1)} s after its restart`,
      );
    }, 300_000);

    it('drains an app node stopped with SIGTERM mid-load (a rolling restart): every redirect answered, every click counted', async () => {
      const node = cluster.apps[1]!;
      let exit: ExitStatus | undefined;
      const result = await loadWithFault(async () => {
        exit = await node.stop('SIGTERM');
      });
      expect(exit).toBe(0);
      expect(result.errors).toBe(0);
      expect(result.statuses).toEqual({ 302: FAULT_LOAD });
      expected += FAULT_LOAD;
      await countsReach(expected, 120_000);
    }, 300_000);

    it('loses no redirect when an app node is killed mid-load (nginx retries), and counts every click Kafka acknowledged exactly once', async () => {
      const victim = cluster.apps[2]!;
      const logStart = statSync(cluster.accessLog).size;
      // Every earlier click is counted already (the previous test waited for that).
      const since = Date.now();
      const result = await loadWithFault(() => victim.stop('SIGKILL'));
      expect(victim.running).toBe(false);
      expect(result.errors).toBe(0);
      expect(result.statuses).toEqual({ 302: FAULT_LOAD });

      // nginx retried requests that the dead node could not answer; each ended in a 302.
      const lines = readFileSync(cluster.accessLog, 'utf8').slice(logStart).trim().split('\n');
      const retried = lines.filter((line) => /upstream=\S+, /.test(line));
      expect(retried.length).toBeGreaterThan(0);
      for (const line of retried) expect(line).toMatch(/" 302 /);

      // What reached Kafka is what counts: the clicks the dead node had buffered but not sent
      // are gone; every other one is counted once, in both sinks.
      await emittersDrained(20_000);
      await caughtUp(60_000);
      const acknowledged = await distinctClicksInKafka(cluster, new Set(loadCodes), since);
      const counts = { redis: await redisTotal(), clickhouse: await clickhouseTotal() };
      expect(counts).toEqual({
        redis: expected + acknowledged,
        clickhouse: expected + acknowledged,
      });
      const lost = FAULT_LOAD - acknowledged;
      console.info(
        `[cluster] app node SIGKILLed under load: ${retried.length} requests retried by nginx, ` +
          `${lost} clicks lost from its emitter buffer, ${acknowledged} acknowledged by Kafka and counted`,
      );
      // Only clicks of redirects the dead node answered itself can be lost.
      const answeredByVictim = lines.filter((line) =>
        line.endsWith(`upstream=127.0.0.1:${victim.port} upstream_status=302`),
      ).length;
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThanOrEqual(answeredByVictim);
      expected += acknowledged;
    }, 300_000);

    it('stops every remaining process gracefully on SIGTERM', async () => {
      const exits = await cluster.stop();
      expect(exits).toEqual({
        'worker-1': 0,
        'worker-2': 'SIGKILL',
        'app-1': 0,
        'app-2': 0,
        'app-3': 'SIGKILL',
      });
    }, 60_000);
  },
);

describe.skipIf(!redis || !kafka || !clickhouse || !nginx)(
  'the topology on a Redis Cluster of three masters',
  () => {
    let cluster: Cluster;
    const password = randomBytes(12).toString('hex');
    const headers = () => ({
      authorization: `Bearer ${cluster.apiKey}`,
      'content-type': 'application/json',
    });

    beforeAll(async () => {
      cluster = await startCluster({ apps: 2, workers: 1, redisCluster: { masters: 3, password } });
    }, 240_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 60_000);

    it('creates a link on one node, redirects it on the other, counts the click, and carries an update to the other node at once', async () => {
      const [creator, other] = cluster.apps;
      const [code] = await createLinks({
        url: creator!.url,
        apiKey: cluster.apiKey,
        count: 1,
        target: () => 'https://example.com/before',
      });
      const redirect = async () => {
        const response = await fetch(`${other!.url}/${code}`, { redirect: 'manual' });
        return { status: response.status, location: response.headers.get('location') };
      };
      expect(await redirect()).toEqual({ status: 302, location: 'https://example.com/before' });

      // The click goes through Kafka to the worker, which counts it in Redis.
      const clicks = await waitFor(
        'the click in the stats',
        async () => {
          const response = await fetch(`${creator!.url}/api/links/${code}/stats`, {
            headers: headers(),
          });
          const body = (await response.json()) as { total: number; bots: number };
          expect(response.status, JSON.stringify(body)).toBe(200);
          return body.total + body.bots;
        },
        (total) => total > 0,
        60_000,
      );
      expect(clicks).toBe(1);

      // The link and the counters are in the cluster: the link under the hash-tagged prefix,
      // the counters under the sink's own tag per code.
      const admin = new RedisCluster(cluster.redisEnv.REDIS_CLUSTER_NODES!.split(','), {
        redisOptions: { password },
      });
      try {
        expect(await admin.exists(`{lp}:link:${code}`)).toBe(1);
        expect(await admin.exists(`lp:{c:${code}}:days`)).toBe(1);
      } finally {
        admin.disconnect();
      }

      // The other node has the link cached (for 60 s); the update reaches it over the bus.
      const updated = await fetch(`${creator!.url}/api/links/${code}`, {
        method: 'PATCH',
        headers: headers(),
        body: JSON.stringify({ url: 'https://example.com/after' }),
      });
      expect(updated.status).toBe(200);
      await waitFor(
        'the update on the other node',
        redirect,
        ({ location }) => location === 'https://example.com/after',
        2_000,
      );
    }, 120_000);

    it('stops every process gracefully on SIGTERM', async () => {
      expect(await cluster.stop()).toEqual({ 'worker-1': 0, 'app-1': 0, 'app-2': 0 });
    }, 60_000);
  },
);

/**
 * Distinct ids of the clicks on `codes` stamped at `since` or later, read again from the
 * click topic. (The mock broker keeps only the last few MiB of each partition, so a count
 * of the whole log could miss the oldest clicks.)
 */
async function distinctClicksInKafka(
  cluster: Cluster,
  codes: ReadonlySet<string>,
  since: number,
): Promise<number> {
  const client = new Kafka({
    clientId: 'cluster-test-replay',
    brokers: [...cluster.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  const transport = createTransport(client, cluster.topic, {
    sessionTimeout: 6_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 100,
  });
  const ids = new Set<string>();
  try {
    await transport.replay({
      from: 'earliest',
      handler: async ({ records }) => {
        for (const record of records) {
          const event = recordToObject(record) as ClickEvent;
          if (codes.has(event.code) && event.ts >= since) ids.add(event.id);
        }
      },
    });
  } finally {
    await transport.close();
  }
  return ids.size;
}
