/**
 * SQLite drivers for LinkPulse (better-sqlite3, an optional peer dependency): the
 * {@link SqliteLinkStore}, the {@link SqliteBlockAllocator} for sequence codes, and the
 * small migrator other SQLite components (such as the SQLite sink) share.
 * @module @linkpulse/stores/sqlite
 */

export * from './migrate.js';
export * from './open.js';
export * from './sqlite-block-allocator.js';
export * from './sqlite-link-store.js';
