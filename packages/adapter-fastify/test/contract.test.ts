import { describeHttpContract } from '@linkpulse/core/testing';
import { linkpulse } from '@linkpulse/fastify';
import Fastify from 'fastify';

describeHttpContract('fastify', async (shortener, options) => {
  const app = Fastify();
  await app.register(linkpulse, { shortener, closeShortener: false, ...options });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
});
