import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { signalAndWait } from './signal.js';
import { isPortClash, spawnUntilReady } from './spawn-until-ready.js';

/**
 * The nginx binary: `NGINX_BIN`, else `nginx` on the PATH, else Debian's
 * `/usr/sbin/nginx` (not on a normal user's PATH); `undefined` when none runs.
 */
export function findNginx(): string | undefined {
  const candidates = process.env.NGINX_BIN ? [process.env.NGINX_BIN] : ['nginx', '/usr/sbin/nginx'];
  return candidates.find((binary) => spawnSync(binary, ['-v'], { stdio: 'ignore' }).status === 0);
}

/** How to start a throw-away nginx. */
export interface NginxOptions {
  /**
   * The configuration, given the private directory (for `pid`, logs and temp paths) and
   * the port to listen on. It must not say `daemon`: nginx runs in the foreground.
   */
  config: (dir: string, port: number) => string;
  /** The binary; {@link findNginx} by default. */
  binary?: string;
  /** A fixed port; by default a free loopback port (retried if another process takes it). */
  port?: number;
  /** How long to wait for the port to accept connections (default 10 s). */
  startTimeoutMs?: number;
}

/** A running nginx with its configuration and logs in a private temporary directory. */
export interface NginxServer {
  readonly port: number;
  /** Holds `nginx.conf` and whatever the configuration writes there. */
  readonly dir: string;
  /** Graceful stop (SIGQUIT: finishes open requests), then removes the directory. */
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

/** Starts nginx in the foreground on a loopback port; resolves once the port accepts. */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const binary = options.binary ?? findNginx();
  if (!binary) throw new Error('nginx is not installed (Debian: apt-get install nginx)');
  const dir = await mkdtemp(join(tmpdir(), 'linkpulse-nginx-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const file = join(dir, 'nginx.conf');
      await writeFile(file, options.config(dir, port));
      try {
        const child = await spawnNginx(binary, dir, file, port, options.startTimeoutMs ?? 10_000);
        return {
          port,
          dir,
          async stop() {
            await signalAndWait(child, 'SIGQUIT');
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        if (options.port !== undefined || attempt >= PORT_ATTEMPTS || !isPortClash(error)) {
          throw error;
        }
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function spawnNginx(
  binary: string,
  dir: string,
  file: string,
  port: number,
  timeoutMs: number,
): Promise<ChildProcess> {
  return spawnUntilReady(binary, ['-p', dir, '-c', file, '-g', 'daemon off;'], {
    ready: () => accepts(port),
    readiness: `listening on ${port}`,
    timeoutMs,
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
