import { describeClickSink } from '@linkpulse/core/testing';
import { ClickHouseSink, migrate } from '@linkpulse/sinks/clickhouse';
import { afterAll, beforeAll, describe } from 'vitest';
import { testBackends } from './clickhouse-backend.js';

for (const backend of testBackends('contract')) {
  describe(`ClickHouse (${backend.kind})`, () => {
    beforeAll(async () => {
      const client = backend.client();
      // The suite's clicks are dated 2024, past the default retention: keep everything.
      await migrate(client, {
        database: backend.database,
        rawTtlDays: null,
        hourlyTtlDays: null,
        dailyTtlDays: null,
      });
      await client.close();
    });

    afterAll(() => backend.cleanup());

    describeClickSink(`ClickHouseSink (${backend.kind})`, async () => {
      const sink = new ClickHouseSink({ client: backend.client(), database: backend.database });
      return { sink, reader: sink };
    });
  });
}
