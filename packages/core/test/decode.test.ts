import { type ClickEvent, decodeClickEvent } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const valid: ClickEvent = {
  v: 1,
  id: '01HZX3Q4T5V6W7X8Y9Z0ABCDEF',
  code: 'abc_123-X',
  ts: 1_717_000_000_000,
  visitorId: 'k3J9_fQ2-aZx0pLm',
  ipPrefix: '203.0.113.0',
  ua: 'Mozilla/5.0',
  referer: 'https://example.com/page',
  method: 'GET',
  utm: { source: 'newsletter', campaign: 'june' },
};

function reason(record: unknown): string {
  const result = decodeClickEvent(record);
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('decodeClickEvent', () => {
  it('accepts a v1 event as an object, JSON text or bytes', () => {
    for (const record of [valid, JSON.stringify(valid), Buffer.from(JSON.stringify(valid))]) {
      expect(decodeClickEvent(record)).toEqual({ ok: true, event: valid });
    }
  });

  it('accepts null optional values and HEAD', () => {
    const event = { ...valid, ipPrefix: null, referer: null, utm: null, method: 'HEAD', ua: '' };
    expect(decodeClickEvent(event)).toEqual({ ok: true, event });
  });

  it('drops utm entries that are undefined (objects from the memory transport)', () => {
    const result = decodeClickEvent({ ...valid, utm: { source: 'x', medium: undefined } });
    expect(result).toEqual({ ok: true, event: { ...valid, utm: { source: 'x' } } });
  });

  it('rejects unknown and missing versions', () => {
    expect(reason({ ...valid, v: 2 })).toBe('unsupported version 2');
    expect(reason({ ...valid, v: '1' })).toBe('unsupported version 1');
    const { v: _v, ...unversioned } = valid;
    expect(reason(unversioned)).toBe('unsupported version missing');
  });

  it('names the missing field', () => {
    for (const key of ['id', 'code', 'ts', 'visitorId', 'ua'] as const) {
      const { [key]: _dropped, ...rest } = valid;
      expect(reason(rest)).toBe(`${key} is missing`);
    }
  });

  it('rejects wrong types and values', () => {
    expect(reason({ ...valid, ts: '1717000000000' })).toMatch(/^ts must be/);
    expect(reason({ ...valid, ts: Number.NaN })).toMatch(/^ts must be/);
    expect(reason({ ...valid, ts: Number.POSITIVE_INFINITY })).toMatch(/^ts must be/);
    expect(reason({ ...valid, method: 'POST' })).toBe('method must be GET or HEAD');
    expect(reason({ ...valid, id: 'not-a-ulid' })).toBe('id is malformed');
    expect(reason({ ...valid, id: '01hzx3q4t5v6w7x8y9z0abcdef' })).toBe('id is malformed');
    expect(reason({ ...valid, id: '81HZX3Q4T5V6W7X8Y9Z0ABCDEF' })).toBe('id is malformed');
    expect(reason({ ...valid, id: '01HZX3Q4T5V6W7X8Y9Z0ABCDEI' })).toBe('id is malformed');
    expect(reason({ ...valid, code: 'a/b' })).toBe('code is malformed');
    expect(reason({ ...valid, code: 'x'.repeat(65) })).toBe('code is malformed');
    expect(reason({ ...valid, visitorId: '' })).toBe('visitorId is empty');
    expect(reason({ ...valid, visitorId: 42 })).toBe('visitorId must be a string');
    expect(reason({ ...valid, ua: 'u'.repeat(1025) })).toMatch(/^ua longer than/);
    expect(reason({ ...valid, referer: 7 })).toBe('referer must be a string');
    expect(reason({ ...valid, utm: 'x' })).toBe('utm must be an object or null');
    expect(reason({ ...valid, utm: { source: 3 } })).toBe('source must be a string');
    expect(reason({ ...valid, utm: { gclid: 'x' } })).toBe('unknown utm field gclid');
    expect(reason({ ...valid, extra: true })).toBe('unknown field extra');
  });

  it('rejects garbage without throwing', () => {
    expect(reason('not json {')).toBe('record is not valid JSON');
    expect(reason(Buffer.from([0xff, 0xfe, 0x00]))).toBe('record is not valid JSON');
    for (const record of [null, undefined, 42, '42', '[]', [], 'null', true]) {
      expect(reason(record)).toBe('not an object');
    }
  });
});
