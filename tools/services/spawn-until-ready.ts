import { type ChildProcess, spawn } from 'node:child_process';
import { killOnExit } from './kill-on-exit.js';
import { signalAndWait } from './signal.js';

/** What {@link spawnUntilReady} starts and how it knows the service is up. */
export interface ReadyProbe {
  /**
   * Resolves `true` once the service answers (called every 50 ms until then). It gets
   * the process, to tell its own answer from another server's that took the port.
   */
  ready: (child: ChildProcess) => Promise<boolean>;
  /** What ready means, for errors: "answering PING", "listening on 8080". */
  readiness: string;
  /** How long to wait for `ready`. */
  timeoutMs: number;
}

const OUTPUT_TAIL_CHARS = 4_000;
const POLL_MS = 50;

/**
 * Spawns a service in the foreground (killed when this process exits) and resolves once
 * `probe.ready()` says it is up. If it exits first or the time runs out, it is killed and
 * the error carries the tail of its output (so a taken port shows as "address already in use").
 */
export async function spawnUntilReady(
  binary: string,
  args: readonly string[],
  probe: ReadyProbe,
): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot run ${binary}: ${error.message}`, { cause: error })),
    );
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `${binary} exited (${signal ?? code}) before ${probe.readiness}:\n${output.trim()}`,
        ),
      ),
    );
  });
  exited.catch(() => {});
  const deadline = Date.now() + probe.timeoutMs;
  try {
    while (!(await Promise.race([probe.ready(child), exited]))) {
      if (Date.now() > deadline) {
        throw new Error(`${binary} was not ${probe.readiness} in time:\n${output}`);
      }
      await Promise.race([new Promise((resolve) => setTimeout(resolve, POLL_MS)), exited]);
    }
  } catch (error) {
    await signalAndWait(child, 'SIGKILL');
    throw error;
  }
  return child;
}

/** True when a start failed because its port was taken meanwhile (worth another port). */
export function isPortClash(error: unknown): boolean {
  return error instanceof Error && /address already in use/i.test(error.message);
}
