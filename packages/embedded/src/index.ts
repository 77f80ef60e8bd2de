/**
 * LinkPulse in one process: links and click analytics in one SQLite file, clicks carried
 * by an in-process transport to an in-process worker.
 * @module @linkpulse/embedded
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  createInProcessAnalytics,
  createShortener,
  type InProcessAnalytics,
  type ShortenerHandle,
  type ShortenerOptions,
} from '@linkpulse/core';
import { SqliteSink, type SqliteSinkOptions } from '@linkpulse/sinks/sqlite';
import { SqliteLinkStore } from '@linkpulse/stores/sqlite';
import Database from 'better-sqlite3';

/** Options of {@link createEmbedded}. */
export interface EmbeddedOptions extends Omit<ShortenerOptions, 'store' | 'analytics'> {
  /** SQLite file holding links and clicks; its folder is created when missing. */
  dbPath: string;
  /** Retention of raw events and aggregates (see `SqliteSink`). */
  retention?: SqliteSinkOptions['retention'];
  /** How often old rows are pruned; default hourly, `0` turns pruning off. */
  pruneIntervalMs?: number;
  /** Told when a pruning run fails (the next run tries again). */
  onPruneError?: (error: unknown) => void;
}

/** The embedded shortener, with its in-process pipeline exposed for metrics. */
export interface EmbeddedShortener extends ShortenerHandle {
  readonly analytics: InProcessAnalytics;
  readonly sink: SqliteSink;
}

/**
 * Creates a shortener that keeps everything in one SQLite file (WAL mode): the link store,
 * raw click events and their hourly/daily/monthly aggregates. `close()` flushes the
 * emitter, lets the worker drain, and closes the database.
 */
export async function createEmbedded(options: EmbeddedOptions): Promise<EmbeddedShortener> {
  const {
    dbPath,
    retention,
    pruneIntervalMs = 3_600_000,
    onPruneError,
    ...shortenerOptions
  } = options;
  if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
  const database = new Database(dbPath);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  const store = new SqliteLinkStore({ database });
  const sink = new SqliteSink({ database, retention });
  const analytics = await createInProcessAnalytics({ sinks: [sink] });
  const prune =
    pruneIntervalMs > 0
      ? setInterval(() => {
          try {
            sink.prune();
          } catch (error) {
            onPruneError?.(error);
          }
        }, pruneIntervalMs)
      : null;
  prune?.unref();
  const shortener = await createShortener({ ...shortenerOptions, store, analytics });
  return {
    ...shortener,
    analytics,
    sink,
    async close(closeOptions) {
      if (prune) clearInterval(prune);
      await shortener.close(closeOptions);
      database.close();
    },
  };
}
