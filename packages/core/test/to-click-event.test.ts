import {
  createUlid,
  isLinkPulseError,
  MAX_HEADER_LENGTH,
  toClickEvent,
  VisitorHasher,
} from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const visitors = new VisitorHasher('secret');
const ts = Date.UTC(2024, 4, 1, 12);

describe('toClickEvent', () => {
  it('builds a v1 event with the IP replaced by a visitor id and a prefix', () => {
    const event = toClickEvent(
      {
        code: 'abc1234',
        ip: '203.0.113.99',
        userAgent: 'curl/8.0',
        referer: 'https://news.example/item',
        method: 'GET',
        query: 'utm_source=hn',
      },
      ts,
      createUlid(),
      visitors,
    );
    expect(event).toEqual({
      v: 1,
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      code: 'abc1234',
      ts,
      visitorId: visitors.visitorId(ts, '203.0.113.99', 'curl/8.0'),
      ipPrefix: '203.0.113.0',
      ua: 'curl/8.0',
      referer: 'https://news.example/item',
      method: 'GET',
      utm: { source: 'hn' },
    });
    expect(JSON.stringify(event)).not.toContain('203.0.113.99');
  });

  it('marks HEAD, counts other methods as GET, fills absent headers', () => {
    const ulid = createUlid();
    const head = toClickEvent({ code: 'c', ip: 'bad', method: 'HEAD' }, ts, ulid, visitors);
    expect(head).toMatchObject({
      method: 'HEAD',
      ua: '',
      referer: null,
      ipPrefix: null,
      utm: null,
    });
    expect(toClickEvent({ code: 'c', ip: '::1' }, ts, ulid, visitors).method).toBe('GET');
    expect(toClickEvent({ code: 'c', ip: '::1', method: 'POST' }, ts, ulid, visitors).method).toBe(
      'GET',
    );
    expect(
      toClickEvent({ code: 'c', ip: '::1', referer: '' }, ts, ulid, visitors).referer,
    ).toBeNull();
  });

  it('cuts long headers', () => {
    const long = 'x'.repeat(10_000);
    const event = toClickEvent(
      { code: 'c', ip: '::1', userAgent: long, referer: long },
      ts,
      createUlid(),
      visitors,
    );
    expect(event.ua).toHaveLength(MAX_HEADER_LENGTH);
    expect(event.referer).toHaveLength(MAX_HEADER_LENGTH);
  });

  it('throws invalid_body without a code or a finite time', () => {
    const ulid = createUlid();
    const bad = [
      () => toClickEvent({ code: '', ip: '::1' }, ts, ulid, visitors),
      () => toClickEvent({ code: 42 as unknown as string, ip: '::1' }, ts, ulid, visitors),
      () => toClickEvent({ code: 'c', ip: '::1' }, Number.NaN, ulid, visitors),
    ];
    for (const build of bad) {
      let error: unknown;
      try {
        build();
      } catch (caught) {
        error = caught;
      }
      expect(isLinkPulseError(error, 'invalid_body')).toBe(true);
    }
  });

  it('shares one frozen utm object between clicks of one query string', () => {
    const ulid = createUlid();
    const click = { code: 'c', ip: '203.0.113.7', query: 'utm_source=mail&utm_medium=email' };
    const first = toClickEvent(click, ts, ulid, visitors);
    const second = toClickEvent({ ...click, ip: '198.51.100.1' }, ts, ulid, visitors);
    expect(first.utm).toEqual({ source: 'mail', medium: 'email' });
    expect(second.utm).toBe(first.utm);
    expect(Object.isFrozen(first.utm)).toBe(true);
    expect(second.ipPrefix).toBe('198.51.100.0');
  });
});
