import { createHash } from 'node:crypto';
import { makeClick } from '@linkpulse/core/testing';
import { describe, expect, it } from 'vitest';
import {
  deduplicationToken,
  distinctById,
  RAW_COLUMNS,
  rawColumnsText,
  toRawRow,
} from '../src/clickhouse/rows.js';

const TS = Date.UTC(2024, 5, 1, 12, 0, 0, 7);

const plain = makeClick({ id: '01J0000000000000000000000A', ts: TS, code: 'abc' });
const full = makeClick({
  id: '01J0000000000000000000000B',
  ts: TS + 1_000,
  code: 'abc',
  ipPrefix: '203.0.113.0',
  ua: 'quote " backslash \\ newline \n é',
  referer: 'https://www.example.com/a',
  refererHost: 'example.com',
  method: 'HEAD',
  device: 'bot',
  bot: true,
  country: 'DE',
  utm: { source: 'news', medium: 'email', campaign: 'launch', term: 't', content: 'c' },
});

describe('ClickHouse raw rows', () => {
  it('maps a click to the raw columns, nulls as empty strings', () => {
    expect(toRawRow(plain)).toEqual({
      id: '01J0000000000000000000000A',
      code: 'abc',
      ts: '2024-06-01 12:00:00.007',
      visitor_id: 'visitor-1',
      ip_prefix: '',
      ua: plain.ua,
      referer: '',
      referer_host: '',
      method: 'GET',
      device: 'desktop',
      browser: 'Chrome',
      os: 'Windows',
      country: '',
      bot: false,
      utm_source: '',
      utm_medium: '',
      utm_campaign: '',
      utm_term: '',
      utm_content: '',
    });
    expect(Object.keys(toRawRow(full))).toEqual(RAW_COLUMNS);
  });

  it('sends one JSON array per column (JSONCompactColumns), in RAW_COLUMNS order', () => {
    const text = rawColumnsText([plain, full]);
    const columns = JSON.parse(text) as unknown[][];
    expect(columns).toHaveLength(RAW_COLUMNS.length);
    RAW_COLUMNS.forEach((column, i) => {
      expect(columns[i]).toEqual([toRawRow(plain)[column], toRawRow(full)[column]]);
    });
    expect(text.startsWith('[["01J0000000000000000000000A","01J0000000000000000000000B"],')).toBe(
      true,
    );
    expect(text).toContain(
      '["2024-06-01 12:00:00.007","2024-06-01 12:00:01.007"],["visitor-1","visitor-1"]',
    );
    expect(text).toContain('[false,true]');
    expect(text).toContain(JSON.stringify(full.ua));
    expect(rawColumnsText([])).toBe(`[${RAW_COLUMNS.map(() => '[]').join(',')}]`);
  });

  it('keeps the first click of each id, in batch order', () => {
    const a = makeClick({ id: 'a' });
    const b = makeClick({ id: 'b' });
    const c = makeClick({ id: 'c' });
    const increasing = [a, b, c];
    expect(distinctById(increasing)).toEqual(increasing);
    const repeated = [c, a, makeClick({ id: 'c', code: 'again' }), b, a];
    expect(distinctById(repeated)).toEqual([c, a, b]);
    expect(distinctById([a, a])).toEqual([a]);
  });

  it('tokens hash the sorted ids, one per line, whatever the order of the clicks', () => {
    const ids = [
      '01J00000000000000000000003',
      '01J00000000000000000000001',
      '01J00000000000000000000002',
    ];
    const clicks = ids.map((id) => makeClick({ id }));
    const expected = createHash('sha256');
    for (const id of [...ids].sort()) expected.update(`${id}\n`);
    const token = `linkpulse-${expected.digest('hex')}`;
    expect(deduplicationToken(clicks)).toBe(token);
    expect(deduplicationToken([...clicks].reverse())).toBe(token);
    expect(deduplicationToken([...clicks].sort((x, y) => (x.id < y.id ? -1 : 1)))).toBe(token);
    expect(deduplicationToken([])).toBe(`linkpulse-${createHash('sha256').digest('hex')}`);
  });
});
