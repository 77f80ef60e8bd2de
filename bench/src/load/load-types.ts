/** What the load generator is told to do (sent to its process over IPC). */
export interface LoadSpec {
  /** `http://127.0.0.1:port`. */
  url: string;
  /** Seconds of load. */
  durationS: number;
  /** Open connections. */
  connections: number;
  /** Requests in flight per connection. */
  pipelining: number;
  /** Requests per second over all connections; absent: as fast as the server answers. */
  rate?: number;
}

/** What one load run measured. */
export interface LoadResult {
  /** Responses received. */
  responses: number;
  /** Length of the run in seconds. */
  seconds: number;
  /** Responses per second over the run. */
  rps: number;
  /** Latency percentiles in milliseconds (sub-millisecond resolution). */
  p50: number;
  p99: number;
  max: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
}
