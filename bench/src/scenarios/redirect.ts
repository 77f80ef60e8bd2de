import {
  alternate,
  type Contender,
  describeRounds,
  emitterTotal,
  type RoundSample,
  type Summary,
} from '../load/alternate.js';
import { contender } from '../servers/server-handle.js';
import { median } from '../stats.js';
import { MIB, type ScenarioContext } from './context.js';

const STALLED_PLUGIN = 'fastify-plugin, transport stalled';

/** Subject, its baseline, and the target of the throughput ratio (`null`: reference only). */
const PAIRS: readonly [string, string, number | null][] = [
  ['fastify-plugin', 'fastify-bare', 0.95],
  ['express-router', 'express-bare', 0.95],
  ['fastify-bare', 'node-http', null],
  ['fastify-naive', 'fastify-bare', null],
  [STALLED_PLUGIN, 'fastify-bare', null],
  // Where the plugin's gap comes from: the header it sends, the plugin before analytics,
  // and recording the clicks.
  ['fastify-bare-cache-control', 'fastify-bare', null],
  ['fastify-plugin-unrecorded', 'fastify-bare', null],
  ['fastify-plugin', 'fastify-plugin-unrecorded', null],
];

/** Per round, the subject's `figure` ÷ the baseline's, the servers having run seconds apart. */
function perRoundRatios(
  value: Summary,
  base: Summary,
  figure: (round: RoundSample) => number,
): number[] {
  return value.rounds.map((round, i) => figure(round) / figure(base.rounds[i]!));
}

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
    contender('node-http'),
    contender('fastify-bare'),
    contender('fastify-plugin'),
    contender('express-bare'),
    contender('express-router'),
  ];
  if (profile.references) {
    contenders.push(
      contender('fastify-naive'),
      // The request path alone: clicks are emitted but never leave the buffer.
      contender('fastify-plugin', { transport: 'stalled' }, STALLED_PLUGIN),
      contender('fastify-bare-cache-control'),
      contender('fastify-plugin-unrecorded'),
    );
  }
  log(`redirect: ${contenders.map((c) => c.label).join(', ')}; ${describeRounds(profile)}`);
  const load = {
    connections: profile.connections,
    pipelining: profile.pipelining,
    durationS: profile.durationS,
  };
  const byName = await alternate(contenders, profile, load, log);
  for (const [subject, baseline, target] of PAIRS) {
    const value = byName.get(subject);
    const base = byName.get(baseline);
    if (!value || !base) continue;
    // Servers alternate within a round, so each round's ratio pairs two measurements taken
    // seconds apart; the ratio of the two medians may pair a quiet round of one server with
    // a disturbed round of the other. The target is checked on the median per-round ratio.
    const perRound = perRoundRatios(value, base, (round) => round.rps);
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
    // Throughput per CPU-second of the server (what the ratio is at full saturation), and
    // of the request thread alone (what analytics costs the thread that redirects); like
    // req/s, the ratio is the median of the per-round ratios.
    const perCpuSecond = [
      [
        'req per server CPU-s',
        (round: RoundSample) => round.cpuUsPerRequest,
        'server CPU per request, all threads, deferred pipeline work included',
      ],
      [
        'req per request-thread CPU-s',
        (round: RoundSample) => round.requestThreadCpuUs,
        'request-thread CPU per request',
      ],
    ] as const;
    for (const [metric, cpuUs, what] of perCpuSecond) {
      const cpuRatios = perRoundRatios(value, base, (round) => 1e6 / cpuUs(round));
      collector.add({
        scenario: 'redirect',
        subject,
        baseline,
        metric,
        value: 1e6 / median(value.rounds.map(cpuUs)),
        baselineValue: 1e6 / median(base.rounds.map(cpuUs)),
        ratio: median(cpuRatios),
        target: null,
        met: null,
        note: `µs of ${what}, per round: ${value.rounds.map((round) => cpuUs(round).toFixed(1)).join(', ')} vs ${base.rounds.map((round) => cpuUs(round).toFixed(1)).join(', ')}; ratio: the median of the per-round ratios ${cpuRatios.map((r) => r.toFixed(3)).join(', ')}`,
      });
    }
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
  for (const [name, summary] of byName) {
    const dropped = emitterTotal(summary, 'dropped');
    if (name !== STALLED_PLUGIN && dropped !== undefined) {
      collector.figure('redirect', name, 'clicks dropped', dropped);
    }
  }
  return byName.get('fastify-plugin')?.rps ?? null;
}
