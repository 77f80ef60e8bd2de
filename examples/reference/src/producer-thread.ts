/**
 * The producer thread of an app node (`createAppNode`): builds the events of the clicks
 * the emitter hands it and sends them to Kafka, off the thread that serves redirects.
 * Bundled as `dist/producer-thread.js` beside `dist/app.js`.
 */
import { runAnalyticsThread } from '@linkpulse/core';
import { pino } from 'pino';
import { createKafka, createTransport } from './kafka.js';

/** What the app node hands its producer thread. */
export interface ProducerThreadData {
  brokers: string[];
  topic: string;
  /** kafkajs client id and the `node` of the thread's log lines. */
  nodeName: string;
  logLevel: string;
}

runAnalyticsThread((data: ProducerThreadData) => {
  const logger = pino({ level: data.logLevel, base: { node: data.nodeName, thread: 'producer' } });
  const kafka = createKafka({ brokers: data.brokers, clientId: data.nodeName, logger });
  return { forward: createTransport(kafka, data.topic) };
});
