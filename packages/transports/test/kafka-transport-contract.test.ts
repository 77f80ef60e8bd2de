import { describeTransport } from '@linkpulse/core/testing';
import { describe } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import { testKafka, testTransport, uniqueTopic } from './kafka-helpers.js';

const brokers = requireService('kafka')?.split(',');

describe.skipIf(!brokers)('KafkaTransport', () => {
  // A topic per test: a new group starts at the earliest offset and reads only that test's records.
  describeTransport(
    'KafkaTransport',
    async () => ({ transport: testTransport(testKafka(brokers!), { topic: uniqueTopic() }) }),
    { timeoutMs: 20_000 },
  );
});
