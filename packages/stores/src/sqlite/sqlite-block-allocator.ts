import { assertBlockSize, type BlockAllocator, type IdBlock } from '@linkpulse/core';
import type { Database, Statement } from 'better-sqlite3';
import { type MigrationStep, migrate } from './migrate.js';
import { resolveSqliteDatabase, type SqliteDatabaseOption } from './open.js';

/** Options of {@link SqliteBlockAllocator}. */
export interface SqliteBlockAllocatorOptions {
  /** A file path (opened and closed by the allocator) or a shared better-sqlite3 database. */
  database: SqliteDatabaseOption;
  /** Name of the counter; separate names count independently. Default `'default'`. */
  name?: string;
}

const BLOCK_MIGRATIONS: readonly MigrationStep[] = [
  'CREATE TABLE linkpulse_id_blocks (name TEXT PRIMARY KEY, next_id INTEGER NOT NULL) WITHOUT ROWID',
];

/**
 * A {@link BlockAllocator} backed by a counter row in SQLite. Each block is reserved by
 * one atomic upsert that returns the new end, so processes sharing the file never get
 * overlapping blocks. Ids start at 0.
 */
export class SqliteBlockAllocator implements BlockAllocator {
  readonly #db: Database;
  readonly #owned: boolean;
  readonly #name: string;
  readonly #reserve: Statement<[string, number], { next_id: number }>;

  constructor(options: SqliteBlockAllocatorOptions) {
    const { db, owned } = resolveSqliteDatabase(options.database);
    this.#db = db;
    this.#owned = owned;
    this.#name = options.name ?? 'default';
    migrate(db, 'id_blocks', BLOCK_MIGRATIONS);
    this.#reserve = db.prepare(
      `INSERT INTO linkpulse_id_blocks (name, next_id) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET next_id = next_id + excluded.next_id
       RETURNING next_id`,
    );
  }

  /** Reserves the next `size` ids of this counter. */
  async allocate(size: number): Promise<IdBlock> {
    assertBlockSize(size);
    const end = this.#reserve.get(this.#name, size)!.next_id;
    return { start: end - size, end };
  }

  /** Closes the database when the allocator opened it; a shared one stays open. */
  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}
