/**
 * The pipeline scenarios' process: pushes events through one pipeline (or baseline) and
 * prints one {@link PipelineResult} as JSON, or measures the Kafka forwarding thread and
 * prints one {@link ForwardingResult}.
 */
import { kafkaToClickHouse, rawClickHouse, rawKafkajs } from '../pipelines/kafka-clickhouse.js';
import { kafkaForwarding } from '../pipelines/kafka-forwarding.js';
import type {
  ForwardingResult,
  ForwardingSpec,
  PipelineResult,
  PipelineSpec,
} from '../pipelines/pipeline-types.js';
import { memoryToSqlite, rawSqlite } from '../pipelines/sqlite.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as PipelineSpec | ForwardingSpec;
const RUNNERS: Record<PipelineSpec['mode'], (spec: PipelineSpec) => Promise<PipelineResult>> = {
  'memory-sqlite': memoryToSqlite,
  'sqlite-raw': rawSqlite,
  'kafka-clickhouse': kafkaToClickHouse,
  'kafka-clickhouse-http': kafkaToClickHouse,
  'kafkajs-raw': rawKafkajs,
  'kafkajs-raw-packed': rawKafkajs,
  'clickhouse-raw': rawClickHouse,
};
const result: PipelineResult | ForwardingResult =
  spec.mode === 'kafka-forwarding' ? await kafkaForwarding(spec) : await RUNNERS[spec.mode](spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
