import type { AddressInfo } from 'node:net';
import {
  type Analytics,
  type ClickInputProducer,
  createShortener,
  createThreadedAnalytics,
  type ShortenerHandle,
  type ThreadedAnalytics,
} from '@linkpulse/core';
import { createEmbedded } from '@linkpulse/embedded';
import { linkpulseRouter } from '@linkpulse/express';
import { linkpulse } from '@linkpulse/fastify';
import express from 'express';
import Fastify from 'fastify';
import { BENCH_SECRET } from '../traffic/clicks.js';
import { benchLinks } from '../traffic/traffic.js';
import { type BenchServer, HOST, type SubjectFactory, type TransportMode } from './bench-server.js';
import { benchThreadModule } from './threads.js';

/**
 * The producer the emitter sees: the real one, or one that never answers or always fails.
 * A faulty one takes clicks as the real one does (`sendClicks`), so the emitter does the
 * same work in every mode and only the transport's answer differs.
 */
function producerFor(analytics: Analytics, mode: TransportMode): Analytics['producer'] {
  if (mode === 'healthy') return analytics.producer;
  const answer = (): Promise<void> =>
    mode === 'stalled' ? new Promise<void>(() => {}) : Promise.reject(new Error('transport down'));
  const faulty: ClickInputProducer = {
    send: answer,
    sendClicks: answer,
    close: () => analytics.producer.close(),
  };
  return faulty;
}

/**
 * Shortener with analytics on: the emitter here, and in an analytics thread a memory
 * transport → worker with enrichment → counting sink.
 */
async function benchShortener(mode: TransportMode = 'healthy'): Promise<ShortenerHandle> {
  const analytics = await createThreadedAnalytics({
    module: benchThreadModule('servers/counting-thread.ts'),
  });
  const shortener = await createShortener({
    secret: BENCH_SECRET,
    analytics: { ...analytics, producer: producerFor(analytics, mode) },
  });
  await addLinks(shortener);
  return shortener;
}

async function addLinks(shortener: ShortenerHandle): Promise<void> {
  for (const { code, url } of benchLinks()) await shortener.shorten({ code, url });
}

/** Emitter, worker and (for an analytics thread) thread counters of a shortener. */
function pipelineStats(shortener: ShortenerHandle): () => Promise<Record<string, unknown>> {
  const analytics = shortener.analytics as Analytics & Partial<ThreadedAnalytics>;
  return async () => ({
    emitter: shortener.emitter.counters(),
    worker: analytics.worker?.counters(),
    thread: analytics.counters?.(),
  });
}

async function fastifyWith(shortener: ShortenerHandle): Promise<BenchServer> {
  const app = Fastify({ logger: false });
  await app.register(linkpulse, { shortener });
  await app.listen({ port: 0, host: HOST });
  return {
    port: (app.server.address() as AddressInfo).port,
    stats: pipelineStats(shortener),
    close: () => app.close(),
  };
}

/** The Fastify plugin with analytics on. */
export const fastifyPlugin: SubjectFactory = async (options) =>
  fastifyWith(await benchShortener(options.transport));

/**
 * The Fastify plugin with clicks not recorded (the shortener's `recordClick` does nothing):
 * what the plugin costs a redirect before analytics.
 */
export const fastifyPluginUnrecorded: SubjectFactory = async () => {
  const shortener = await benchShortener();
  return fastifyWith({ ...shortener, recordClick() {} });
};

/** The Express router with analytics on. */
export const expressRouter: SubjectFactory = async (options) => {
  const shortener = await benchShortener(options.transport);
  const app = express();
  app.use(linkpulseRouter(shortener));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, HOST, () => resolve(listening));
  });
  return {
    port: (server.address() as AddressInfo).port,
    stats: pipelineStats(shortener),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await shortener.close();
    },
  };
};

/** The Fastify plugin on the embedded shortener: SQLite links and clicks, worker in a thread. */
export const fastifyEmbedded: SubjectFactory = async (options) => {
  if (options.dbPath === undefined) throw new Error('fastify-embedded needs a dbPath');
  const shortener = await createEmbedded({
    dbPath: options.dbPath,
    secret: BENCH_SECRET,
    thread: { module: benchThreadModule('servers/embedded-thread.ts') },
  });
  await addLinks(shortener);
  return fastifyWith(shortener);
};
