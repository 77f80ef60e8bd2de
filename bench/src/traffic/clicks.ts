import type { ClickInput } from '@linkpulse/core';
import { benchRequests, seededRandom } from './traffic.js';

const requests = benchRequests();
const random = seededRandom(3);

/** 100,000 client addresses, so that visitor ids are mostly computed, not cached. */
const addresses = Array.from(
  { length: 100_000 },
  () =>
    `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
);

/** Visitor-id key of every bench emitter and shortener. */
export const BENCH_SECRET = 'linkpulse-bench-secret';

/** The click an adapter records for request `i` of the mix, from one of 100,000 addresses. */
export function benchClick(i: number): ClickInput {
  const request = requests[i % requests.length]!;
  const query = request.path.indexOf('?');
  return {
    code: request.path.slice(1, query === -1 ? undefined : query),
    ip: addresses[i % addresses.length]!,
    userAgent: request.headers['user-agent'],
    referer: request.headers.referer,
    method: 'GET',
    query: query === -1 ? undefined : request.path.slice(query + 1),
  };
}
