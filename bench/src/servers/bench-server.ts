/** Which way the click transport misbehaves in the fault scenario. */
export type TransportMode = 'healthy' | 'stalled' | 'failing';

/** Settings of a subject, passed to the server process as JSON. */
export interface SubjectOptions {
  /** Transport behaviour of the LinkPulse subjects (default `healthy`). */
  transport?: TransportMode;
  /** SQLite file of the embedded subject. */
  dbPath?: string;
}

/** A subject listening on loopback. */
export interface BenchServer {
  port: number;
  /** Counters the scenario reads after a run (emitter, worker, …). */
  stats(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Builds and starts one subject. */
export type SubjectFactory = (options: SubjectOptions) => Promise<BenchServer>;

/** The address every subject listens on. */
export const HOST = '127.0.0.1';
