/**
 * LinkPulse in one process: links and click analytics in one SQLite file, clicks enriched
 * and written by a worker in an analytics thread (or on the main thread).
 * @module @linkpulse/embedded
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type AnalyticsThreadErrorContext,
  createInProcessAnalytics,
  createShortener,
  createThreadedAnalytics,
  type InProcessAnalytics,
  type ShortenerHandle,
  type ShortenerOptions,
  type ThreadedAnalytics,
  type ThreadedAnalyticsOptions,
} from '@linkpulse/core';
import { SqliteSink, type SqliteSinkOptions } from '@linkpulse/sinks/sqlite';
import { openSqliteDatabase, SqliteLinkStore } from '@linkpulse/stores/sqlite';
import { schedulePrune } from './prune.js';
import { type EmbeddedThreadData, PRUNE_STAGE } from './thread-data.js';

/** Settings of the analytics thread of {@link createEmbedded}. */
export interface EmbeddedThreadOptions
  extends Pick<ThreadedAnalyticsOptions, 'maxBacklog' | 'startTimeoutMs' | 'execArgv'> {
  /**
   * The thread's module. Default: `analytics-thread` beside this module, which is right
   * unless the app is bundled: then bundle `@linkpulse/embedded/analytics-thread` as an
   * entry of its own and give its path or URL here.
   */
  module?: string | URL;
  /** Told about problems in the thread other than pruning (see `ThreadedAnalyticsOptions`). */
  onError?: (error: Error, context: AnalyticsThreadErrorContext) => void;
}

/** Options of {@link createEmbedded}. */
export interface EmbeddedOptions extends Omit<ShortenerOptions, 'store' | 'analytics'> {
  /** SQLite file holding links and clicks (`:memory:` for none); its folder is created when missing. */
  dbPath: string;
  /** Retention of raw events and aggregates (see `SqliteSink`). */
  retention?: SqliteSinkOptions['retention'];
  /** How often old rows are pruned; default hourly, `0` turns pruning off. */
  pruneIntervalMs?: number;
  /** Told when a pruning run fails (the next run tries again). */
  onPruneError?: (error: unknown) => void;
  /**
   * Where clicks are enriched and written. `thread` (the default for a file): in a worker
   * thread with its own connection to the file, off the thread that serves requests.
   * `in-process`: on this thread (the only choice for `:memory:`, whose one connection
   * cannot be shared).
   */
  pipeline?: 'thread' | 'in-process';
  /** Settings of the analytics thread. */
  thread?: EmbeddedThreadOptions;
}

/** The embedded shortener, with its pipeline exposed for metrics. */
export interface EmbeddedShortener extends ShortenerHandle {
  /** The pipeline: {@link ThreadedAnalytics} in a thread, or {@link InProcessAnalytics}. */
  readonly analytics: ThreadedAnalytics | InProcessAnalytics;
  /**
   * The SQLite sink on this thread's connection: it answers stats, and with the `thread`
   * pipeline does not write (the thread's own sink does).
   */
  readonly sink: SqliteSink;
}

/** The thread module beside this one, with this module's extension (`.js`, `.cjs`, `.ts`). */
function defaultThreadModule(): URL {
  const here = import.meta.url;
  return new URL(`./analytics-thread${here.slice(here.lastIndexOf('.'))}`, here);
}

/**
 * Creates a shortener that keeps everything in one SQLite file (WAL mode): the link store,
 * raw click events and their hourly/daily/monthly aggregates. Migrations run here, before
 * the analytics thread starts; with the `thread` pipeline the thread writes clicks and
 * prunes over its own connection while this thread keeps one for links and stats reads.
 * `close()` flushes the emitter, lets the worker drain, stops the thread and closes the
 * database. Throws `RangeError` for the `thread` pipeline on `:memory:`.
 */
export async function createEmbedded(options: EmbeddedOptions): Promise<EmbeddedShortener> {
  const {
    dbPath,
    retention,
    pruneIntervalMs = 3_600_000,
    onPruneError,
    pipeline = dbPath === ':memory:' ? 'in-process' : 'thread',
    thread = {},
    ...shortenerOptions
  } = options;
  if (pipeline === 'thread' && dbPath === ':memory:') {
    throw new RangeError(
      'an in-memory database cannot be shared with the analytics thread; use pipeline: "in-process"',
    );
  }
  if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
  const database = openSqliteDatabase(dbPath);
  let stopPruning = (): void => {};
  let analytics: ThreadedAnalytics | InProcessAnalytics | undefined;
  try {
    const store = new SqliteLinkStore({ database });
    const sink = new SqliteSink({ database, retention });
    if (pipeline === 'thread') {
      const { module = defaultThreadModule(), onError, ...threadOptions } = thread;
      analytics = await createThreadedAnalytics<EmbeddedThreadData>({
        ...threadOptions,
        module,
        data: { dbPath: resolve(dbPath), retention, pruneIntervalMs },
        stats: sink,
        onError: (error, context) => {
          if (context.stage === PRUNE_STAGE) onPruneError?.(error);
          else onError?.(error, context);
        },
      });
    } else {
      analytics = await createInProcessAnalytics({ sinks: [sink] });
      stopPruning = schedulePrune(sink, pruneIntervalMs, onPruneError);
    }
    const shortener = await createShortener({ ...shortenerOptions, store, analytics });
    return {
      ...shortener,
      analytics,
      sink,
      async close(closeOptions) {
        stopPruning();
        await shortener.close(closeOptions);
        database.close();
      },
    };
  } catch (error) {
    stopPruning();
    await analytics?.close();
    database.close();
    throw error;
  }
}
