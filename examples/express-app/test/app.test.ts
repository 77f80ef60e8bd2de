import type { AddressInfo } from 'node:net';
import { createShortener, type ShortenerHandle } from '@linkpulse/core';
import type { LinkJson } from '@linkpulse/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';

const API_KEY = 'shop-key';
const BROWSER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('examples/express-app', () => {
  let shortener: ShortenerHandle;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    shortener = await createShortener({ emitter: { flushIntervalMs: 20 } });
    const server = createApp(shortener, { apiKey: API_KEY }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
    await shortener.close();
  });

  it("keeps the app's own pages", async () => {
    expect(await (await fetch(`${url}/about`)).text()).toContain('1999');
    expect(await (await fetch(`${url}/products/7`)).json()).toEqual({ id: '7', name: 'Product 7' });
  });

  it('adds short links to product pages, with stats', async () => {
    const created = await fetch(`${url}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ url: `${url}/products/7`, code: 'prod-7' }),
    });
    expect(created.status).toBe(201);
    const link = (await created.json()) as LinkJson;
    expect(link.shortUrl).toBe(`${url}/prod-7`);

    const followed = await fetch(link.shortUrl, { headers: { 'user-agent': BROWSER } });
    expect(followed.redirected).toBe(true);
    expect(await followed.json()).toEqual({ id: '7', name: 'Product 7' });

    let stats = { total: 0, top: { devices: [] as unknown[] } };
    for (let tries = 0; stats.total < 1 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const response = await fetch(`${url}/api/links/prod-7/stats`, {
        headers: { 'x-api-key': API_KEY },
      });
      stats = (await response.json()) as typeof stats;
    }
    expect(stats.total).toBe(1);
    expect(stats.top.devices).toEqual([{ value: 'mobile', clicks: 1 }]);
  });

  it('answers unknown short codes with the LinkPulse 404 body', async () => {
    const response = await fetch(`${url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
