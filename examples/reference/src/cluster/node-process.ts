import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { killOnExit } from '../../../../tools/services/kill-on-exit.js';

/** The package folder, where the entrypoints are run from. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx as a loader in the node process itself (no wrapper process that a SIGKILL would orphan). */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const LOG_TAIL_CHARS = 3_000;

/** What to run: an entrypoint of this package under `src/`, with its environment. */
export interface NodeProcessOptions {
  /** A name for logs and messages, e.g. `app-1`. */
  name: string;
  /** Entry file relative to the package, e.g. `src/app.ts`. */
  entry: string;
  /** HTTP port the process listens on (its `PORT`). */
  port: number;
  /** Variables added to this process's environment. */
  env: Readonly<Record<string, string>>;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** How long to wait for `/readyz` to answer 200 (default 90 s). */
  readyTimeoutMs?: number;
}

/** How a process ended: its exit code, or the signal that ended it. */
export type ExitStatus = number | NodeJS.Signals | null;

/**
 * One app or worker process of the local cluster, run from the TypeScript sources with
 * tsx and the `source` export condition. It can be killed and started again on the same
 * port and log file.
 */
export class NodeProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  readonly #options: NodeProcessOptions;
  #child: ChildProcess | null = null;
  #exit: Promise<ExitStatus> = Promise.resolve(null);

  constructor(options: NodeProcessOptions) {
    this.#options = options;
    this.name = options.name;
    this.port = options.port;
    this.url = `http://127.0.0.1:${options.port}`;
    this.logFile = options.logFile;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.#child !== null;
  }

  /** Spawns the process and resolves once `/readyz` answers 200; rejects if it exits first. */
  async start(): Promise<void> {
    if (this.#child) throw new Error(`${this.name} is running`);
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', TSX_LOADER, '--conditions=@linkpulse/source', this.#options.entry],
      {
        cwd: PACKAGE_ROOT,
        env: { ...process.env, ...this.#options.env, PORT: String(this.port) },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    killOnExit(child);
    this.#child = child;
    this.#exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = null;
        resolve(signal ?? code);
      }),
    );
    const deadline = Date.now() + (this.#options.readyTimeoutMs ?? 90_000);
    for (;;) {
      if (this.#child !== child) {
        throw new Error(`${this.name} exited (${await this.#exit}):\n${this.logTail()}`);
      }
      if (await this.#ready()) return;
      if (Date.now() > deadline) {
        await this.stop('SIGKILL');
        throw new Error(`${this.name} was not ready in time:\n${this.logTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Sends `signal` (default SIGTERM) and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitStatus> {
    const child = this.#child;
    if (!child) return this.#exit;
    child.kill(signal);
    return this.#exit;
  }

  /** The end of the process's log. */
  logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-LOG_TAIL_CHARS);
    } catch {
      return '(no log)';
    }
  }

  async #ready(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return response.status === 200;
    } catch {
      return false;
    }
  }
}
