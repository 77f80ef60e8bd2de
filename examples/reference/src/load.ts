/**
 * Load for the deployment: creating links and requesting redirects through the load
 * balancer, over keep-alive connections. Used by the load generator (`src/loadgen.ts`)
 * and the end-to-end test.
 */
import { Agent, request } from 'node:http';

/** User agents the load cycles through: desktop and mobile browsers (counted as humans). */
const BROWSER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
];

/** What {@link runRedirects} sends. */
export interface RedirectLoad {
  /** Base URL, e.g. the load balancer's `http://127.0.0.1:8080`. */
  url: string;
  /** Codes requested in turn. */
  codes: readonly string[];
  /** Requests in all. */
  total: number;
  /** Requests in flight at once (default 32). */
  concurrency?: number;
  /** Requests per second at most (default: as fast as the server answers). */
  ratePerSecond?: number;
  /** Stops sending (requests in flight still finish). */
  signal?: AbortSignal;
  /** Told after every `every` answered requests (default 1,000). */
  onProgress?: (done: number) => void;
}

/** What came back. */
export interface LoadResult {
  /** Requests that got an answer or an error. */
  requests: number;
  /** Answers by HTTP status. */
  statuses: Record<number, number>;
  /** Requests that failed without an answer (connection errors), with the first reasons. */
  errors: number;
  errorSamples: string[];
  seconds: number;
  /** Latency percentiles of answered requests, in milliseconds. */
  latencyMs: { p50: number; p99: number; max: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One GET without following the redirect; resolves with the status. */
function get(agent: Agent, url: URL, userAgent: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'user-agent': userAgent } }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
      response.once('error', reject);
    });
    req.once('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** Requests `total` redirects, `concurrency` at a time, and tallies the answers. */
export async function runRedirects(load: RedirectLoad): Promise<LoadResult> {
  const concurrency = load.concurrency ?? 32;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<number, number> = {};
  const latencies = new Float64Array(load.total);
  const errorSamples: string[] = [];
  let answered = 0;
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (;;) {
      const index = next++;
      if (index >= load.total || load.signal?.aborted) return;
      if (load.ratePerSecond) {
        const due = started + (index * 1_000) / load.ratePerSecond;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const code = load.codes[index % load.codes.length]!;
      const url = new URL(`/${code}`, load.url);
      const agentString = BROWSER_AGENTS[index % BROWSER_AGENTS.length]!;
      const sent = performance.now();
      try {
        const status = await get(agent, url, agentString);
        latencies[answered++] = performance.now() - sent;
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch (error) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(String(error));
      }
      const done = answered + errors;
      if (load.onProgress && done % 1_000 === 0) load.onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  const sorted = latencies.slice(0, answered).sort();
  return {
    requests: answered + errors,
    statuses,
    errors,
    errorSamples,
    seconds: (performance.now() - started) / 1_000,
    latencyMs: {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
    },
  };
}

/** Creates `count` links through `url`'s management API; resolves with their codes. */
export async function createLinks(options: {
  url: string;
  apiKey: string | undefined;
  count: number;
  /** Target of link number `i` (default `https://example.com/<i>`). */
  target?: (i: number) => string;
}): Promise<string[]> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const codes: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const response = await fetch(new URL('/api/links', options.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: options.target?.(i) ?? `https://example.com/${i}` }),
    });
    const body = (await response.json()) as { code?: string };
    if (response.status !== 201 || !body.code) {
      throw new Error(`creating a link answered ${response.status}: ${JSON.stringify(body)}`);
    }
    codes.push(body.code);
  }
  return codes;
}
