import { type ClickEvent, decodeClickEvent } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';
import { packBatch, unpackBatch } from '../src/thread/batch-codec.js';

const EVENT: ClickEvent = {
  v: 1,
  id: '01J0000000000000000000000A',
  code: 'abc',
  ts: 1_718_000_000_123.5,
  visitorId: 'visitor-1',
  ipPrefix: '203.0.113.0',
  ua: 'Mozilla/5.0 (X11; Linux x86_64)',
  referer: 'https://news.example.org/a?b=c',
  method: 'GET',
  utm: { source: 'newsletter', campaign: 'spring' },
};

describe('packBatch / unpackBatch', () => {
  it('round-trips events field for field, nulls, empty and non-ASCII strings included', () => {
    const batch: ClickEvent[] = [
      EVENT,
      { ...EVENT, id: '01J0000000000000000000000B', ipPrefix: null, referer: null, utm: null },
      {
        ...EVENT,
        id: '01J0000000000000000000000C',
        ua: '',
        referer: 'https://例え.jp/パス\u0000\u001f',
        method: 'HEAD',
        utm: { term: 'ünïcødé "quoted"' },
      },
    ];
    const packed = packBatch(batch)!;
    expect(packed.ts).toHaveLength(3);
    const events = unpackBatch(packed);
    expect(events).toEqual(batch);
    expect(Object.keys(events[0]!)).toEqual(Object.keys(EVENT));
  });

  it('packs an empty batch', () => {
    expect(unpackBatch(packBatch([])!)).toEqual([]);
  });

  it('leaves a batch with an event that is not a well-formed v1 event unpacked', () => {
    const wrongVersion = { ...EVENT, v: 2 } as unknown as ClickEvent;
    const numericUa = { ...EVENT, ua: 42 } as unknown as ClickEvent;
    const undefinedReferer = { ...EVENT, referer: undefined } as unknown as ClickEvent;
    for (const bad of [wrongVersion, numericUa, undefinedReferer]) {
      expect(packBatch([EVENT, bad])).toBeUndefined();
    }
  });

  it('sends each distinct value once, and the ids apart', () => {
    const batch = ['A', 'B', 'C'].map((last) => ({
      ...EVENT,
      id: `01J000000000000000000000${last}0`,
    }));
    const packed = packBatch(batch)!;
    // code, visitorId, ua, method, ipPrefix, referer, utm: one entry each for three events.
    expect(packed.tableLengths).toHaveLength(7);
    expect(packed.ids).toBe(batch.map((event) => event.id).join(''));
    expect(unpackBatch(packed)).toEqual(batch);
  });

  it('checks every field as decoding does: valid events pass decoding as they are', () => {
    const [event] = unpackBatch(packBatch([EVENT])!);
    const decoded = decodeClickEvent(event);
    expect(decoded).toEqual({ ok: true, event: EVENT });
    expect(decoded.ok && decoded.event).toBe(event);
  });

  it('leaves an event with a field decoding rejects for the worker to dead-letter', () => {
    const bad: [Partial<ClickEvent>, string][] = [
      [{ code: 'no spaces' }, 'code is malformed'],
      [{ id: 'not-a-ulid' }, 'id is malformed'],
      [{ visitorId: '' }, 'visitorId is empty'],
      [{ method: 'POST' as ClickEvent['method'] }, 'method must be GET or HEAD'],
      [{ ts: -1 }, 'ts must be a finite, non-negative number'],
      [{ utm: { source: 'x'.repeat(201) } }, 'source longer than 200 characters'],
    ];
    const batch = bad.map(([fields]) => ({ ...EVENT, ...fields }));
    const events = unpackBatch(packBatch([EVENT, ...batch])!);
    expect(decodeClickEvent(events[0]).ok).toBe(true);
    bad.forEach(([fields, reason], i) => {
      expect(events[i + 1]).toEqual({ ...EVENT, ...fields });
      expect(decodeClickEvent(events[i + 1])).toEqual({ ok: false, reason });
    });
  });
});
