import type { FlushCpu, FlushRounds } from '../scenarios/flush-rounds.js';

/** What a pipeline probe is told (passed to its process as JSON). */
export interface PipelineSpec {
  mode: PipelineMode;
  /** Events to push through. */
  events: number;
  /** Scratch folder for database files. */
  dir: string;
  /** Kafka brokers (`host:port,…`) of the Kafka modes. */
  brokers?: string;
  /** ClickHouse's HTTP interface, for `kafka-clickhouse-http`. */
  clickhouseUrl?: string;
}

/** The pipelines and their baselines. */
export type PipelineMode =
  | 'memory-sqlite'
  | 'sqlite-raw'
  | 'kafka-clickhouse'
  | 'kafka-clickhouse-http'
  | 'kafkajs-raw'
  | 'kafkajs-raw-packed'
  | 'clickhouse-raw';

/** What one probe measured. */
export interface PipelineResult {
  mode: PipelineMode;
  events: number;
  /** Events that reached the end (the sink, or the consumer for raw Kafka). */
  delivered: number;
  /** Clicks the emitter dropped (LinkPulse pipelines only). */
  dropped: number;
  seconds: number;
  eventsPerSecond: number;
  /** The process's CPU time over the wall time (1: one core busy throughout). */
  cpuShare: number;
}

/**
 * What the Kafka forwarding probe is told: the request thread's CPU of producing to Kafka
 * through a forwarding analytics thread against producing on the request thread.
 */
export interface ForwardingSpec extends FlushRounds {
  mode: 'kafka-forwarding';
  /** Kafka brokers, `host:port,…`. */
  brokers: string;
}

/** What the Kafka forwarding probe measured, per 1,000 clicks emitted and flushed. */
export interface ForwardingResult extends FlushRounds {
  /** `KafkaTransport` in a forwarding analytics thread, which builds the events. */
  thread: FlushCpu;
  /** `KafkaTransport` on the request thread, the events built there. */
  inline: FlushCpu;
}
