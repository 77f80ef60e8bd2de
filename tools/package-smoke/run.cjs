// The consumer smoke test of `pnpm check:packages`: what an app does right after
// `npm install @linkpulse/core @linkpulse/express @linkpulse/fastify @linkpulse/embedded`,
// given the modules as the app's module system loaded them (smoke.mjs: ESM builds,
// smoke.cjs: CJS builds).
const assert = require('node:assert/strict');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

/** Polls `read` until it returns a value `done` accepts, for up to five seconds. */
async function eventually(read, done) {
  const until = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function viaExpress({ createShortener, linkpulseRouter, express }) {
  const shortener = await createShortener();
  const app = express();
  app.use(linkpulseRouter(shortener));
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const created = await fetch(`${base}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/express', code: 'smoke-express' }),
    });
    assert.equal(created.status, 201);
    const redirect = await fetch(`${base}/smoke-express`, {
      redirect: 'manual',
      // fetch's own user agent ("node") is a bot's, counted apart from `total`.
      headers: { 'user-agent': BROWSER },
    });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), 'https://example.com/express');
    const stats = await eventually(
      async () => (await fetch(`${base}/api/links/smoke-express/stats`)).json(),
      (body) => body.total === 1,
    );
    assert.equal(stats.total, 1, 'the click reaches the stats');
  } finally {
    server.close();
    await shortener.close();
  }
}

async function viaFastify({ createShortener, linkpulse, Fastify }) {
  const shortener = await createShortener();
  const app = Fastify();
  await app.register(linkpulse, { shortener });
  try {
    await shortener.shorten({ url: 'https://example.com/fastify', code: 'smoke-fastify' });
    const redirect = await app.inject({ method: 'GET', url: '/smoke-fastify' });
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, 'https://example.com/fastify');
    const missing = await app.inject({ method: 'GET', url: '/api/links/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'not_found');
  } finally {
    await app.close(); // closes the shortener too (closeShortener defaults to true)
  }
}

// The analytics thread's module is found beside the built entry point (ESM or CJS).
async function viaEmbedded({ createEmbedded }) {
  const dir = mkdtempSync(join(tmpdir(), 'linkpulse-smoke-'));
  const shortener = await createEmbedded({ dbPath: join(dir, 'links.db'), secret: 'smoke' });
  try {
    const link = await shortener.shorten({ url: 'https://example.com/embedded' });
    assert.equal((await shortener.resolve(link.code)).status, 'found');
    shortener.recordClick({ code: link.code, ip: '203.0.113.9', userAgent: BROWSER });
    const stats = await eventually(
      () => shortener.stats(link.code),
      (body) => body.total === 1,
    );
    assert.equal(stats.total, 1, 'the click reaches SQLite through the analytics thread');
  } finally {
    await shortener.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs both adapters and the embedded shortener end to end; `label` names the module system in the output. */
module.exports = async function run(label, modules) {
  await viaExpress(modules);
  await viaFastify(modules);
  await viaEmbedded(modules);
  console.log(`${label}: both adapters and the embedded shortener answer, clicks reach the stats`);
};
