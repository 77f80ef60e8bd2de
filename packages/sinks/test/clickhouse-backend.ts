import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { requireService } from '../../../tools/services/test-services.js';

/**
 * One ClickHouse a test file runs against: the harness's ClickHouse over HTTP (or the
 * server at `CLICKHOUSE_URL`), or an in-process chDB engine on a data directory of the
 * file's own. chDB binds one data directory per process, which is why these files need
 * vitest's `forks` pool (one process per file).
 */
export interface TestBackend {
  /** `http` (ClickHouse's HTTP interface) or `chdb` (in process). */
  kind: 'http' | 'chdb';
  /** The server's URL (`http` only). */
  url?: string;
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

/**
 * The backends of one test file, each with a database of its own (`name` goes into its
 * name): in-process chDB, and ClickHouse over HTTP from the service harness. Without that
 * service the HTTP one is left out with a loud SKIP banner, or the file fails under
 * `CI=true`.
 */
export function testBackends(name: string): TestBackend[] {
  const url = requireService('clickhouse');
  return url ? [chdbBackend(name), httpBackend(name, url)] : [chdbBackend(name)];
}

function databaseName(name: string): string {
  return `linkpulse_test_${name}_${Math.random().toString(36).slice(2, 8)}`;
}

function httpBackend(name: string, url: string): TestBackend {
  const database = databaseName(name);
  return {
    kind: 'http',
    url,
    database,
    client: () => createClient({ url }),
    async cleanup() {
      const client = createClient({ url });
      await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
      await client.close();
    },
  };
}

function chdbBackend(name: string): TestBackend {
  const database = databaseName(name);
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
