/**
 * The load generator: creates `LINKS` links through `TARGET_URL` (the load balancer),
 * then requests `REQUESTS` redirects spread over them, `CONCURRENCY` at a time, at most
 * `RATE` per second (0: unlimited) and for at most `DURATION_S` seconds, and prints a
 * summary (statuses, latency percentiles, requests per second) as one JSON line.
 */
import { integer, optional, required } from './env.js';
import { createLinks, runRedirects } from './load.js';

const env = process.env;
const url = required(env, 'TARGET_URL');
const apiKey = optional(env, 'LINKPULSE_API_KEY');
const links = integer(env, 'LINKS', 20, { min: 1 });
const total = integer(env, 'REQUESTS', 100_000, { min: 1 });
const concurrency = integer(env, 'CONCURRENCY', 32, { min: 1 });
const rate = integer(env, 'RATE', 0);
const durationS = integer(env, 'DURATION_S', 300, { min: 1 });

/** The load balancer may still be starting (Compose starts the load generator with it). */
async function createLinksWhenUp(): Promise<string[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await createLinks({ url, apiKey, count: links });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      console.error(`waiting for ${url}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

const codes = await createLinksWhenUp();
console.error(`created ${codes.length} links; sending ${total} redirects`);
const result = await runRedirects({
  url,
  codes,
  total,
  concurrency,
  ...(rate > 0 && { ratePerSecond: rate }),
  signal: AbortSignal.timeout(durationS * 1_000),
  onProgress: (done) => {
    if (done % 10_000 === 0) console.error(`${done} redirects`);
  },
});
console.log(
  JSON.stringify({
    ...result,
    codes,
    requestsPerSecond: Math.round(result.requests / result.seconds),
  }),
);
