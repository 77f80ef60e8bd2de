import Database from 'better-sqlite3';

/**
 * Opens (creating if needed) a SQLite file set up the way LinkPulse components expect:
 * WAL journal, so readers never block the writer; `synchronous = NORMAL`, safe in WAL
 * mode; and a busy timeout, so processes sharing the file wait for each other's writes.
 */
export function openSqliteDatabase(
  path: string,
  options: { busyTimeoutMs?: number } = {},
): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5_000)}`);
  return db;
}

/** A database to use: a path (opened and owned by the component) or a shared instance. */
export type SqliteDatabaseOption = string | Database.Database;

/**
 * The database behind a {@link SqliteDatabaseOption}, and whether the component opened
 * it (and so must close it) itself.
 */
export function resolveSqliteDatabase(database: SqliteDatabaseOption): {
  db: Database.Database;
  owned: boolean;
} {
  return typeof database === 'string'
    ? { db: openSqliteDatabase(database), owned: true }
    : { db: database, owned: false };
}
