import { expressBare, fastifyBare, fastifyNaive, nodeHttp } from './bare.js';
import type { SubjectFactory } from './bench-server.js';
import { expressRouter, fastifyEmbedded, fastifyPlugin } from './linkpulse.js';

/** Every server the scenarios can start, by name. */
export const SUBJECTS = {
  'node-http': nodeHttp,
  'fastify-bare': fastifyBare,
  'fastify-naive': fastifyNaive,
  'fastify-plugin': fastifyPlugin,
  'express-bare': expressBare,
  'express-router': expressRouter,
  'fastify-embedded': fastifyEmbedded,
} satisfies Record<string, SubjectFactory>;

/** Name of a server the scenarios can start. */
export type SubjectName = keyof typeof SUBJECTS;
