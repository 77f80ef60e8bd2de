import type { Profile } from '../config.js';
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
  /**
   * What the server processes answered to `stats()` after their load: one per round with
   * fresh servers, else the one process's counters at the end.
   */
  stats: Record<string, unknown>[];
}

/** Counters of the click emitter, as the LinkPulse subjects' `stats()` report them. */
type EmitterCounter = 'dropped' | 'failedSends';

/**
 * An emitter counter summed over every process of `summary` (each counts from its own
 * start), or `undefined` when the subject has no emitter (the bare servers).
 */
export function emitterTotal(summary: Summary, counter: EmitterCounter): number | undefined {
  let total = 0;
  for (const stats of summary.stats) {
    const emitter = (stats as { emitter?: Record<EmitterCounter, number> }).emitter;
    if (emitter === undefined) return undefined;
    total += emitter[counter];
  }
  return total;
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

/** The settings of a profile that shape {@link alternate}'s rounds. */
export type RoundsProfile = Pick<Profile, 'rounds' | 'durationS' | 'warmupS' | 'freshServers'>;

/** How {@link alternate} runs with `profile`, for the log. */
export function describeRounds(profile: RoundsProfile): string {
  const processes = profile.freshServers ? 'each a fresh server process' : 'one process per server';
  return `${profile.rounds} rounds of ${profile.durationS} s, ${processes} warmed up for ${profile.warmupS} s`;
}

/** A server of {@link alternate}: its label and how to start a process of it. */
export interface Contender {
  label: string;
  start(): Promise<ServerHandle>;
}

/**
 * Runs `profile.rounds` rounds in which each contender gets the same load in turn, the order
 * rotating from round to round (A B C, B C A, …) so that drift on the machine spreads
 * evenly, each turn loaded with `settings` after a warm-up of `profile.warmupS`. With
 * `profile.freshServers`, every turn starts a new server process, warms it up, measures it,
 * reads its `stats()` and stops it: on this VM two processes of the same server can differ
 * by 20 % in CPU per request for as long as they live (where their memory landed), and one
 * process per subject for the whole sitting lets one unlucky start bias every round.
 * Without, each contender is started and warmed up once and serves all its rounds.
 * Returns the medians per contender label.
 */
export async function alternate(
  contenders: readonly Contender[],
  profile: RoundsProfile,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<Map<string, Summary>> {
  const { rounds, freshServers: fresh } = profile;
  const warmup = { ...settings, durationS: profile.warmupS };
  const samples = new Map<string, RoundSample[]>(contenders.map(({ label }) => [label, []]));
  const stats = new Map<string, Record<string, unknown>[]>(
    contenders.map(({ label }) => [label, []]),
  );
  const running = new Map<string, ServerHandle>();
  /** The contender's server for one turn, started (and warmed up) when it has none. */
  const serverFor = async (contender: Contender): Promise<ServerHandle> => {
    let server = running.get(contender.label);
    if (server === undefined) {
      server = await contender.start();
      running.set(contender.label, server);
      await measure(server, warmup);
    }
    return server;
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const contender = contenders[(i + round) % contenders.length]!;
        const server = await serverFor(contender);
        const sample = await measure(server, settings);
        samples.get(contender.label)!.push(sample);
        if (fresh || round === rounds - 1) stats.get(contender.label)!.push(await server.stats());
        if (fresh) {
          running.delete(contender.label);
          await server.stop();
        }
        log(
          `  round ${round + 1}/${rounds} ${contender.label.padEnd(24)} ${Math.round(sample.rps)} req/s, p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms, RSS ${(sample.rssPeak / 2 ** 20).toFixed(0)} MiB, CPU ${sample.cpuUsPerRequest.toFixed(1)} µs/req (request thread ${sample.requestThreadCpuUs.toFixed(1)}), busy ${(sample.utilisation * 100).toFixed(0)} %`,
        );
      }
    }
  } finally {
    await Promise.all([...running.values()].map((server) => server.stop()));
  }
  const summaries = new Map<string, Summary>();
  for (const [label, list] of samples) {
    summaries.set(label, {
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
      stats: stats.get(label)!,
    });
  }
  return summaries;
}
