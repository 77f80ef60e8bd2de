import {
  cpuTicksOf,
  mainThreadCpuTicksOf,
  sampleRss,
  TICKS_PER_SECOND,
  waitIdle,
} from '../proc.js';
import type { ServerHandle } from '../servers/server-handle.js';
import { median } from '../stats.js';
import type { LoadResult, LoadSpec } from './load-types.js';
import { runLoad } from './run-load.js';

/** One server's load run: what the load generator saw plus the server's peak RSS. */
export interface RoundSample extends LoadResult {
  rssPeak: number;
  /**
   * Server CPU time per response in µs, from the start of the load until the server was
   * idle again (so work deferred past the load, such as a worker catching up, counts).
   */
  cpuUsPerRequest: number;
  /** CPU time per response of the server's request (main) thread alone, in µs. */
  requestThreadCpuUs: number;
  /** Share of one core the server's request thread used while the load ran (1 = saturated). */
  utilisation: number;
}

/** Medians over a server's rounds. */
export interface Summary {
  rps: number;
  p50: number;
  p99: number;
  rssPeak: number;
  cpuUsPerRequest: number;
  requestThreadCpuUs: number;
  utilisation: number;
  /** Responses other than 302, over all rounds. */
  unexpected: number;
  rounds: RoundSample[];
}

/** Load settings minus the URL, which comes from each server. */
export type LoadSettings = Omit<LoadSpec, 'url'>;

async function measure(server: ServerHandle, settings: LoadSettings): Promise<RoundSample> {
  const stop = sampleRss(server.pid);
  const ticksBefore = cpuTicksOf(server.pid);
  const mainTicksBefore = mainThreadCpuTicksOf(server.pid);
  const result = await runLoad({ ...settings, url: server.url });
  const mainTicksLoad = mainThreadCpuTicksOf(server.pid) - mainTicksBefore;
  const rssPeak = stop();
  // Let the server finish what the run left (a worker catching up) before the next one.
  await waitIdle(server.pid);
  const ticks = cpuTicksOf(server.pid) - ticksBefore;
  const mainTicks = mainThreadCpuTicksOf(server.pid) - mainTicksBefore;
  const usPerResponse = (used: number) =>
    ((used / TICKS_PER_SECOND) * 1e6) / Math.max(1, result.responses);
  return {
    ...result,
    rssPeak,
    cpuUsPerRequest: usPerResponse(ticks),
    requestThreadCpuUs: usPerResponse(mainTicks),
    utilisation: mainTicksLoad / TICKS_PER_SECOND / result.seconds,
  };
}

/**
 * Warms every server up, then runs `rounds` rounds in which each server gets the same load
 * in turn, the order rotating from round to round (A B C, B C A, …) so that drift on the
 * machine spreads evenly. Returns the medians per server.
 */
export async function alternate(
  servers: readonly ServerHandle[],
  rounds: number,
  warmup: LoadSettings,
  settingsFor: (server: ServerHandle) => LoadSettings,
  log: (line: string) => void,
): Promise<Map<ServerHandle, Summary>> {
  for (const server of servers) await measure(server, warmup);
  const samples = new Map<ServerHandle, RoundSample[]>(servers.map((server) => [server, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round) % servers.length]!;
      const sample = await measure(server, settingsFor(server));
      samples.get(server)!.push(sample);
      log(
        `  round ${round + 1}/${rounds} ${server.label.padEnd(24)} ${Math.round(sample.rps)} req/s, p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms, RSS ${(sample.rssPeak / 2 ** 20).toFixed(0)} MiB, CPU ${sample.cpuUsPerRequest.toFixed(1)} µs/req (request thread ${sample.requestThreadCpuUs.toFixed(1)}), busy ${(sample.utilisation * 100).toFixed(0)} %`,
      );
    }
  }
  const summaries = new Map<ServerHandle, Summary>();
  for (const [server, list] of samples) {
    summaries.set(server, {
      rps: median(list.map((s) => s.rps)),
      p50: median(list.map((s) => s.p50)),
      p99: median(list.map((s) => s.p99)),
      rssPeak: median(list.map((s) => s.rssPeak)),
      cpuUsPerRequest: median(list.map((s) => s.cpuUsPerRequest)),
      requestThreadCpuUs: median(list.map((s) => s.requestThreadCpuUs)),
      utilisation: median(list.map((s) => s.utilisation)),
      unexpected: list.reduce(
        (sum, s) =>
          sum +
          Object.entries(s.statuses).reduce(
            (n, [status, count]) => n + (status === '302' ? 0 : count),
            0,
          ) +
          s.errors +
          s.timeouts,
        0,
      ),
      rounds: list,
    });
  }
  return summaries;
}
