import type { AddressInfo } from 'node:net';
import { describeHttpContract } from '@linkpulse/core/testing';
import { linkpulseRouter } from '@linkpulse/express';
import express from 'express';

describeHttpContract('express', async (shortener, options) => {
  const app = express();
  app.use(linkpulseRouter(shortener, options));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
