/**
 * The load generator's process: runs autocannon against one server with the rotating
 * request mix and prints one {@link LoadResult} as JSON on stdout. Started by `runLoad`,
 * pinned to its own core.
 */
import autocannon from 'autocannon';
import { percentile } from '../stats.js';
import { benchRequests } from '../traffic/traffic.js';
import type { LoadResult, LoadSpec } from './load-types.js';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
/** One entry per code; every connection reads the same prebuilt request buffers. */
const requests = benchRequests();

// autocannon's own histogram has millisecond resolution; keep the exact times instead.
let latencies = new Float64Array(1 << 20);
let count = 0;
const statuses: Record<string, number> = {};
let clients = 0;

/** The part of autocannon's per-connection request iterator used here. */
interface RequestIterator {
  /** Builds the request buffers (stored on the request objects) and uses the list. */
  setRequests(requests: readonly object[]): void;
  requests: readonly object[];
  currentRequestIndex: number;
  currentRequest: object;
}

const instance = autocannon(
  {
    url: spec.url,
    connections: spec.connections,
    pipelining: spec.pipelining,
    duration: spec.durationS,
    // autocannon stops at its next sample tick after the duration: tick often.
    sampleInt: 100,
    ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
    // autocannon deep-copies its options into every connection: hand it one request and
    // give each connection the shared list afterwards, so that the load generator walks
    // one set of buffers (a copy per connection thrashes its caches and slows it down).
    // The buffers are built once, by the first connection, before the clock matters.
    requests: requests.slice(0, 1),
    setupClient: (client) => {
      const iterator = (client as unknown as { requestIterator: RequestIterator }).requestIterator;
      if (clients === 0) iterator.setRequests(requests);
      else iterator.requests = requests;
      // Every connection starts at its own place in the mix.
      const start = (clients++ * 61) % requests.length;
      iterator.currentRequestIndex = start;
      iterator.currentRequest = requests[start]!;
    },
  },
  () => {},
);

instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = ms;
  statuses[status] = (statuses[status] ?? 0) + 1;
});

instance.on('done', (result: autocannon.Result) => {
  const sorted = latencies.subarray(0, count).sort();
  const seconds = result.duration;
  const output: LoadResult = {
    responses: count,
    seconds,
    rps: count / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: count === 0 ? 0 : sorted[count - 1]!,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
});
