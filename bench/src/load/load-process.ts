/**
 * The load generator's process: for every {@link LoadSpec} it is sent over IPC, runs
 * autocannon against that server with the rotating request mix and answers with one
 * {@link LoadResult}. Started once by `runLoad` and kept for the whole bench run (a fresh
 * process per run cost 0.4 s of start-up, and a cold load generator in its first
 * fraction of a second), pinned to its own core; it exits when the runner does.
 */
import autocannon from 'autocannon';
import { percentile } from '../stats.js';
import { benchRequests } from '../traffic/traffic.js';
import type { LoadResult, LoadSpec } from './load-types.js';

/** One entry per code; every connection reads the same prebuilt request buffers. */
const requests = benchRequests();

/** The part of autocannon's per-connection request iterator used here. */
interface RequestIterator {
  /** Builds the request buffers (stored on the request objects) and uses the list. */
  setRequests(requests: readonly object[]): void;
  requests: readonly object[];
  currentRequestIndex: number;
  currentRequest: object;
}

/** One load run: autocannon against `spec.url`, every response's latency kept exactly. */
function run(spec: LoadSpec): Promise<LoadResult> {
  // autocannon's own histogram has millisecond resolution; keep the exact times instead.
  let latencies = new Float64Array(1 << 20);
  let count = 0;
  const statuses: Record<string, number> = {};
  let clients = 0;
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
      // The buffers are built by the first connection, before the clock matters.
      requests: requests.slice(0, 1),
      setupClient: (client) => {
        const iterator = (client as unknown as { requestIterator: RequestIterator })
          .requestIterator;
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
  return new Promise((resolve) => {
    instance.on('done', (result: autocannon.Result) => {
      const sorted = latencies.subarray(0, count).sort();
      const seconds = result.duration;
      resolve({
        responses: count,
        seconds,
        rps: count / seconds,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        max: count === 0 ? 0 : sorted[count - 1]!,
        statuses,
        errors: result.errors,
        timeouts: result.timeouts,
      });
    });
  });
}

process.on('message', async (spec: LoadSpec) => {
  process.send!(await run(spec));
});
process.on('disconnect', () => process.exit(0));
