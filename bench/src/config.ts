/** Durations and sizes of a run. */
export interface Profile {
  name: 'quick' | 'full';
  /** Measured rounds per subject (servers alternate within each round). */
  rounds: number;
  /** Seconds of warm-up load per server before the rounds. */
  warmupS: number;
  /** Seconds of load per subject per round. */
  durationS: number;
  /**
   * Start every server afresh for each of its rounds (and warm it up each time) rather than
   * once for the sitting: on this VM two processes of one server can differ by 20 % in CPU
   * per request for as long as they live. Costs a start and a warm-up per round, too slow
   * for `--quick`.
   */
  freshServers: boolean;
  /** Open connections of the load generator. */
  connections: number;
  /** Requests in flight per connection at saturation. */
  pipelining: number;
  /**
   * Also measure the reference servers: the naive emitter, and the plugin with its
   * transport stalled (the request path without the pipeline's work).
   */
  references: boolean;
  /** `emit()` calls timed in the emitter scenario. */
  emitCalls: number;
  /** Flushes of 1,000 events timed. */
  flushes: number;
  /**
   * Request-thread CPU per round of each producer where flushes to an analytics thread are
   * compared with flushes done on the request thread (emitter and Kafka scenarios), ms:
   * tens of 10 ms ticks.
   */
  flushRoundCpuMs: number;
  /** Emits against a stalled transport (the 1,000,000 in both profiles). */
  stalledEmits: number;
  /** Seconds of the embedded saturation run (the target is defined over 30 s). */
  saturationS: number;
  /** Events pushed through the memory → SQLite pipeline and its baseline. */
  pipelineEvents: number;
  /** Events pushed through the Kafka → ClickHouse pipeline and each of its baselines. */
  kafkaEvents: number;
  /** Rounds of the Kafka → ClickHouse pipeline and its baselines. */
  kafkaRounds: number;
}

/** Settings of `pnpm bench` and `pnpm bench --quick`. */
export const PROFILES: Record<Profile['name'], Profile> = {
  quick: {
    name: 'quick',
    rounds: 3,
    warmupS: 0.5,
    durationS: 1,
    freshServers: false,
    connections: 64,
    pipelining: 1,
    references: false,
    emitCalls: 1_000_000,
    flushes: 100,
    flushRoundCpuMs: 100,
    stalledEmits: 1_000_000,
    saturationS: 4,
    pipelineEvents: 20_000,
    kafkaEvents: 3_000,
    kafkaRounds: 1,
  },
  full: {
    name: 'full',
    rounds: 5,
    warmupS: 4,
    durationS: 8,
    freshServers: true,
    connections: 64,
    pipelining: 1,
    references: true,
    emitCalls: 10_000_000,
    flushes: 500,
    flushRoundCpuMs: 600,
    stalledEmits: 1_000_000,
    saturationS: 30,
    pipelineEvents: 300_000,
    kafkaEvents: 60_000,
    kafkaRounds: 3,
  },
};
