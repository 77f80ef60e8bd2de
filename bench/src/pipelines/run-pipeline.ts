import { runNodeJson } from '../proc.js';
import type {
  ForwardingResult,
  ForwardingSpec,
  PipelineResult,
  PipelineSpec,
} from './pipeline-types.js';

/**
 * Runs one pipeline probe in its own process on the server core (the Kafka forwarding
 * probe moves its forwarding thread to the other core).
 */
export function runPipeline(spec: PipelineSpec): Promise<PipelineResult>;
export function runPipeline(spec: ForwardingSpec): Promise<ForwardingResult>;
export function runPipeline(
  spec: PipelineSpec | ForwardingSpec,
): Promise<PipelineResult | ForwardingResult> {
  return runNodeJson('server', 'scenarios/pipeline-probe.ts', [JSON.stringify(spec)]);
}
