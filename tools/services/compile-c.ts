import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'node_modules',
  '.cache',
  'linkpulse',
);

/**
 * Compiles one C source file of this harness with gcc into `node_modules/.cache/linkpulse/`
 * unless a binary built from the same source and flags is already there; resolves to the
 * binary's path. `needs` names what the build requires, for the error message.
 */
export async function compileC(source: string, flags: string[], needs: string): Promise<string> {
  const text = await readFile(source);
  const hash = createHash('sha256').update(text).update(flags.join(' ')).digest('hex');
  const binary = join(CACHE_DIR, `${basename(source, '.c')}-${hash.slice(0, 16)}`);
  if (await exists(binary)) return binary;
  await mkdir(CACHE_DIR, { recursive: true });
  // Build under a private name and rename: concurrent builds never see half a binary.
  const partial = `${binary}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await run('gcc', ['-O2', '-Wall', '-o', partial, source, ...flags]);
    await rename(partial, binary);
  } catch (error) {
    await rm(partial, { force: true });
    throw new Error(`cannot compile ${source} (needs ${needs}): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return binary;
}

/** The message of an error, or the thing thrown as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
