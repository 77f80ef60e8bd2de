/** What a pipeline probe is told (passed to its process as JSON). */
export interface PipelineSpec {
  mode: PipelineMode;
  /** Events to push through. */
  events: number;
  /** Scratch folder for database files. */
  dir: string;
  /** Kafka brokers (`host:port,…`) of the Kafka modes. */
  brokers?: string;
}

/** The pipelines and their baselines. */
export type PipelineMode =
  | 'memory-sqlite'
  | 'sqlite-raw'
  | 'kafka-clickhouse'
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
}
