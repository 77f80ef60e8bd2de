/**
 * The analytics thread of the Fastify plugin and Express router subjects: the worker
 * (decode, dedupe, enrich) writing a {@link CountingSink}.
 */
import { runAnalyticsThread } from '@linkpulse/core';
import { CountingSink } from './counting-sink.js';

runAnalyticsThread(() => ({ sinks: [new CountingSink()] }));
