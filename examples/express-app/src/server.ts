/**
 * Runs the example shop with short links kept in memory:
 * `pnpm --filter @linkpulse/example-express-app start`.
 */
import { createShortener } from '@linkpulse/core';
import { createApp } from './app.js';

const shortener = await createShortener();
const app = createApp(shortener, { apiKey: process.env.LINKPULSE_API_KEY });
const port = Number(process.env.PORT ?? 3001);
const server = app.listen(port, () => console.log(`shop listening on http://localhost:${port}`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => {
      shortener.close().then(() => console.log('stopped'));
    });
  });
}
