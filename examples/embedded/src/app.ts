import { createEmbedded } from '@linkpulse/embedded';
import { createOpenApiDocument, linkpulse } from '@linkpulse/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { createMetrics } from './metrics.js';

/**
 * The embedded LinkPulse server: the Fastify plugin over the one-file SQLite shortener,
 * plus `/healthz`, `/readyz`, `/metrics` and `/openapi.json`. Closing the app (on
 * SIGTERM/SIGINT) stops accepting requests, flushes buffered clicks, lets the worker
 * write them and closes SQLite.
 */
export async function buildServer(config: ServerConfig): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: config.logLevel } });
  const shortener = await createEmbedded({ dbPath: config.dbPath, secret: config.secret });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  await app.register(linkpulse, { shortener, apiKey: config.apiKey, baseUrl: config.baseUrl });

  const metrics = createMetrics(shortener);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'shutting down' });
    await shortener.list({ limit: 1 });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.metrics()),
  );
  const openApi = createOpenApiDocument({ serverUrl: config.baseUrl });
  app.get('/openapi.json', async () => openApi);
  return app;
}
