/**
 * An app node: `node dist/app.js` (built) or `pnpm app` (sources). Settings come from the
 * environment only; see the README.
 */
import { createAppNode } from './app-node.js';
import { loadAppConfig } from './config.js';
import { serveUntilSignal } from './ops.js';

const config = loadAppConfig();
const app = await createAppNode(config);
app.log.info(
  { kafka: config.kafkaBrokers, clickhouse: config.clickhouseUrl !== undefined },
  'LinkPulse app node',
);
await serveUntilSignal(app, {
  port: config.port,
  host: config.host,
  timeoutMs: config.shutdownTimeoutMs,
});
