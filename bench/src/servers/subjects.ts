import {
  expressBare,
  fastifyBare,
  fastifyBareCacheControl,
  fastifyNaive,
  nodeHttp,
} from './bare.js';
import type { SubjectFactory } from './bench-server.js';
import {
  expressRouter,
  fastifyEmbedded,
  fastifyPlugin,
  fastifyPluginUnrecorded,
} from './linkpulse.js';

/** Every server the scenarios can start, by name. */
export const SUBJECTS = {
  'node-http': nodeHttp,
  'fastify-bare': fastifyBare,
  'fastify-bare-cache-control': fastifyBareCacheControl,
  'fastify-naive': fastifyNaive,
  'fastify-plugin': fastifyPlugin,
  'fastify-plugin-unrecorded': fastifyPluginUnrecorded,
  'express-bare': expressBare,
  'express-router': expressRouter,
  'fastify-embedded': fastifyEmbedded,
} satisfies Record<string, SubjectFactory>;

/** Name of a server the scenarios can start. */
export type SubjectName = keyof typeof SUBJECTS;
