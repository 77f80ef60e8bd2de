import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bundleEntries, type Entry } from './bundle.js';

/** The bench package's folder. */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Which core a process is pinned to. */
export type Role = 'server' | 'load';

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether servers and load generators get cores of their own (taskset and 2+ cores). */
export const PINNED = availableParallelism() >= 2 && hasTaskset();

const CORES: Record<Role, string> = { server: '0', load: '1' };

/**
 * Moves threads of a running process to the core of `role` (when {@link PINNED}). The
 * servers' own threads, such as an analytics worker thread, go to the load generator's
 * core: the request thread keeps core 0 to itself, as in a deployment with a spare core,
 * and whatever the thread uses is taken from the load generator, which can only lower the
 * measured rate.
 */
export function pinThreads(threadIds: readonly number[], role: Role): void {
  if (!PINNED) return;
  for (const id of threadIds) {
    execFileSync('taskset', ['-p', '-c', CORES[role], String(id)], { stdio: 'ignore' });
  }
}

/**
 * Moves every thread of a running process, and those it starts later, to the core of
 * `role` (when {@link PINNED}).
 */
export function pinProcess(pid: number, role: Role): void {
  if (!PINNED) return;
  execFileSync('taskset', ['-a', '-p', '-c', CORES[role], String(pid)], { stdio: 'ignore' });
}

/** Where {@link bundleEntries} puts the child processes' bundles. */
export const BUNDLE_DIR = join(BENCH_DIR, 'dist');

/** Bundles the child processes' entry points (once per bench run, before any is started). */
export function prepareEntries(): Promise<void> {
  return bundleEntries(join(BENCH_DIR, 'src'), BUNDLE_DIR);
}

/**
 * Starts plain `node` on the bundle of one of the bench's entry points (see
 * {@link prepareEntries}), pinned to the core of `role` when {@link PINNED}.
 */
export function spawnNode(
  role: Role,
  entry: Entry,
  args: readonly string[],
  options: { stdio?: StdioOptions; nodeFlags?: readonly string[] } = {},
): ChildProcess {
  const command = [
    process.execPath,
    ...(options.nodeFlags ?? []),
    join(BUNDLE_DIR, entry.replace(/\.ts$/, '.mjs')),
    ...args,
  ];
  const [file, ...rest] = PINNED ? ['taskset', '-c', CORES[role], ...command] : command;
  return spawn(file!, rest, {
    cwd: BENCH_DIR,
    stdio: options.stdio ?? ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

/** Runs an entry point to completion and parses the last line it printed as JSON. */
export async function runNodeJson<T>(
  role: Role,
  entry: Entry,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): Promise<T> {
  const child = spawnNode(role, entry, args, { nodeFlags });
  let output = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const lines = output.trim().split('\n');
  if (code !== 0) throw new Error(`${entry} exited with ${code}: ${output.slice(-500)}`);
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Resident set size of a process in bytes (`VmRSS`), or 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** CPU time a process has used so far, in clock ticks (user + system, all threads). */
export function cpuTicksOf(pid: number): number {
  return ticksIn(`/proc/${pid}/stat`);
}

/**
 * CPU time the main thread of a process has used so far, in clock ticks: for a server,
 * the thread that answers requests, without the threads it started (an analytics worker).
 */
export function mainThreadCpuTicksOf(pid: number): number {
  return threadCpuTicksOf(pid, pid);
}

/** CPU time thread `tid` of process `pid` has used so far, in clock ticks (0 once it is gone). */
export function threadCpuTicksOf(pid: number, tid: number): number {
  return ticksIn(`/proc/${pid}/task/${tid}/stat`);
}

function ticksIn(statPath: string): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * Waits until a process has been (nearly) idle for `quietMs`, so that the work a load run
 * left behind (a worker catching up, garbage collection) does not leak into the next run.
 * Gives up after `timeoutMs`.
 */
export async function waitIdle(pid: number, quietMs = 150, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = cpuTicksOf(pid);
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const now = cpuTicksOf(pid);
    // A tick is 10 ms: more than one tick per 100 ms is 10 % of a core.
    if (now - last > 1) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    last = now;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak. */
export function sampleRss(pid: number, intervalMs = 250): () => number {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, intervalMs);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssOf(pid));
  };
}
