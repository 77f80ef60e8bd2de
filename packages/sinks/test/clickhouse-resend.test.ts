import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { ClickHouseClient } from '@clickhouse/client';
import type { EnrichedClick } from '@linkpulse/core';
import { makeClick } from '@linkpulse/core/testing';
import { ClickHouseSink } from '@linkpulse/sinks/clickhouse';
import { describe, expect, it } from 'vitest';
import { rawColumnsText } from '../src/clickhouse/rows.js';

/** One query the sink ran: its SQL and parameters. */
interface Query {
  query: string;
  query_params?: Record<string, unknown>;
}

/**
 * The part of a client the sink uses, answering from the test's script: the first insert
 * fails after reaching the server (a reset connection), later ones succeed; a running
 * check for the first insert's token answers `running` (0 for any other token), a lookup
 * by token `landed` (its ids) or `lookupError`, and the duplicate check finds nothing.
 */
class ScriptedClient {
  running = 0;
  landed: string[] = [];
  lookupError: Error | undefined;
  readonly inserts: { query: string; body: string; queryId: string }[] = [];
  readonly lookups: Query[] = [];

  async exec(params: { query: string; values: Readable; query_id: string }) {
    const body = await text(params.values);
    this.inserts.push({ query: params.query, body, queryId: params.query_id });
    if (this.inserts.length === 1) {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    return { stream: Readable.from([]) };
  }

  async query(params: Query) {
    const answer = (rows: unknown[]) => ({ json: async () => rows });
    if (params.query.includes('system.processes')) {
      const first = this.inserts[0]?.query.match(/insert_deduplication_token = '([^']+)'/)?.[1];
      const mine = first !== undefined && params.query_params?.token === first;
      return answer([{ n: String(mine ? this.running : 0) }]);
    }
    if (params.query_params?.token === undefined) return answer([]);
    this.lookups.push(params);
    if (this.lookupError) throw this.lookupError;
    return answer(this.landed.map((id) => ({ id })));
  }

  async close() {}
}

const ts = Date.UTC(2024, 5, 1, 12);
const kept = [makeClick({ code: 'x', ts }), makeClick({ code: 'y', ts: ts + 1 })];
const next = [makeClick({ code: 'x', ts: ts + 2 })];

/** A sink on a scripted client whose first write failed with an unknown outcome. */
async function sinkWithKeptInsert(clicks: readonly EnrichedClick[] = kept) {
  const client = new ScriptedClient();
  const sink = new ClickHouseSink({
    client: client as unknown as ClickHouseClient,
    retry: { attempts: 1 },
  });
  await expect(sink.write(clicks)).rejects.toMatchObject({ permanent: false });
  return { client, sink };
}

describe('ClickHouseSink, a kept insert of unknown outcome', () => {
  it('is sent again, the same statement and rows, when the raw table holds rows its token wrote', async () => {
    const { client, sink } = await sinkWithKeptInsert();
    client.landed = [kept[0]!.id];
    await sink.write(next);
    const [first, again, fresh] = client.inserts;
    expect([again!.query, again!.body]).toEqual([first!.query, first!.body]);
    expect(fresh!.body).toContain(next[0]!.id);
    const [lookup] = client.lookups;
    const token = first!.query.match(/insert_deduplication_token = '([^']+)'/)![1]!;
    expect(lookup!.query).toMatch(/AND insert_token = \{token:String\}/);
    // Rows of its codes at its moments (not those of the new batch).
    expect(lookup!.query_params).toMatchObject({
      token,
      codes: ['x', 'y'],
      from0: '2024-06-01 12:00:00.000',
      to0: '2024-06-01 12:00:00.001',
    });
    // Every attempt's query id starts with the token (what the running check looks for).
    for (const insert of [first!, again!])
      expect(insert.queryId.startsWith(`${token}-`)).toBe(true);
    await sink.close();
    expect(client.inserts).toHaveLength(3);
  });

  it('is sent again for the months where the raw table holds rows its token wrote, the other months dropped', async () => {
    const jan = Date.UTC(2024, 0, 31, 23, 59, 59, 999);
    const months = [
      makeClick({ code: 'x', ts: jan }),
      makeClick({ code: 'x', ts: jan + 1 }),
      makeClick({ code: 'y', ts: jan + 2 }),
      makeClick({ code: 'y', ts: jan - 1 }),
    ];
    const { client, sink } = await sinkWithKeptInsert(months);
    client.landed = [months[3]!.id];
    await sink.close();
    const [first, again] = client.inserts;
    expect(again!.query).toBe(first!.query);
    expect(again!.body).toBe(rawColumnsText([months[0]!, months[3]!]));
    expect(client.inserts).toHaveLength(2);
  });

  it('is dropped, not sent, when the raw table holds no row its token wrote', async () => {
    for (const finish of ['write', 'close'] as const) {
      const { client, sink } = await sinkWithKeptInsert();
      if (finish === 'write') await sink.write(next);
      await sink.close();
      expect(client.lookups).toHaveLength(1);
      expect(client.inserts.map((i) => i.body.includes(kept[0]!.id))).toEqual(
        finish === 'write' ? [true, false] : [true],
      );
    }
  });

  it('stays kept, and the write fails, while an attempt still runs on the server or the lookup fails', async () => {
    const { client, sink } = await sinkWithKeptInsert();
    client.running = 1;
    await expect(sink.write(next)).rejects.toThrow(/still running on the server/);
    expect(client.lookups).toHaveLength(0);
    client.running = 0;
    client.lookupError = new Error('socket hang up');
    await expect(sink.write(next)).rejects.toThrow(
      /lookup of an insert of unknown outcome failed after 1 attempts: socket hang up/,
    );
    client.lookupError = undefined;
    client.landed = [kept[1]!.id];
    await sink.close();
    expect(client.inserts.map((i) => i.body)).toEqual([rawColumnsText(kept), rawColumnsText(kept)]);
  });
});
