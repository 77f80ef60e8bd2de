import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { BENCH_DIR, PINNED } from './proc.js';

const ROOT = dirname(BENCH_DIR);

/** The machine a run was taken on. */
export function machineInfo(): Record<string, unknown> {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model ?? 'unknown',
    memory: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    pinned: PINNED,
    loadAverageAtStart: loadavg(),
  };
}

function versionOf(name: string, from: string): string {
  const require = createRequire(join(ROOT, from, 'package.json'));
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // Packages whose `exports` hide package.json: walk up from the entry point.
    try {
      let dir = dirname(require.resolve(name));
      for (;;) {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (manifest.name === name) return manifest.version as string;
        const parent = dirname(dir);
        if (parent === dir) return 'unknown';
        dir = parent;
      }
    } catch {
      return 'not installed';
    }
  }
}

/** Versions of LinkPulse, the frameworks, the load generator and the backends. */
export function versions(): Record<string, string> {
  const core = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8'));
  return {
    linkpulse: core.version,
    node: process.version,
    fastify: versionOf('fastify', 'bench'),
    express: versionOf('express', 'bench'),
    autocannon: versionOf('autocannon', 'bench'),
    'ua-parser-js': versionOf('ua-parser-js', 'packages/core'),
    'better-sqlite3': versionOf('better-sqlite3', 'packages/embedded'),
    kafkajs: versionOf('kafkajs', 'packages/transports'),
    chdb: versionOf('chdb', 'packages/sinks'),
  };
}
