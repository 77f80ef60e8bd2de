import type { Database } from 'better-sqlite3';

/** One schema change: SQL run with `exec`, or a function for changes SQL alone cannot make. */
export type MigrationStep = string | ((db: Database) => void);

/**
 * Brings `component`'s tables up to date by running the steps it has not run yet, in
 * order, inside one immediate transaction (so concurrent processes sharing the file
 * migrate once). Versions are kept per component in `linkpulse_migrations`, so several
 * components (links, id blocks, sinks) can share one database file. Append new steps;
 * never change or remove released ones.
 *
 * @returns the component's schema version afterwards (the number of steps).
 * @throws Error when the file was migrated by a newer release with more steps.
 */
export function migrate(db: Database, component: string, steps: readonly MigrationStep[]): number {
  const run = db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS linkpulse_migrations (name TEXT PRIMARY KEY, version INTEGER NOT NULL)',
    );
    const row = db
      .prepare('SELECT version FROM linkpulse_migrations WHERE name = ?')
      .get(component) as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > steps.length) {
      throw new Error(
        `the "${component}" schema is at version ${current}, newer than this release knows (${steps.length})`,
      );
    }
    for (const step of steps.slice(current)) {
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.prepare(
      'INSERT INTO linkpulse_migrations (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version',
    ).run(component, steps.length);
    return steps.length;
  });
  return run.immediate();
}
