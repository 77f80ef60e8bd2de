import { alternate, describeRounds, emitterTotal } from '../load/alternate.js';
import { runLoad } from '../load/run-load.js';
import type { TransportMode } from '../servers/bench-server.js';
import { contender } from '../servers/server-handle.js';
import type { ScenarioContext } from './context.js';

const MODES: readonly TransportMode[] = ['healthy', 'stalled', 'failing'];
const TARGET = 1.2;

/**
 * Scenario 3: p99 redirect latency of the Fastify plugin at half its saturated rate, with
 * the transport healthy, stalled (`send` never settles) and failing (`send` rejects).
 *
 * @param saturatedRps - the plugin's saturated rate from the redirect scenario, or `null`
 *   to measure it here.
 */
export async function faultScenario(
  context: ScenarioContext,
  saturatedRps: number | null,
): Promise<void> {
  const { profile, collector, log } = context;
  const contenders = MODES.map((mode) =>
    contender('fastify-plugin', { transport: mode }, `fastify-plugin/${mode}`),
  );
  let saturated = saturatedRps;
  if (saturated === null) {
    const server = await contenders[0]!.start();
    try {
      const probe = await runLoad({
        url: server.url,
        connections: profile.connections,
        pipelining: profile.pipelining,
        durationS: profile.durationS,
      });
      saturated = probe.rps;
    } finally {
      await server.stop();
    }
  }
  const rate = Math.round(saturated / 2);
  log(
    `faults: healthy, stalled, failing transport at ${rate} req/s (half of ${Math.round(saturated)}); ${describeRounds(profile)}`,
  );
  const load = {
    connections: profile.connections,
    pipelining: 1,
    durationS: profile.durationS,
    rate,
  };
  const summaries = await alternate(contenders, profile, load, log);
  const healthy = summaries.get(contenders[0]!.label)!;
  for (const [index, mode] of MODES.entries()) {
    const summary = summaries.get(contenders[index]!.label)!;
    const total = (counter: 'dropped' | 'failedSends') => emitterTotal(summary, counter) ?? 0;
    if (mode !== 'healthy') {
      const ratio = summary.p99 / healthy.p99;
      collector.add({
        scenario: 'faults',
        subject: `fastify-plugin, transport ${mode}`,
        baseline: 'fastify-plugin, transport healthy',
        metric: 'p99 ms',
        value: summary.p99,
        baselineValue: healthy.p99,
        target: `<= ${TARGET}`,
        met: ratio <= TARGET,
        note: `${rate} req/s; per-round p99 ${summary.rounds.map((r) => r.p99.toFixed(2)).join(', ')} vs healthy ${healthy.rounds.map((r) => r.p99.toFixed(2)).join(', ')}; ${total('dropped')} clicks dropped and ${total('failedSends')} failed sends over the scenario`,
      });
    }
    if (mode === 'healthy')
      collector.figure('faults', 'fastify-plugin, transport healthy', 'p99 ms', summary.p99);
    collector.figure('faults', `fastify-plugin, transport ${mode}`, 'p50 ms', summary.p50);
    collector.figure('faults', `fastify-plugin, transport ${mode}`, 'req/s', summary.rps);
  }
}
