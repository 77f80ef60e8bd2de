/**
 * A worker: `node dist/worker.js` (built) or `pnpm worker` (sources). Settings come from
 * the environment only; see the README.
 */
import { loadWorkerConfig } from './config.js';
import { serveUntilSignal } from './ops.js';
import { createWorkerNode } from './worker-node.js';

const config = loadWorkerConfig();
const app = await createWorkerNode(config);
app.log.info({ pipelines: config.pipelines, kafka: config.kafkaBrokers }, 'LinkPulse worker');
await serveUntilSignal(app, {
  port: config.port,
  host: config.host,
  timeoutMs: config.shutdownTimeoutMs,
});
