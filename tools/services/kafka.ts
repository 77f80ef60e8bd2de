import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compileC, errorMessage } from './compile-c.js';
import { killOnExit } from './kill-on-exit.js';

/**
 * A Kafka wire-protocol peer for tests and local runs: librdkafka's mock cluster
 * (`librdkafka/rdkafka_mock.h`), wrapped by the small C program `kafka-mock.c`, which this
 * module compiles on first use (gcc and `pkg-config rdkafka`, Debian `librdkafka-dev`).
 *
 * It is not Apache Kafka. With kafkajs 2.2.4 and librdkafka 2.0.2: produce, consumer
 * groups, commits, seek and replay work; `admin.createTopics` does not (use
 * {@link KafkaMock.createTopic}, or let producers auto-create topics with 4 partitions);
 * Metadata reports ControllerId 0 while brokers are numbered from 1, so kafkajs' idempotent
 * producer and controller-routed admin calls fail; ListOffsets by timestamp answers -1
 * (kafkajs then returns the high watermark); a new group's first join takes about 3 s; each
 * partition keeps only about 5 MiB.
 */

/** Topics created at start unless told otherwise: the click topic and its dead-letter topic. */
export const DEFAULT_KAFKA_TOPICS: Readonly<Record<string, number>> = {
  'linkpulse.click.v1': 4,
  'linkpulse.click.v1.dlq': 1,
};

/** How to start the mock cluster. */
export interface KafkaMockOptions {
  /** Number of brokers, ids 1..N (default 3). */
  brokers?: number;
  /** Topics to create, name → partitions (default {@link DEFAULT_KAFKA_TOPICS}). */
  topics?: Readonly<Record<string, number>>;
  /** How long to wait for the bootstrap list (default 10 s). */
  startTimeoutMs?: number;
}

/** A running mock cluster on 127.0.0.1. */
export interface KafkaMock {
  /** `host:port` of every broker, for the client's `brokers` option. */
  readonly brokers: string[];
  /** Creates a topic (the mock does not implement CreateTopics). */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Disconnects a broker and refuses new connections; all brokers when `id` is omitted. */
  brokerDown(id?: number): Promise<void>;
  /** Lets a broker (all when `id` is omitted) accept connections again. */
  brokerUp(id?: number): Promise<void>;
  /** Stops the cluster and waits for the process to exit. */
  stop(): Promise<void>;
}

const ALL_BROKERS = -1;
const DEFAULT_BROKERS = 3;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const run = promisify(execFile);
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'kafka-mock.c');

/** Compiles `kafka-mock.c` (once per source and flags); resolves to the binary's path. */
export async function buildKafkaMock(): Promise<string> {
  return compileC(SOURCE, await pkgConfigFlags(), 'gcc and librdkafka-dev');
}

/** Builds (if needed) and starts a mock cluster; resolves once it printed its bootstrap list. */
export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const binary = await buildKafkaMock();
  const topics = Object.entries(options.topics ?? DEFAULT_KAFKA_TOPICS).map(
    ([name, partitions]) => `${name}:${partitions}`,
  );
  const child = spawn(binary, [String(options.brokers ?? DEFAULT_BROKERS), ...topics], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  killOnExit(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  // Answers to stdin commands arrive in order, one line each; run them one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`kafka-mock exited: ${stderr.trim() || 'no output'}`);
    return line.value;
  };
  const command = (text: string): Promise<void> => {
    const result = queue.then(async () => {
      child.stdin.write(`${text}\n`);
      const answer = await nextLine();
      if (answer !== 'ok') throw new Error(`kafka-mock '${text}': ${answer}`);
    });
    queue = result.catch(() => {});
    return result;
  };

  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await Promise.race([
      nextLine(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('kafka-mock did not start in time')), timeoutMs);
      }),
    ]);
    const match = /^bootstrap (\S+)$/.exec(first);
    if (!match) throw new Error(`kafka-mock: unexpected first line '${first}'`);
    return {
      brokers: match[1]!.split(','),
      createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
      brokerDown: (id = ALL_BROKERS) => command(`down ${id}`),
      brokerUp: (id = ALL_BROKERS) => command(`up ${id}`),
      async stop() {
        child.stdin.end();
        await exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function pkgConfigFlags(): Promise<string[]> {
  try {
    const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'rdkafka']);
    return stdout.trim().split(/\s+/).filter(Boolean);
  } catch (error) {
    throw new Error(`pkg-config rdkafka failed (install librdkafka-dev): ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
