import { describe } from 'vitest';
import { requireService } from '../../../tools/services/test-services.js';
import { KAFKAJS_CLIENT } from './kafka-helpers.js';
import { describeKafkaPipeline } from './kafka-pipeline-suite.js';

const brokers = requireService('kafka')?.split(',');
const redisUrl = requireService('redis');

describe.skipIf(!brokers || !redisUrl)('Kafka pipeline', () => {
  describeKafkaPipeline(KAFKAJS_CLIENT, brokers, redisUrl);
});
