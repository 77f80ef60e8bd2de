import type { SqliteRetention } from '@linkpulse/sinks/sqlite';

/** What `createEmbedded` hands its analytics thread (see `analytics-thread.ts`). */
export interface EmbeddedThreadData {
  /** Absolute path of the SQLite file; migrations have run. */
  dbPath: string;
  retention: SqliteRetention | undefined;
  /** 0 turns pruning off. */
  pruneIntervalMs: number;
}

/** The stage under which the thread reports failed pruning runs. */
export const PRUNE_STAGE = 'prune';
