/**
 * Packs every published package (`packages/*`) as npm would receive it and checks the
 * tarball: publint (package.json fields, exports, files) and Are the Types Wrong (types and
 * JavaScript resolve for every entry point under node10, node16 from CJS and from ESM, and
 * bundler resolution). Exits non-zero on any problem. Run by `pnpm check:packages`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

try {
  const packages = readdirSync(join(root, 'packages'));
  for (const name of packages) {
    execFileSync('pnpm', ['pack', '--pack-destination', out], {
      cwd: join(root, 'packages', name),
      stdio: 'ignore',
    });
  }
  for (const tarball of readdirSync(out).filter((file) => file.endsWith('.tgz'))) {
    const path = join(out, tarball);
    check(`publint ${tarball}`, bin('publint'), [path, '--strict']);
    check(`attw ${tarball}`, bin('attw'), [path, '--format', 'table-flipped']);
  }
  if (readdirSync(out).length !== packages.length) failed.push('pnpm pack (a tarball is missing)');
} finally {
  rmSync(out, { recursive: true, force: true });
}

if (failed.length > 0) {
  console.error(`package checks failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('package checks passed');
