import { runNodeJson } from '../proc.js';
import type { PipelineResult, PipelineSpec } from './pipeline-types.js';

/** Runs one pipeline probe in its own process on the server core. */
export function runPipeline(spec: PipelineSpec): Promise<PipelineResult> {
  return runNodeJson<PipelineResult>('server', 'scenarios/pipeline-probe.ts', [
    JSON.stringify(spec),
  ]);
}
