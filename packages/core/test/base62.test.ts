import { BASE62_ALPHABET, base62Space, decodeBase62, encodeBase62 } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

describe('base62', () => {
  it('uses the digits 0-9, A-Z, a-z in order', () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
    expect([...BASE62_ALPHABET].sort().join('')).toBe(BASE62_ALPHABET);
  });

  it('encodes to a fixed length, padded with 0', () => {
    expect(encodeBase62(0, 7)).toBe('0000000');
    expect(encodeBase62(61, 3)).toBe('00z');
    expect(encodeBase62(62, 3)).toBe('010');
    expect(encodeBase62(62 ** 7 - 1, 7)).toBe('zzzzzzz');
    expect(encodeBase62(62 ** 8 - 1, 8)).toBe('zzzzzzzz');
  });

  it('round-trips through decode', () => {
    for (const value of [0, 1, 61, 62, 3843, 3844, 123_456_789, 62 ** 7 - 2, 2 ** 40 + 17]) {
      expect(decodeBase62(encodeBase62(value, 7))).toBe(value);
    }
  });

  it('keeps numeric order as string order', () => {
    const values = [0, 9, 10, 35, 36, 61, 62, 1000, 62 ** 3];
    const codes = values.map((value) => encodeBase62(value, 4));
    expect([...codes].sort()).toEqual(codes);
  });

  it('refuses values that do not fit', () => {
    expect(() => encodeBase62(-1, 7)).toThrow(RangeError);
    expect(() => encodeBase62(1.5, 7)).toThrow(RangeError);
    expect(() => encodeBase62(62 ** 3, 3)).toThrow(RangeError);
    expect(() => encodeBase62(Number.NaN, 3)).toThrow(RangeError);
    expect(() => base62Space(9)).toThrow(RangeError);
    expect(() => base62Space(0)).toThrow(RangeError);
    expect(() => decodeBase62('ab-c')).toThrow(RangeError);
    expect(() => decodeBase62('z'.repeat(10))).toThrow(RangeError);
  });
});
