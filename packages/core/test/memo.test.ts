import { describe, expect, it } from 'vitest';
import { interner, memoize } from '../src/clicks/memo.js';

/** `text` as a new string object, as a request header arrives. */
const fresh = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');

describe('memoize', () => {
  it('computes once per key, null results included, and starts over when full', () => {
    const computed: string[] = [];
    const lengthOrNull = memoize((key: string) => {
      computed.push(key);
      return key === '' ? null : key.length;
    }, 2);
    expect([lengthOrNull('ab'), lengthOrNull(''), lengthOrNull('ab'), lengthOrNull('')]).toEqual([
      2,
      null,
      2,
      null,
    ]);
    expect(lengthOrNull('xyz')).toBe(3);
    expect(lengthOrNull('ab')).toBe(2);
    expect(computed).toEqual(['ab', '', 'xyz', 'ab']);
  });
});

describe('interner', () => {
  // Which of two equal strings comes back cannot be observed; what can is that an equal
  // one does, whatever shares a fingerprint, fills a bucket or empties the cache.
  it('returns a string equal to the one given, among values that share fingerprints', () => {
    const shared = interner(30);
    // Same length and characters where the fingerprint looks: one bucket.
    const colliding = Array.from({ length: 20 }, (_, i) =>
      fresh(`x${String.fromCharCode(65 + i)}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`),
    );
    const others = Array.from({ length: 20 }, (_, i) => fresh(`Mozilla/5.0 (${i}) Firefox/126.0`));
    for (let round = 0; round < 3; round++) {
      for (const value of [...colliding, ...others]) expect(shared(fresh(value))).toBe(value);
    }
    expect(shared('')).toBe('');
  });
});
