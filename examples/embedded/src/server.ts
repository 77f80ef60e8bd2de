/**
 * `pnpm start`: LinkPulse in one process. See the README for the environment variables.
 */
import { buildServer } from './app.js';
import { loadConfig } from './config.js';

const SHUTDOWN_TIMEOUT_MS = 15_000;

const config = loadConfig();
const app = await buildServer(config);
app.log.info({ db: config.dbPath, apiKey: config.apiKey !== undefined }, 'LinkPulse embedded');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    app.close().then(
      () => app.log.info('stopped: clicks flushed, worker drained, database closed'),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  });
}

await app.listen({ port: config.port, host: config.host });
