import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One figure. Entries with a `target` are the targets; the others (latencies,
 * RSS, reference ratios) carry `target: null` and `met: null`.
 */
export interface BenchEntry {
  scenario: string;
  subject: string;
  /** What the figure is compared with, measured in the same run; `null` for none. */
  baseline: string | null;
  metric: string;
  /** `null` when the scenario did not run (see `note`). */
  value: number | null;
  baselineValue: number | null;
  /** `value / baselineValue`, unless the scenario says otherwise in `note` (redirect req/s and req per CPU-second: the median per-round ratio). */
  ratio: number | null;
  /** The target as text, e.g. `>= 0.95` (of the ratio) or `< 250` (of the value). */
  target: string | null;
  met: boolean | null;
  /** What limits the figure, how it was measured, or why it was not run. */
  note?: string;
}

/** What `bench/results/latest.json` holds. */
export interface BenchReport {
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  /** Run settings: profile, rounds, durations, pinning. */
  run: Record<string, unknown>;
  /** The figures that have a target. */
  results: BenchEntry[];
  /** Every other figure. */
  figures: BenchEntry[];
}

/** Collects the entries of a run. */
export class Collector {
  readonly results: BenchEntry[] = [];
  readonly figures: BenchEntry[] = [];

  /** Adds an entry: to `results` when it has a target, else to `figures`. */
  add(entry: Omit<BenchEntry, 'ratio'> & { ratio?: number | null }): BenchEntry {
    const ratio =
      entry.ratio !== undefined
        ? entry.ratio
        : entry.value !== null && entry.baselineValue !== null && entry.baselineValue !== 0
          ? entry.value / entry.baselineValue
          : null;
    const full: BenchEntry = { ...entry, ratio };
    (full.target === null ? this.figures : this.results).push(full);
    return full;
  }

  /** A figure without baseline or target. */
  figure(scenario: string, subject: string, metric: string, value: number, note?: string): void {
    this.add({
      scenario,
      subject,
      baseline: null,
      metric,
      value,
      baselineValue: null,
      target: null,
      met: null,
      ...(note === undefined ? {} : { note }),
    });
  }

  /** Records that a targeted figure could not be measured, and why. */
  notRun(
    scenario: string,
    subject: string,
    baseline: string | null,
    metric: string,
    target: string,
    reason: string,
  ): void {
    this.add({
      scenario,
      subject,
      baseline,
      metric,
      value: null,
      baselineValue: null,
      ratio: null,
      target,
      met: null,
      note: `not run: ${reason}`,
    });
  }
}

/** Writes the report as JSON. */
export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000 || Number.isInteger(value))
    return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function verdict(entry: BenchEntry): string {
  if (entry.target === null) return '';
  if (entry.met === null) return 'not run';
  return entry.met ? 'met' : 'MISSED';
}

/** The entries as a Markdown table (also readable in a terminal). */
export function markdownTable(entries: readonly BenchEntry[]): string {
  const header = [
    'scenario',
    'subject',
    'metric',
    'value',
    'baseline',
    'baseline value',
    'ratio',
    'target',
    '',
  ];
  const rows = entries.map((entry) => [
    entry.scenario,
    entry.subject,
    entry.metric,
    formatNumber(entry.value),
    entry.baseline ?? '',
    formatNumber(entry.baselineValue),
    entry.ratio === null ? '' : entry.ratio.toFixed(3),
    entry.target ?? '',
    verdict(entry),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}
