import { alternate, type Summary } from '../load/alternate.js';
import type { SubjectOptions } from '../servers/bench-server.js';
import { type ServerHandle, startServer } from '../servers/server-handle.js';
import type { SubjectName } from '../servers/subjects.js';
import { median } from '../stats.js';
import { MIB, type ScenarioContext } from './context.js';

/** A server of the scenario. */
interface Contender {
  label: string;
  name: SubjectName;
  options?: SubjectOptions;
}

const STALLED_PLUGIN = 'fastify-plugin, transport stalled';

/** Subject, its baseline, and the target of the throughput ratio (`null`: reference only). */
const PAIRS: readonly [string, string, number | null][] = [
  ['fastify-plugin', 'fastify-bare', 0.95],
  ['express-router', 'express-bare', 0.95],
  ['fastify-bare', 'node-http', null],
  ['fastify-naive', 'fastify-bare', null],
  [STALLED_PLUGIN, 'fastify-bare', null],
];

/** Request-thread busy share from which a server counts as the limit of its own rate. */
const SATURATED = 0.9;

/**
 * Scenario 1: saturated redirect throughput of the Fastify plugin and the Express router
 * (analytics on) against bare Fastify, bare Express and raw `node:http`, all servers
 * alternating within one sitting. Returns the plugin's saturated rate (for the fault
 * scenario) or `null`.
 */
export async function redirectScenario(context: ScenarioContext): Promise<number | null> {
  const { profile, collector, log } = context;
  const contenders: Contender[] = [
    { label: 'node-http', name: 'node-http' },
    { label: 'fastify-bare', name: 'fastify-bare' },
    { label: 'fastify-plugin', name: 'fastify-plugin' },
    { label: 'express-bare', name: 'express-bare' },
    { label: 'express-router', name: 'express-router' },
  ];
  if (profile.references) {
    contenders.push(
      { label: 'fastify-naive', name: 'fastify-naive' },
      // The request path alone: clicks are emitted but never leave the buffer.
      { label: STALLED_PLUGIN, name: 'fastify-plugin', options: { transport: 'stalled' } },
    );
  }
  log(
    `redirect: ${contenders.map((c) => c.label).join(', ')}; ${profile.rounds} rounds of ${profile.durationS} s`,
  );
  const servers: ServerHandle[] = [];
  try {
    for (const { name, options, label } of contenders) {
      servers.push(await startServer(name, options, label));
    }
    const load = {
      connections: profile.connections,
      pipelining: profile.pipelining,
      durationS: profile.durationS,
    };
    const summaries = await alternate(
      servers,
      profile.rounds,
      { ...load, durationS: profile.warmupS },
      () => load,
      log,
    );
    const byName = new Map<string, Summary>();
    for (const [server, summary] of summaries) byName.set(server.label, summary);
    for (const [subject, baseline, target] of PAIRS) {
      const value = byName.get(subject);
      const base = byName.get(baseline);
      if (!value || !base) continue;
      // Servers alternate within a round, so each round's ratio pairs two measurements taken
      // seconds apart; the ratio of the two medians may pair a quiet round of one server with
      // a disturbed round of the other. The target is checked on the median per-round ratio.
      const perRound = value.rounds.map((round, i) => round.rps / base.rounds[i]!.rps);
      const ratio = median(perRound);
      const limited = [subject, baseline].filter(
        (name) => (name === subject ? value : base).utilisation < SATURATED,
      );
      collector.add({
        scenario: 'redirect',
        subject,
        baseline,
        metric: 'req/s',
        value: value.rps,
        baselineValue: base.rps,
        ratio,
        target: target === null ? null : `>= ${target}`,
        met: target === null ? null : ratio >= target,
        note: `value and baseline value: medians of ${profile.rounds} rounds (their quotient ${(value.rps / base.rps).toFixed(3)}); ratio: the median of the per-round ratios ${perRound
          .map((r) => r.toFixed(3))
          .join(
            ', ',
          )}; request thread busy ${(value.utilisation * 100).toFixed(0)} % vs ${(base.utilisation * 100).toFixed(0)} %${limited.length === 0 ? '' : ` (request thread of ${limited.join(' and ')} below ${SATURATED * 100} % busy: the load generator's core, which also runs any analytics thread, was the limit; see req per CPU-second)`}`,
      });
      // Throughput per CPU-second of the server: what the ratio is at full saturation.
      collector.add({
        scenario: 'redirect',
        subject,
        baseline,
        metric: 'req per server CPU-s',
        value: 1e6 / value.cpuUsPerRequest,
        baselineValue: 1e6 / base.cpuUsPerRequest,
        target: null,
        met: null,
        note: `${value.cpuUsPerRequest.toFixed(1)} vs ${base.cpuUsPerRequest.toFixed(1)} µs of server CPU per request, all threads, deferred pipeline work included`,
      });
      // The same for the request thread alone: what analytics costs the thread that redirects.
      collector.add({
        scenario: 'redirect',
        subject,
        baseline,
        metric: 'req per request-thread CPU-s',
        value: 1e6 / value.requestThreadCpuUs,
        baselineValue: 1e6 / base.requestThreadCpuUs,
        target: null,
        met: null,
        note: `${value.requestThreadCpuUs.toFixed(1)} vs ${base.requestThreadCpuUs.toFixed(1)} µs of request-thread CPU per request`,
      });
    }
    for (const [name, summary] of byName) {
      if (name === 'node-http' || name === 'express-bare') {
        collector.figure('redirect', name, 'req/s', summary.rps);
      }
      collector.figure('redirect', name, 'p50 ms', summary.p50);
      collector.figure('redirect', name, 'p99 ms', summary.p99);
      collector.figure('redirect', name, 'peak RSS MiB', summary.rssPeak / MIB);
      if (summary.unexpected > 0) {
        log(
          `  WARNING: ${name} answered ${summary.unexpected} requests with something else than 302`,
        );
      }
    }
    for (const server of servers) {
      const stats = (await server.stats()) as { emitter?: { dropped: number } };
      if (stats.emitter && server.label !== STALLED_PLUGIN) {
        collector.figure('redirect', server.label, 'clicks dropped', stats.emitter.dropped);
      }
    }
    return byName.get('fastify-plugin')?.rps ?? null;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
