/**
 * `pnpm --filter @linkpulse/bench run table [file]`: prints the Markdown tables of a results
 * file (default `results/latest.json`), as pasted into BENCHMARKS.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from './proc.js';
import { type BenchReport, markdownTable } from './results.js';

const path = process.argv[2] ?? join(BENCH_DIR, 'results', 'latest.json');
const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
console.log(
  `Targets\n\n${markdownTable(report.results)}\n\nOther figures\n\n${markdownTable(report.figures)}`,
);
