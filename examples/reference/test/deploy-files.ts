/** Reading the deployment files beside docker-compose.yml, for the tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The example's folder. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A file of the example, by path relative to its folder. */
export function readText(path: string): string {
  return readFileSync(`${ROOT}/${path}`, 'utf8');
}

/** A YAML file of the example, with merge keys (`<<: *anchor`) resolved. */
export function readYaml<T = unknown>(path: string): T {
  return parse(readText(path), { merge: true }) as T;
}

/** The Grafana dashboard. */
export interface Dashboard {
  uid: string;
  panels: {
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
  }[];
}

/** An alerting rule of `deploy/prometheus/alerts.yml`. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const readDashboard = () =>
  JSON.parse(readText('deploy/grafana/dashboards/linkpulse.json')) as Dashboard;

export const readAlertRules = () =>
  readYaml<{ groups: { name: string; rules: AlertRule[] }[] }>(
    'deploy/prometheus/alerts.yml',
  ).groups.flatMap((group) => group.rules);

/** Every PromQL expression of the dashboard and the alert rules. */
export function allExpressions(): string[] {
  const dashboard = readDashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => target.expr),
  );
  return [...dashboard, ...readAlertRules().map((rule) => rule.expr)];
}

/**
 * The metric names an expression uses: LinkPulse's (`linkpulse_…`) and the Node process
 * metrics of prom-client (`process_…`, `nodejs_…`). Label values (`linkpulse-app`) and
 * functions are not metric names and do not match.
 */
export function metricNames(expressions: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const expression of expressions) {
    for (const match of expression.matchAll(/\b(?:linkpulse|process|nodejs)_[A-Za-z0-9_]+/g)) {
      names.add(match[0]);
    }
  }
  return names;
}
