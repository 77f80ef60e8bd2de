/**
 * Packs every published package (`packages/*`) as npm would receive it and checks the
 * tarball: publint (package.json fields, exports, files) and Are the Types Wrong (types and
 * JavaScript resolve for every entry point under node10, node16 from CJS and from ESM, and
 * bundler resolution); then installs the core, adapter and embedded tarballs with npm into
 * an empty project, as an app would, and runs `package-smoke/` there from ESM and from CJS.
 * Exits non-zero on any problem. Run by `pnpm check:packages`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const out = mkdtempSync(join(tmpdir(), 'linkpulse-pack-'));
const failed: string[] = [];

/** Runs a check, printing its output; records `label` as failed when it exits non-zero. */
function check(label: string, command: string, args: string[]): void {
  try {
    process.stdout.write(execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' }));
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    process.stdout.write(stdout + stderr);
    failed.push(label);
  }
}

/** Installs `tarballs` (from `out`) and the frameworks into a new project; runs the smoke test. */
function smokeTest(tarballs: string[]): void {
  const app = join(out, 'app');
  cpSync(join(import.meta.dirname, 'package-smoke'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{ "name": "smoke", "private": true }\n');
  const install = [...tarballs.map((file) => join(out, file)), 'express@5', 'fastify@5'];
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...install], {
    cwd: app,
    stdio: 'inherit',
  });
  check('smoke test (ESM)', 'node', [join(app, 'smoke.mjs')]);
  check('smoke test (CJS)', 'node', [join(app, 'smoke.cjs')]);
}

try {
  const packages = readdirSync(join(root, 'packages'));
  for (const name of packages) {
    execFileSync('pnpm', ['pack', '--pack-destination', out], {
      cwd: join(root, 'packages', name),
      stdio: 'ignore',
    });
  }
  const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz'));
  if (tarballs.length !== packages.length) failed.push('pnpm pack (a tarball is missing)');
  for (const tarball of tarballs) {
    const path = join(out, tarball);
    check(`publint ${tarball}`, bin('publint'), [path, '--strict']);
    check(`attw ${tarball}`, bin('attw'), [path, '--format', 'table-flipped']);
  }
  smokeTest(
    tarballs.filter((file) =>
      /^linkpulse-(core|express|fastify|embedded|stores|sinks)-/.test(file),
    ),
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}

if (failed.length > 0) {
  console.error(`package checks failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('package checks passed');
