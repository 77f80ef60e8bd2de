import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { findNginx } from '../../../tools/services/nginx.js';
import { missingService } from '../../../tools/services/test-services.js';
import { composeNginxConfig, renderNginxConfig } from '../src/nginx-config.js';
import {
  allExpressions,
  metricNames,
  ROOT,
  readAlertRules,
  readDashboard,
  readText,
  readYaml,
} from './deploy-files.js';

interface ComposeFile {
  services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
}

/**
 * The Compose Specification's JSON schema (Apache-2.0, github.com/compose-spec), as the
 * `dclint` package (MIT) ships it: no copy of it lives in this repository.
 */
function composeSchema(): object {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('dclint/package.json'));
  const file = join(dir, 'schemas', 'compose.schema.json');
  // Its `$schema` names draft-07 by an https URL that Ajv does not know as its draft-07.
  const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(file, 'utf8'));
  return schema;
}

function composeValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
  return ajv.compile(composeSchema());
}

describe('docker-compose.yml', () => {
  const compose = readYaml<ComposeFile>('docker-compose.yml');

  it('validates against the Compose Specification schema (and a broken copy does not)', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const broken = structuredClone(compose);
    (broken.services.app1 as Record<string, unknown>).imagee = 'typo';
    expect(validate(broken)).toBe(false);
  });

  it('has the reference topology: nginx, three apps, two workers in one group, Redis with AOF and a replica, Redpanda, ClickHouse, Prometheus, Grafana, a load generator', () => {
    const services = compose.services;
    const running = (file: string) =>
      Object.keys(services).filter((name) => services[name]!.command?.includes(file));
    expect(running('dist/app.js')).toEqual(['app1', 'app2', 'app3']);
    expect(running('dist/worker.js')).toEqual(['worker1', 'worker2']);
    expect(running('dist/loadgen.js')).toEqual(['loadgen']);
    const pipelines = new Set(
      running('dist/worker.js').map((w) => services[w]!.environment?.PIPELINES),
    );
    expect([...pipelines]).toEqual(['linkpulse-workers=redis,clickhouse']);
    for (const name of [
      'nginx',
      'redis',
      'redis-replica',
      'redpanda',
      'clickhouse',
      'prometheus',
      'grafana',
    ]) {
      expect(services).toHaveProperty(name);
    }
    expect(services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(services['redis-replica']!.command).toEqual(
      expect.arrayContaining(['--replicaof', 'redis']),
    );
  });

  it('passes `docker-compose config` (Debian docker-compose 1.29, no engine needed)', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      missingService('docker-compose', 'not installed (Debian: apt-get install docker-compose)');
      return;
    }
    const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
  });

  it('has Prometheus scrape every app and worker, and load the alert rules', () => {
    const prometheus = readYaml<{
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    expect(prometheus.rule_files).toContain('alerts.yml');
    const targets = (job: string) =>
      prometheus.scrape_configs
        .find((config) => config.job_name === job)
        ?.static_configs.flatMap((config) => config.targets);
    expect(targets('linkpulse-app')).toEqual(['app1:3000', 'app2:3000', 'app3:3000']);
    expect(targets('linkpulse-worker')).toEqual(['worker1:9100', 'worker2:9100']);
    for (const name of ['app1', 'worker1']) {
      const port = compose.services[name]!.environment?.PORT;
      expect(targets(name.startsWith('app') ? 'linkpulse-app' : 'linkpulse-worker')).toContain(
        `${name}:${port}`,
      );
    }
  });
});

describe('nginx', () => {
  it('deploy/nginx/nginx.conf is what src/nginx-config.ts renders', () => {
    expect(readText('deploy/nginx/nginx.conf')).toBe(composeNginxConfig());
  });

  it('accepts the configuration the local cluster renders (nginx -t)', () => {
    const nginx = findNginx();
    if (!nginx) {
      missingService('nginx', 'not installed (Debian: apt-get install nginx)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'linkpulse-nginx-test-'));
    try {
      const file = join(dir, 'nginx.conf');
      writeFileSync(
        file,
        renderNginxConfig({
          listen: '127.0.0.1:1',
          upstreams: ['127.0.0.1:2', '127.0.0.1:3'],
          workerProcesses: '1',
          files: {
            pid: join(dir, 'nginx.pid'),
            errorLog: join(dir, 'error.log'),
            accessLog: join(dir, 'access.log'),
            temp: dir,
          },
        }),
      );
      const result = spawnSync(nginx, ['-t', '-p', dir, '-c', file], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Grafana dashboard and alert rules', () => {
  it('the dashboard queries the provisioned Prometheus data source, one id per panel', () => {
    const datasources = readYaml<{ datasources: { uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    ).datasources;
    const dashboard = readDashboard();
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const queries = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queries.length).toBeGreaterThan(5);
    for (const panel of queries) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid).toBe(datasources[0]!.uid);
    }
    const titles = queries.map((panel) => panel.title).join(' | ');
    for (const wanted of [
      'Redirects per second',
      'Redirect latency',
      'Emitter queue depth',
      'Dropped clicks',
      'Consumer lag',
      'Sink write latency',
      'Clicks per second into the sinks',
    ]) {
      expect(titles).toContain(wanted);
    }
  });

  it('alert rules cover queue depth, drops and lag, each with a severity and a summary', () => {
    const rules = readAlertRules();
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(page|warn)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
    const used = metricNames(rules.map((rule) => rule.expr));
    for (const metric of [
      'linkpulse_emitter_queue_depth',
      'linkpulse_emitter_events_dropped_total',
      'linkpulse_consumer_lag',
    ]) {
      expect(used).toContain(metric);
    }
  });

  it('finds the metric names in PromQL and nothing else', () => {
    expect(
      metricNames([
        'sum by (group) (max by (group, partition) (linkpulse_consumer_lag{job="linkpulse-worker"}))',
        'histogram_quantile(0.99, rate(linkpulse_redirect_duration_seconds_bucket[1m]))',
        'process_resident_memory_bytes{job=~"linkpulse-.*"}',
      ]),
    ).toEqual(
      new Set([
        'linkpulse_consumer_lag',
        'linkpulse_redirect_duration_seconds_bucket',
        'process_resident_memory_bytes',
      ]),
    );
    expect(metricNames(allExpressions()).size).toBeGreaterThan(10);
  });
});
