/**
 * `pnpm cluster`: the reference topology as processes on this machine (no Docker).
 * Prints the URLs and stops everything on Ctrl-C / SIGTERM.
 */
import { startCluster, WORKER_GROUP } from './cluster.js';

const cluster = await startCluster({
  apiKey: process.env.LINKPULSE_API_KEY || undefined,
  logLevel: process.env.LOG_LEVEL || undefined,
  onProgress: (message) => console.error(`… ${message}`),
});

const auth = `-H 'authorization: Bearer ${cluster.apiKey}'`;
console.log(`
LinkPulse cluster is up (logs in ${cluster.dir}/logs)

  load balancer   ${cluster.lbUrl}   (nginx, access log ${cluster.accessLog})
${cluster.apps.map((app) => `  ${app.name.padEnd(14)}  ${app.url}`).join('\n')}
${cluster.workers
  .map(
    (worker) =>
      `  ${worker.name.padEnd(14)}  ${worker.url}/metrics   (${WORKER_GROUP}: Redis counters + ClickHouse)`,
  )
  .join('\n')}
${Object.entries(cluster.redisEnv)
  .map(([name, value]) => `  ${name}=${value}`)
  .join('\n')}
  KAFKA_BROKERS=${cluster.kafkaBrokers.join(',')}
  CLICKHOUSE_URL=${cluster.clickhouse.url}
  LINKPULSE_API_KEY=${cluster.apiKey}

Try:
  curl -s ${auth} -H 'content-type: application/json' -d '{"url":"https://example.com"}' ${cluster.lbUrl}/api/links
  curl -si ${cluster.lbUrl}/<code>
  curl -s ${auth} ${cluster.lbUrl}/api/links/<code>/stats            # Redis counters
  curl -s ${auth} '${cluster.lbUrl}/api/links/<code>/stats?from=2020-01-01T00:00:00Z'   # ClickHouse (older than RECENT_STATS_DAYS)
  curl -s ${auth} ${cluster.workers[0]!.url}/clickhouse/stats/<code>   # ClickHouse, from a worker
  TARGET_URL=${cluster.lbUrl} LINKPULSE_API_KEY=${cluster.apiKey} pnpm --filter @linkpulse/example-reference loadgen

Ctrl-C stops everything.`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.error('… stopping');
  const exits = await cluster.stop();
  console.error(
    Object.entries(exits)
      .map(([name, status]) => `${name}: ${status}`)
      .join(', '),
  );
  process.exit(0);
};
// Ctrl-C reaches this process twice (from the terminal and relayed by tsx): keep handling.
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
