/**
 * The pipeline scenario's process: pushes events through one pipeline (or baseline) and
 * prints one {@link PipelineResult} as JSON.
 */
import { kafkaToClickHouse, rawClickHouse, rawKafkajs } from '../pipelines/kafka-clickhouse.js';
import type { PipelineResult, PipelineSpec } from '../pipelines/pipeline-types.js';
import { memoryToSqlite, rawSqlite } from '../pipelines/sqlite.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as PipelineSpec;
const RUNNERS: Record<PipelineSpec['mode'], (spec: PipelineSpec) => Promise<PipelineResult>> = {
  'memory-sqlite': memoryToSqlite,
  'sqlite-raw': rawSqlite,
  'kafka-clickhouse': kafkaToClickHouse,
  'kafkajs-raw': rawKafkajs,
  'kafkajs-raw-packed': rawKafkajs,
  'clickhouse-raw': rawClickHouse,
};
process.stdout.write(`${JSON.stringify(await RUNNERS[spec.mode](spec))}\n`);
process.exit(0);
