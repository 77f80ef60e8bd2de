import { startPinnedThread, timeFlushRounds } from '../scenarios/flush-rounds-probe.js';
import { benchThreadModule } from '../servers/threads.js';
import { benchKafkaTransport } from './kafka-client.js';
import type { ForwardingResult, ForwardingSpec } from './pipeline-types.js';

/**
 * The request thread's CPU per 1,000 clicks produced to Kafka: through a forwarding
 * analytics thread (pinned to the other core) that builds the events and runs the
 * pipelines' `KafkaTransport`, against that transport on this thread. Every flush is
 * timed until the brokers acknowledged its clicks (see `timeFlushRounds`).
 */
export async function kafkaForwarding(spec: ForwardingSpec): Promise<ForwardingResult> {
  const analytics = await startPinnedThread({
    module: benchThreadModule('pipelines/kafka-forward-thread.ts'),
    data: { brokers: spec.brokers },
  });
  const inline = benchKafkaTransport(spec.brokers);
  const rounds = { rounds: spec.rounds, roundCpuMs: spec.roundCpuMs };
  const [thread, here] = await timeFlushRounds(analytics, [analytics.producer, inline], rounds);
  await analytics.close();
  await inline.close();
  return { ...rounds, thread: thread!, inline: here! };
}
