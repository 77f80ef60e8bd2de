import type { PipelineResult, PipelineSpec } from './pipeline-types.js';

/** Wall time and CPU share of a pipeline run, as {@link startClock} measures them. */
export interface ClockReading {
  seconds: number;
  /**
   * CPU time of the whole process (every thread, chDB's included) over the wall time: 1
   * is one core busy throughout. Under 1 on a process pinned to one core, the pipeline
   * waited (on the broker, a timer, a fetch) rather than computed.
   */
  cpuShare: number;
}

/** Starts timing a pipeline run: `stop()` reads the wall time and the process's CPU share. */
export function startClock(): { stop(): ClockReading } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      return { seconds, cpuShare: (used.user + used.system) / 1e6 / seconds };
    },
  };
}

/** A {@link ClockReading.cpuShare} as a percentage of one core, for notes and logs. */
export function cpuPercent(share: number): string {
  return `${(share * 100).toFixed(0)} %`;
}

/** What a pipeline probe reports: `delivered` of `spec.events` in the time `reading` took. */
export function pipelineResult(
  spec: PipelineSpec,
  delivered: number,
  dropped: number,
  { seconds, cpuShare }: ClockReading,
): PipelineResult {
  return {
    mode: spec.mode,
    events: spec.events,
    delivered,
    dropped,
    seconds,
    eventsPerSecond: spec.events / seconds,
    cpuShare,
  };
}
