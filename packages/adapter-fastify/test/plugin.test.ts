import { createShortener, LinkPulseError, type ShortenerHandle } from '@linkpulse/core';
import { linkpulse } from '@linkpulse/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

describe('@linkpulse/fastify plugin', () => {
  let shortener: ShortenerHandle;
  let app: FastifyInstance;

  beforeEach(async () => {
    shortener = await createShortener();
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
  });

  it('decorates app.linkpulse and closes the shortener when the app closes', async () => {
    const close = vi.spyOn(shortener, 'close');
    await app.register(linkpulse, { shortener });
    await app.ready();
    expect(app.linkpulse).toBe(shortener);
    await app.close();
    expect(close).toHaveBeenCalledOnce();
  });

  it('leaves the shortener open with closeShortener: false', async () => {
    const close = vi.spyOn(shortener, 'close');
    await app.register(linkpulse, { shortener, closeShortener: false });
    await app.close();
    expect(close).not.toHaveBeenCalled();
    await shortener.close();
  });

  it("keeps the host app's error handler and validation for its own routes", async () => {
    app.setErrorHandler((error, _request, reply) =>
      reply.code(418).send({ host: true, message: (error as Error).message }),
    );
    app.post(
      '/host',
      {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
        },
      },
      async (request) => ({ n: (request.body as { n: number }).n }),
    );
    app.get('/boom', async () => {
      throw new Error('host failure');
    });
    await app.register(linkpulse, { shortener });

    // The host's default Ajv still coerces "5" for its routes; LinkPulse's body is strict.
    const host = await app.inject({ method: 'POST', url: '/host', payload: { n: '5' } });
    expect(host.json()).toEqual({ n: 5 });
    const invalid = await app.inject({ method: 'POST', url: '/host', payload: {} });
    expect(invalid.statusCode).toBe(418);
    expect((await app.inject({ method: 'GET', url: '/boom' })).json()).toEqual({
      host: true,
      message: 'host failure',
    });
    const ours = await app.inject({
      method: 'POST',
      url: '/api/links',
      payload: { url: 'https://example.com/', maxClicks: '5' },
    });
    expect(ours.statusCode).toBe(400);
    expect(ours.json().error.code).toBe('invalid_body');
  });

  it("hands errors it does not own (a failing store) to the host's error handler", async () => {
    app.setErrorHandler((error, _request, reply) =>
      reply.code(500).send({ failed: (error as Error).message }),
    );
    vi.spyOn(shortener.store, 'create').mockRejectedValue(new Error('disk full'));
    await app.register(linkpulse, { shortener });
    const response = await app.inject({
      method: 'POST',
      url: '/api/links',
      payload: { url: 'https://example.com/' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ failed: 'disk full' });
  });

  it('registers under an outer prefix and reports it in the short URL', async () => {
    await app.register(
      async (scope) => {
        await scope.register(linkpulse, { shortener, prefix: '/go' });
      },
      { prefix: '/v1' },
    );
    const response = await app.inject({
      method: 'POST',
      url: '/v1/go/api/links',
      headers: { host: 'sho.rt' },
      payload: { url: 'https://example.com/' },
    });
    const link = response.json();
    expect(link.shortUrl).toBe(`http://sho.rt/v1/go/${link.code}`);
    const redirect = await app.inject({ method: 'GET', url: `/v1/go/${link.code}` });
    expect(redirect.statusCode).toBe(302);
  });

  it('answers a LinkPulseError of another copy of @linkpulse/core (CJS next to ESM) as JSON', async () => {
    // A second instance of the core's error module, as a CommonJS build loaded next to the
    // ES module build has: its LinkPulseError is another class.
    const path = '../../core/src/errors.js?copy';
    const other = (await import(/* @vite-ignore */ path)) as typeof import('@linkpulse/core');
    expect(other.LinkPulseError).not.toBe(LinkPulseError);
    const foreign = new other.LinkPulseError('invalid_url', 'url must be an http(s) URL');
    vi.spyOn(shortener, 'shorten').mockRejectedValue(foreign);
    await app.register(linkpulse, { shortener });
    const response = await app.inject({
      method: 'POST',
      url: '/api/links',
      payload: { url: 'javascript:alert(1)' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'invalid_url', message: 'url must be an http(s) URL' },
    });
  });

  it("leaves a code longer than Fastify's maxParamLength to Fastify: 414, not the contract's 404", async () => {
    await app.register(linkpulse, { shortener });
    const within = await app.inject({ method: 'GET', url: `/${'a'.repeat(100)}` });
    expect(within.statusCode).toBe(404);
    expect(within.json().error.code).toBe('not_found');
    const over = await app.inject({ method: 'GET', url: `/${'a'.repeat(101)}` });
    expect(over.statusCode).toBe(414);
    expect(over.json().code).toBe('FST_ERR_MAX_PARAM_LENGTH');
  });

  it('refuses bad options when registered', async () => {
    await expect(app.register(linkpulse, { shortener, bodyLimit: 0 })).rejects.toThrow(/bodyLimit/);
  });
});
