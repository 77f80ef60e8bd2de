import {
  type ClickInput,
  createUlid,
  decodeClickEvent,
  toClickEvent,
  VisitorHasher,
} from '@linkpulse/core';
import { describe, expect, it } from 'vitest';
import { CheckedClickEvent } from '../src/clicks/v1-fields.js';
import { ClickEventBuilder, type PackedClicks, packClicks } from '../src/thread/clicks-codec.js';

const SECRET = 'codec secret';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0';
const TS = 1_718_000_000_123;

/** The clicks packed as the main thread packs them, built as the thread builds them. */
function roundTrip(clicks: ClickInput[], times = clicks.map((_, i) => TS + i)) {
  const packed: PackedClicks = packClicks({
    clicks,
    times: Float64Array.from(times),
    length: clicks.length,
  });
  return new ClickEventBuilder(SECRET).build(structuredClone(packed));
}

const CLICKS: ClickInput[] = [
  { code: 'abc', ip: '203.0.113.9', userAgent: UA, referer: 'https://news.example/a' },
  { code: 'abc', ip: '2001:db8::1', userAgent: UA, method: 'HEAD', query: 'utm_source=mail' },
  { code: 'Z_9-x', ip: '::ffff:198.51.100.7', userAgent: `${'x'.repeat(1_100)}é` },
  { code: 'abc', ip: undefined as unknown as string, referer: '' },
  { code: 'abc', ip: '203.0.113.9', userAgent: 42 as unknown as string, method: 'POST' },
];

describe('packClicks and ClickEventBuilder', () => {
  it('build in the thread the events the emitter builds here, ids apart', () => {
    const built = roundTrip(CLICKS);
    const visitors = new VisitorHasher(SECRET);
    const ulid = createUlid();
    const here = CLICKS.map((click, i) => toClickEvent(click, TS + i, ulid, visitors));
    expect(built.map(({ id: _, ...rest }) => ({ ...rest }))).toEqual(
      here.map(({ id: _, ...rest }) => ({ ...rest })),
    );
    expect(new Set(built.map((event) => event.id)).size).toBe(CLICKS.length);
  });

  it('marks events checked only when decoding them would pass', () => {
    const clicks: ClickInput[] = [
      ...CLICKS,
      { code: 'not a code!', ip: '203.0.113.9', userAgent: UA },
      { code: 'abc', ip: '203.0.113.9', userAgent: UA },
    ];
    const built = roundTrip(clicks, [...CLICKS.map((_, i) => TS + i), TS, -5]);
    const checked = built.map((event) => event instanceof CheckedClickEvent);
    expect(checked).toEqual([true, true, true, true, true, false, false]);
    for (const event of built) {
      // A plain copy goes through every check of decodeClickEvent.
      const decoded = decodeClickEvent({ ...event });
      expect(decoded.ok).toBe(event instanceof CheckedClickEvent);
    }
    expect(decodeClickEvent({ ...built[5] })).toEqual({ ok: false, reason: 'code is malformed' });
  });

  it('hands a click without a code on as it is, for the worker to dead-letter', () => {
    const [record] = roundTrip([{ ip: '203.0.113.9' } as ClickInput]);
    expect(record).toMatchObject({ ip: '203.0.113.9', ts: TS });
    expect(decodeClickEvent(record).ok).toBe(false);
  });

  it('sends each distinct value once', () => {
    const clicks = Array.from({ length: 100 }, (_, i) => ({
      code: `c${i % 3}`,
      ip: '203.0.113.9',
      userAgent: `${UA}`.slice(0),
      referer: 'https://news.example/a',
    }));
    const packed = packClicks({ clicks, times: new Float64Array(100).fill(TS), length: 100 });
    expect(packed.tableLengths).toHaveLength(6);
    expect(packed.refs).toHaveLength(600);
  });
});
