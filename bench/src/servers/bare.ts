import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redirectCacheControl } from '@linkpulse/core/http';
import express from 'express';
import Fastify from 'fastify';
import { benchLinks } from '../traffic/traffic.js';
import { type BenchServer, HOST, type SubjectFactory } from './bench-server.js';

/** The baselines' link table: code → target URL. */
function linkMap(): Map<string, string> {
  return new Map(benchLinks().map((link) => [link.code, link.url]));
}

const noStats = async () => ({});

/** Raw `node:http`: the ceiling. */
export const nodeHttp: SubjectFactory = async () => {
  const links = linkMap();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const target = links.get(url.slice(1, query === -1 ? undefined : query));
    if (target === undefined) {
      res.writeHead(404).end();
    } else {
      res.writeHead(302, { location: target }).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stats: noStats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

/** Extras of the bare Fastify subjects. */
interface FastifyExtras {
  /** Every redirect is handed to it first (the naive emitter). */
  onClick?: (code: string, ip: string, ua: string | undefined, referer: string | undefined) => void;
  /** Sends this `Cache-Control` with every redirect, as the plugin does. */
  cacheControl?: string;
}

/** Bare Fastify answering `GET /:code` with a 302 from a Map, plus `extras`. */
async function fastifyRedirects(extras: FastifyExtras = {}): Promise<BenchServer> {
  const { onClick, cacheControl } = extras;
  const links = linkMap();
  const app = Fastify({ logger: false });
  app.get<{ Params: { code: string } }>('/:code', (request, reply) => {
    const target = links.get(request.params.code);
    if (target === undefined) return reply.code(404).send();
    onClick?.(
      request.params.code,
      request.ip,
      request.headers['user-agent'],
      request.headers.referer,
    );
    if (cacheControl !== undefined) reply.header('cache-control', cacheControl);
    return reply.redirect(target, 302);
  });
  await app.listen({ port: 0, host: HOST });
  return {
    port: (app.server.address() as AddressInfo).port,
    stats: noStats,
    close: () => app.close(),
  };
}

/** Bare Fastify 5. */
export const fastifyBare: SubjectFactory = () => fastifyRedirects();

/**
 * Bare Fastify sending the plugin's `Cache-Control` of a 302 with every redirect: what
 * that header alone costs bare Fastify.
 */
export const fastifyBareCacheControl: SubjectFactory = () =>
  fastifyRedirects({ cacheControl: redirectCacheControl(302) });

/**
 * Bare Fastify plus the naive analytics the issue compares against: push every click to
 * an array and `JSON.stringify` the batch every 250 ms on the main thread.
 */
export const fastifyNaive: SubjectFactory = async () => {
  let batch: object[] = [];
  let bytes = 0;
  const timer = setInterval(() => {
    bytes += JSON.stringify(batch).length;
    batch = [];
  }, 250);
  const server = await fastifyRedirects({
    onClick(code, ip, ua, referer) {
      batch.push({ code, ip, ua, referer, ts: Date.now() });
    },
  });
  return {
    ...server,
    stats: async () => ({ bytes }),
    close: async () => {
      clearInterval(timer);
      await server.close();
    },
  };
};

/** Bare Express 5 answering `GET /:code` with `res.redirect(302, url)` from a Map. */
export const expressBare: SubjectFactory = async () => {
  const links = linkMap();
  const app = express();
  app.get('/:code', (req, res) => {
    const target = links.get(req.params.code);
    if (target === undefined) res.status(404).end();
    else res.redirect(302, target);
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, HOST, () => resolve(listening));
  });
  return {
    port: (server.address() as AddressInfo).port,
    stats: noStats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};
