import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { signalAndWait } from './signal.js';
import { isPortClash, spawnUntilReady } from './spawn-until-ready.js';

/** How to start a throw-away `redis-server`. */
export interface RedisServerOptions {
  /** The server binary; `REDIS_SERVER_BIN` or `redis-server` from the PATH by default. */
  binary?: string;
  /** A fixed port; by default a free loopback port (retried if another process takes it). */
  port?: number;
  /** `--appendonly yes` for durability tests (default `false`: `--save '' --appendonly no`). */
  appendonly?: boolean;
  /** `--appendfsync` when `appendonly` is on (default `always`: nothing acknowledged is lost). */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** How long to wait for `PING` to answer `PONG` (default 10 s). */
  startTimeoutMs?: number;
  /**
   * Start as a Redis Cluster node (`--cluster-enabled yes`) whose cluster bus listens on
   * this port; {@link startRedisCluster} joins such nodes into a cluster.
   */
  clusterBusPort?: number;
}

/** A running `redis-server` on 127.0.0.1 with its data in a private temporary directory. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The temporary data directory (AOF files live here when `appendonly` is on). */
  readonly dir: string;
  /** Shuts the server down (SIGTERM), waits for it to exit and removes its directory. */
  stop(): Promise<void>;
  /** SIGKILLs the server (for fault tests) and waits for it to exit; the directory stays. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory (stopping it first if running). */
  restart(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

/** Starts `redis-server` on a loopback port in a fresh temporary directory. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'linkpulse-redis-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        const child = await spawnRedis(port, dir, options);
        return runningServer(child, port, dir, options);
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

function runningServer(
  first: ChildProcess,
  port: number,
  dir: string,
  options: RedisServerOptions,
): RedisServer {
  let child: ChildProcess | null = first;
  const terminate = async (signal: NodeJS.Signals) => {
    const current = child;
    child = null;
    if (current) await signalAndWait(current, signal);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await terminate('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    async restart() {
      await terminate('SIGTERM');
      child = await spawnRedis(port, dir, options);
    },
  };
}

function redisArgs(port: number, dir: string, options: RedisServerOptions): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  if (options.appendonly) {
    args.push('--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'always');
  } else {
    args.push('--appendonly', 'no');
  }
  if (options.clusterBusPort !== undefined) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
    args.push('--cluster-port', String(options.clusterBusPort));
  }
  return args;
}

/** Hash slots of a Redis Cluster. */
const CLUSTER_SLOTS = 16_384;
/** How long the nodes of a new cluster may take to all report `cluster_state:ok`. */
const CLUSTER_READY_TIMEOUT_MS = 30_000;

/** A running throw-away Redis Cluster on 127.0.0.1: masters only, no replicas. */
export interface RedisCluster {
  /** Where its nodes listen, as ioredis's `Cluster` takes them. */
  readonly nodes: readonly { host: string; port: number }[];
  /** Its nodes' servers, in the order of `nodes` (to kill one in a fault test). */
  readonly servers: readonly RedisServer[];
  /** Stops every node and removes their directories. */
  stop(): Promise<void>;
}

/**
 * Starts `masters` cluster-enabled `redis-server`s on loopback ports, splits the hash
 * slots evenly between them, introduces them to each other (`CLUSTER MEET`) and waits
 * until every node reports `cluster_state:ok`. Needs `redis-cli` (Debian's `redis-tools`,
 * which `redis-server` depends on) and Redis 7 (`CLUSTER ADDSLOTSRANGE`, `--cluster-port`).
 */
export async function startRedisCluster(
  masters = 3,
  options: Omit<RedisServerOptions, 'port' | 'clusterBusPort'> = {},
): Promise<RedisCluster> {
  const servers: { server: RedisServer; busPort: number }[] = [];
  const stop = async () => {
    await Promise.all(servers.map(({ server }) => server.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) servers.push(await startClusterNode(options));
    const perNode = Math.ceil(CLUSTER_SLOTS / masters);
    for (const [i, { server }] of servers.entries()) {
      const first = i * perNode;
      const last = Math.min(CLUSTER_SLOTS, first + perNode) - 1;
      await redisCli(server.port, 'CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
    }
    const [seed, ...others] = servers;
    for (const { server, busPort } of others) {
      await redisCli(
        seed!.server.port,
        'CLUSTER',
        'MEET',
        '127.0.0.1',
        String(server.port),
        String(busPort),
      );
    }
    const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
    for (const { server } of servers) {
      while (!(await redisCli(server.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) {
        if (Date.now() > deadline)
          throw new Error(`Redis Cluster node ${server.port} did not become ok in time`);
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: servers.map(({ server }) => ({ host: '127.0.0.1', port: server.port })),
    servers: servers.map(({ server }) => server),
    stop,
  };
}

/**
 * Starts one cluster-enabled `redis-server`, on new ports when either the client port or
 * the cluster bus port was taken meanwhile (`startRedis` alone would retry with the same
 * bus port).
 */
async function startClusterNode(
  options: Omit<RedisServerOptions, 'port' | 'clusterBusPort'>,
): Promise<{ server: RedisServer; busPort: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const busPort = await freePort();
    try {
      return { server: await startRedis({ ...options, port, clusterBusPort: busPort }), busPort };
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !isPortClash(error)) throw error;
    }
  }
}

/** Runs one command with `redis-cli` against 127.0.0.1:`port`; resolves with its output. */
function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], (error, stdout) => {
      if (error)
        reject(new Error(`redis-cli ${args.join(' ')}: ${error.message}`, { cause: error }));
      else if (/^(ERR|\(error\))/m.test(stdout))
        reject(new Error(`redis-cli ${args.join(' ')}: ${stdout.trim()}`));
      else resolve(stdout);
    });
  });
}

/** Spawns the server and resolves once it answers PING; rejects (and kills it) otherwise. */
function spawnRedis(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const binary = options.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  return spawnUntilReady(binary, redisArgs(port, dir, options), {
    ready: (child) => answersAs(port, child.pid),
    readiness: `answering PING on ${port}`,
    timeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  });
}

/**
 * True once the server on `port` answers `PING` with `+PONG` (not `-LOADING`) and its
 * `INFO server` names process `pid`. Without that check, a server that lost its port to
 * another one (a parallel test file's, between `freePort` and its bind) would be taken for
 * ready by the other's answer, and the test would share that server.
 */
function answersAs(port: number, pid: number | undefined, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      if (!reply.startsWith('+PONG')) return done(false);
      const id = /\r\nprocess_id:(\d+)\r\n/.exec(reply)?.[1];
      if (id !== undefined) done(Number(id) === pid);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
