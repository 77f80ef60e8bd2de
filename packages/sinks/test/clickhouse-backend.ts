import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/**
 * The ClickHouse a test file runs against: the server at `CLICKHOUSE_URL` over HTTP when
 * that is set, otherwise an in-process chDB engine (a current ClickHouse) on a data
 * directory of this file's own. chDB binds one data directory per process, which is why
 * these files need vitest's `forks` pool (one process per file).
 */
export interface TestBackend {
  /** `http` (a real server) or `chdb` (in process). */
  kind: 'http' | 'chdb';
  /** A database name of this file's own (dropped by `cleanup`). */
  database: string;
  /** A new client; the caller closes it (a sink closes its own). */
  client(): ClickHouseClient;
  /** Drops the database (HTTP) or removes the data directory (chDB). */
  cleanup(): Promise<void>;
}

type ChdbAsClientConnection = NonNullable<
  NonNullable<Parameters<typeof createClient>[0]>['connection']
>;

/** Sets up the backend of one test file; `name` goes into the database name. */
export function testBackend(name: string): TestBackend {
  const database = `linkpulse_test_${name}_${Math.random().toString(36).slice(2, 8)}`;
  const url = process.env.CLICKHOUSE_URL;
  if (url) {
    return {
      kind: 'http',
      database,
      client: () => createClient({ url }),
      async cleanup() {
        const client = createClient({ url });
        await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
        await client.close();
      },
    };
  }
  const path = mkdtempSync(join(tmpdir(), `linkpulse-chdb-${name}-`));
  // chdb types its Connection against @clickhouse/client-common 1.23.0, which
  // @clickhouse/client 1.23.1 bundles its own copy of: the same shape, two declarations.
  const connection = () => createChdbConnection({ path }) as unknown as ChdbAsClientConnection;
  return {
    kind: 'chdb',
    database,
    client: () => createClient({ connection: connection() }),
    async cleanup() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
