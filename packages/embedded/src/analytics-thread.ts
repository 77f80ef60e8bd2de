/**
 * The analytics thread of `createEmbedded`: its own SQLite connection to the database
 * file, a `SqliteSink` the thread's worker writes, and the pruning timer. Started by
 * `createEmbedded`; an app that bundles `@linkpulse/embedded` bundles this module too
 * (`@linkpulse/embedded/analytics-thread`) and names it in `thread.module`.
 * @module @linkpulse/embedded/analytics-thread
 */
import { runAnalyticsThread } from '@linkpulse/core';
import { SqliteSink } from '@linkpulse/sinks/sqlite';
import { schedulePrune } from './prune.js';
import { type EmbeddedThreadData, PRUNE_STAGE } from './thread-data.js';

runAnalyticsThread((data: EmbeddedThreadData, thread) => {
  const sink = new SqliteSink({ database: data.dbPath, retention: data.retention });
  const stopPruning = schedulePrune(sink, data.pruneIntervalMs, (error) =>
    thread.reportError(error, PRUNE_STAGE),
  );
  return {
    sinks: [
      {
        write: (batch) => sink.write(batch),
        async close() {
          stopPruning();
          await sink.close();
        },
      },
    ],
  };
});
