import type { Shortener } from '@linkpulse/core';
import { linkpulseRouter } from '@linkpulse/express';
import express, { type ErrorRequestHandler, type Express } from 'express';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Key required by the short-link API; open without one. */
  apiKey?: string;
}

/**
 * A small existing Express app (a shop with a few pages) that adds short links and
 * click stats by mounting one router.
 */
export function createApp(shortener: Shortener, options: AppOptions = {}): Express {
  const app = express();

  // The app's own routes come first: LinkPulse's `GET /:code` would otherwise answer
  // every single-segment path, such as /about.
  app.get('/', (_req, res) => {
    res.send('<h1>Corner Shop</h1>');
  });
  app.get('/about', (_req, res) => {
    res.send('<p>Open since 1999.</p>');
  });
  app.get('/products/:id', (req, res) => {
    res.json({ id: req.params.id, name: `Product ${req.params.id}` });
  });

  // Everything LinkPulse: POST /api/links, GET/PATCH/DELETE /api/links/:code,
  // GET /api/links/:code/stats and the redirect GET/HEAD /:code.
  app.use(linkpulseRouter(shortener, { apiKey: options.apiKey }));

  // The app's error handler still gets what LinkPulse does not answer itself.
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    console.error(`${req.method} ${req.originalUrl} failed:`, error);
    res.status(500).json({ message: 'something went wrong' });
  };
  app.use(onError);
  return app;
}
