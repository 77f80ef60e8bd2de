import {
  applyLinkPatch,
  type Link,
  type LinkPage,
  type LinkPatch,
  LinkPulseError,
  type LinkStore,
  type RedirectStatus,
  resolveListLimit,
} from '@linkpulse/core';
import type { Database, Statement } from 'better-sqlite3';
import { type MigrationStep, migrate } from './migrate.js';
import { resolveSqliteDatabase, type SqliteDatabaseOption } from './open.js';

/** Options of {@link SqliteLinkStore}. */
export interface SqliteLinkStoreOptions {
  /**
   * A file path (opened in WAL mode with a busy timeout, closed by `close()`), or an open
   * better-sqlite3 database shared with other components (left open by `close()`).
   */
  database: SqliteDatabaseOption;
}

const LINK_MIGRATIONS: readonly MigrationStep[] = [
  `CREATE TABLE linkpulse_links (
    code TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    max_clicks INTEGER,
    clicks_used INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    redirect_status INTEGER NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]'
  ) WITHOUT ROWID`,
];

interface LinkRow {
  code: string;
  url: string;
  created_at: number;
  expires_at: number | null;
  max_clicks: number | null;
  clicks_used: number;
  disabled: number;
  redirect_status: number;
  tags: string;
}

const COLUMNS =
  'code, url, created_at, expires_at, max_clicks, clicks_used, disabled, redirect_status, tags';

function toRow(link: Link): LinkRow {
  return {
    code: link.code,
    url: link.url,
    created_at: link.createdAt.getTime(),
    expires_at: link.expiresAt === null ? null : link.expiresAt.getTime(),
    max_clicks: link.maxClicks,
    clicks_used: link.clicksUsed,
    disabled: link.disabled ? 1 : 0,
    redirect_status: link.redirectStatus,
    tags: JSON.stringify(link.tags),
  };
}

function toLink(row: LinkRow): Link {
  return {
    code: row.code,
    url: row.url,
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    maxClicks: row.max_clicks,
    clicksUsed: row.clicks_used,
    disabled: row.disabled === 1,
    redirectStatus: row.redirect_status as RedirectStatus,
    tags: JSON.parse(row.tags) as string[],
  };
}

/**
 * A {@link LinkStore} in a SQLite file through better-sqlite3. `create` is one atomic
 * insert-if-absent, `takeClick` one conditional update, so several processes can share
 * the file. Dates are stored as integer milliseconds.
 */
export class SqliteLinkStore implements LinkStore {
  readonly #db: Database;
  readonly #owned: boolean;
  readonly #get: Statement<[string], LinkRow>;
  readonly #insert: Statement<[LinkRow]>;
  readonly #update: Statement<[LinkRow]>;
  readonly #delete: Statement<[string]>;
  readonly #list: Statement<[string, number], LinkRow>;
  readonly #take: Statement<[string]>;
  readonly #unlimited: Statement<[string], { unlimited: number }>;
  readonly #patch: (code: string, patch: LinkPatch) => Link;

  constructor(options: SqliteLinkStoreOptions) {
    const { db, owned } = resolveSqliteDatabase(options.database);
    this.#db = db;
    this.#owned = owned;
    migrate(db, 'links', LINK_MIGRATIONS);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM linkpulse_links WHERE code = ?`);
    this.#insert = db.prepare(
      `INSERT INTO linkpulse_links (${COLUMNS})
       VALUES (@code, @url, @created_at, @expires_at, @max_clicks, @clicks_used, @disabled, @redirect_status, @tags)
       ON CONFLICT (code) DO NOTHING`,
    );
    this.#update = db.prepare(
      `UPDATE linkpulse_links SET url = @url, expires_at = @expires_at, max_clicks = @max_clicks,
       disabled = @disabled, redirect_status = @redirect_status, tags = @tags WHERE code = @code`,
    );
    this.#delete = db.prepare('DELETE FROM linkpulse_links WHERE code = ?');
    this.#list = db.prepare(
      `SELECT ${COLUMNS} FROM linkpulse_links WHERE code > ? ORDER BY code LIMIT ?`,
    );
    this.#take = db.prepare(
      `UPDATE linkpulse_links SET clicks_used = clicks_used + 1
       WHERE code = ? AND max_clicks IS NOT NULL AND clicks_used < max_clicks`,
    );
    this.#unlimited = db.prepare(
      'SELECT max_clicks IS NULL AS unlimited FROM linkpulse_links WHERE code = ?',
    );
    this.#patch = db.transaction((code: string, patch: LinkPatch) => {
      const row = this.#get.get(code);
      if (row === undefined) throw new LinkPulseError('not_found', `no link "${code}"`);
      const updated = applyLinkPatch(toLink(row), patch);
      this.#update.run(toRow(updated));
      return updated;
    });
  }

  /** The link with this code, or `null`. */
  async get(code: string): Promise<Link | null> {
    const row = this.#get.get(code);
    return row === undefined ? null : toLink(row);
  }

  /** Inserts `link`; throws `code_taken` when its code exists. */
  async create(link: Link): Promise<void> {
    if (this.#insert.run(toRow(link)).changes === 0) {
      throw new LinkPulseError('code_taken', `code "${link.code}" is taken`);
    }
  }

  /** Applies `patch` in one transaction; throws `not_found`. */
  async update(code: string, patch: LinkPatch): Promise<Link> {
    return this.#patch(code, patch);
  }

  /** Deletes the link; `false` when there was none. */
  async delete(code: string): Promise<boolean> {
    return this.#delete.run(code).changes > 0;
  }

  /** Links in code order after `cursor` (the last code of the previous page). */
  async list(options: { cursor?: string | null; limit?: number } = {}): Promise<LinkPage> {
    const limit = resolveListLimit(options.limit);
    // Every code sorts after '', so no cursor starts at the first link. One row more
    // than asked tells whether another page follows.
    const rows = this.#list.all(options.cursor ?? '', limit + 1);
    const links = rows.slice(0, limit).map(toLink);
    return { links, cursor: rows.length > limit ? links[links.length - 1]!.code : null };
  }

  /** Counts one redirect against `maxClicks`; `false` once used up or when missing. */
  async takeClick(code: string): Promise<boolean> {
    if (this.#take.run(code).changes > 0) return true;
    return this.#unlimited.get(code)?.unlimited === 1;
  }

  /** Closes the database when the store opened it; a shared one stays open. */
  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}
