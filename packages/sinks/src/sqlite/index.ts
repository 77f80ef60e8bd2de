/**
 * SQLite click sink and stats reader for LinkPulse (better-sqlite3, an optional peer
 * dependency): raw events plus hourly, daily and monthly aggregates in one file, idempotent
 * by event id, with a pruning job for retention. Shares the file and the migrator with
 * `@linkpulse/stores/sqlite`.
 * @module @linkpulse/sinks/sqlite
 */

export * from './sqlite-sink.js';
