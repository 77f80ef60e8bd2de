import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC, errorMessage } from './compile-c.js';
import { freePort } from './free-port.js';
import { signalAndWait } from './signal.js';

/**
 * ClickHouse's HTTP interface for tests and local runs, without a clickhouse-server
 * package (Debian has none): `clickhouse-server.c`, compiled on first use with gcc, loads
 * libchdb (the ClickHouse build that the chdb npm package ships) and has its
 * clickhouse-local start the HTTP listener with `SYSTEM START LISTEN HTTP`. Queries over
 * HTTP go through ClickHouse's own HTTP handler, users and settings, as with a server;
 * the configuration is clickhouse-local's defaults (user `default` without a password).
 */

/** How to start the server. */
export interface ClickHouseServerOptions {
  /** How long to wait for it to answer over HTTP (default 30 s). */
  startTimeoutMs?: number;
}

/** A running ClickHouse HTTP endpoint on 127.0.0.1, its data in a private temporary directory. */
export interface ClickHouseServer {
  /** `http://127.0.0.1:<port>`, for `@clickhouse/client`'s `url`. */
  readonly url: string;
  /** The server's process id (for CPU accounting and pinning); a new one after `restart`. */
  readonly pid: number;
  /**
   * Stops the server (SIGKILL: a graceful shutdown waits for clients' idle keep-alive
   * connections), waits for it to exit and removes its directory. When this process ends
   * without stopping it, even by a signal, its stdin closes: the server then stops and
   * removes the directory itself (which is why no exit handler SIGKILLs it).
   */
  stop(): Promise<void>;
  /** SIGKILLs the server (for fault tests) and waits for it to exit; its data stays. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data (killing it first if it runs). */
  restart(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
/** Longest wait for one readiness probe: whatever holds the port may accept and never answer. */
const PROBE_TIMEOUT_MS = 2_000;
const PORT_ATTEMPTS = 3;
const STDERR_TAIL_CHARS = 4_000;
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'clickhouse-server.c');

/** Starts a ClickHouse HTTP endpoint on a free loopback port in a fresh temporary directory. */
export async function startClickHouse(
  options: ClickHouseServerOptions = {},
): Promise<ClickHouseServer> {
  const binary = await compileC(SOURCE, ['-ldl', '-pthread'], 'gcc');
  const library = libchdbPath();
  const dir = await mkdtemp(join(tmpdir(), 'linkpulse-clickhouse-'));
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const launch = (port: number) => launchServer(binary, library, dir, port, timeoutMs);
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        let child = await launch(port);
        const url = `http://127.0.0.1:${port}`;
        return {
          url,
          get pid() {
            return child.pid!;
          },
          stop: async () => {
            await signalAndWait(child, 'SIGKILL');
            await rm(dir, { recursive: true, force: true });
          },
          kill: () => signalAndWait(child, 'SIGKILL'),
          restart: async () => {
            await signalAndWait(child, 'SIGKILL');
            child = await launch(port);
          },
        };
      } catch (error) {
        if (attempt >= PORT_ATTEMPTS || !(error instanceof PortTaken)) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs the launcher; resolves with it once it serves, or kills it and rejects. */
async function launchServer(
  binary: string,
  library: string,
  dir: string,
  port: number,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child = spawn(binary, [library, dir, String(port)], { stdio: ['pipe', 'ignore', 'pipe'] });
  try {
    await waitUntilServing(child, `http://127.0.0.1:${port}`, dir, timeoutMs);
    return child;
  } catch (error) {
    await signalAndWait(child, 'SIGKILL');
    throw error;
  }
}

/** Thrown while starting when another process holds the port. */
class PortTaken extends Error {}

/**
 * Resolves once the server at `url` answers and is this child's (its default disk is
 * `dir`: another process on a port that was taken could answer too).
 */
async function waitUntilServing(
  child: ChildProcess,
  url: string,
  dir: string,
  timeoutMs: number,
): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // The pipe is read for as long as the server runs; only its tail is kept.
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  // A binary that cannot be run emits 'error' instead of 'exit' (unheard, it would crash us).
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const query = "SELECT path FROM system.disks WHERE name = 'default'";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stderr.includes('Address already in use')) throw new PortTaken(stderr.trim());
    if (spawnError) throw new Error(`cannot run clickhouse-server: ${spawnError.message}`);
    if (exited) throw new Error(`clickhouse-server exited: ${stderr.trim() || 'no output'}`);
    const signal = AbortSignal.timeout(
      Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now())),
    );
    const path = await fetch(`${url}/?query=${encodeURIComponent(query)}`, { signal })
      .then((response) => (response.ok ? response.text() : ''))
      .catch(() => '');
    if (path.trim().replace(/\/$/, '') === dir) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`clickhouse-server did not answer within ${timeoutMs} ms: ${stderr.trim()}`);
}

/** libchdb.so of the installed chdb package (its platform package holds it). */
function libchdbPath(): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error('the ClickHouse test server is built for linux-x64 only');
  }
  try {
    const chdb = createRequire(import.meta.url).resolve('chdb');
    return join(dirname(createRequire(chdb).resolve('@chdb/lib-linux-x64-gnu')), 'libchdb.so');
  } catch (error) {
    throw new Error(`cannot find libchdb.so (is chdb installed?): ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
