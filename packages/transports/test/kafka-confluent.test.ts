import { randomUUID } from 'node:crypto';
import { describeTransport } from '@linkpulse/core/testing';
import { describe } from 'vitest';
import { missingService, requireService } from '../../../tools/services/test-services.js';
import { type TestClient, testTransport, uniqueTopic } from './kafka-helpers.js';
import { describeKafkaPipeline } from './kafka-pipeline-suite.js';
import { describeKafkaTransport } from './kafka-transport-suite.js';

/*
 * The transport with `flavor: 'confluent'` on @confluentinc/kafka-javascript's
 * KafkaJS-compatible API (librdkafka underneath), against the mock broker the kafkajs
 * tests use, through the suites they run: the Transport contract (with gzip), the
 * transport's own tests and the pipeline end to end. Not here: fetchAhead (kafkajs only)
 * and replay, which needs a controller the mock does not have (see
 * `TestClient.replaysOnMock`). The client is a native module built when installing;
 * without it the tests are skipped, or fail under CI=true.
 */
const confluent = await import('@confluentinc/kafka-javascript').catch((error: unknown) =>
  missingService('@confluentinc/kafka-javascript', String(error)),
);
const brokers = requireService('kafka')?.split(',');
const redisUrl = requireService('redis');

/** @confluentinc/kafka-javascript, quiet, with the retries of `testKafka`. */
const CONFLUENT_CLIENT: TestClient = {
  flavor: 'confluent',
  replaysOnMock: false,
  connect(brokers) {
    const { Kafka, logLevel } = confluent!.KafkaJS;
    return new Kafka({
      kafkaJS: {
        clientId: `linkpulse-test-${randomUUID().slice(0, 8)}`,
        brokers: [...brokers],
        logLevel: logLevel.NOTHING,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      },
    });
  },
};

describe.skipIf(!brokers || !confluent)('KafkaTransport, confluent flavor', () => {
  describeTransport(
    'KafkaTransport (confluent)',
    async () => ({
      // gzip (compiled into the client's librdkafka), as the confluent client names it.
      transport: testTransport(CONFLUENT_CLIENT.connect(brokers!), {
        flavor: 'confluent',
        topic: uniqueTopic(),
        compression: 'gzip',
      }),
    }),
    { timeoutMs: 20_000 },
  );
  describeKafkaTransport(CONFLUENT_CLIENT, brokers);
  describe.skipIf(!redisUrl)('with Redis counters', () => {
    describeKafkaPipeline(CONFLUENT_CLIENT, brokers, redisUrl);
  });
});
