/**
 * What the probes that compare the request thread's CPU of flushes (an analytics thread
 * doing the work or this thread doing it) report; the measurement is in
 * `flush-rounds-probe.ts`.
 */

/** The request thread's CPU of one producer's flushes of 1,000 clicks. */
export interface FlushCpu {
  /** Median over the rounds of µs of CPU per flush. */
  us: number;
  /** Flushes per round. */
  flushes: number;
  /** CPU over all rounds, ms. */
  totalCpuMs: number;
}

/** How many rounds `timeFlushRounds` runs, and how long. */
export interface FlushRounds {
  /** Rounds of each producer. */
  rounds: number;
  /** CPU per round of each producer, ms: sizes the rounds. */
  roundCpuMs: number;
}

/** How a comparison of `timeFlushRounds` ran, for a figure's note. */
export function flushRoundsNote(
  { rounds, roundCpuMs }: FlushRounds,
  subject: FlushCpu,
  baseline: FlushCpu,
): string {
  return `median of ${rounds} alternating rounds of ~${roundCpuMs} ms CPU (${subject.flushes} and ${baseline.flushes} flushes), the thread idle at each round's start; ${(subject.totalCpuMs / 1_000).toFixed(1)} and ${(baseline.totalCpuMs / 1_000).toFixed(1)} s CPU in all`;
}
