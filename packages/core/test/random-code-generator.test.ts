import { BASE62_ALPHABET, isWellFormedCode, RandomCodeGenerator } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

describe('RandomCodeGenerator', () => {
  it('makes 7-character base62 codes by default', async () => {
    const generator = new RandomCodeGenerator();
    for (let i = 0; i < 1_000; i++) {
      const code = await generator.next();
      expect(code).toMatch(/^[0-9A-Za-z]{7}$/);
      expect(isWellFormedCode(code)).toBe(true);
    }
  });

  it('honours the configured length', async () => {
    expect(await new RandomCodeGenerator({ length: 12 }).next()).toHaveLength(12);
    expect(await new RandomCodeGenerator({ length: 1 }).next()).toHaveLength(1);
    expect(() => new RandomCodeGenerator({ length: 0 })).toThrow(RangeError);
    expect(() => new RandomCodeGenerator({ length: 65 })).toThrow(RangeError);
  });

  it('draws every digit about equally often', async () => {
    const generator = new RandomCodeGenerator({ length: 10 });
    const counts = new Map<string, number>();
    const codes = 6_200;
    for (let i = 0; i < codes; i++) {
      for (const char of await generator.next()) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect([...counts.keys()].sort().join('')).toBe(BASE62_ALPHABET);
    // 62 000 digits, 1 000 expected per digit, standard deviation about 31.
    const expected = (codes * 10) / 62;
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - expected) ** 2 / expected;
    // 61 degrees of freedom: the 99.99th percentile is about 117.
    expect(chiSquare).toBeLessThan(117);
  });

  it('does not repeat codes in practice', async () => {
    const generator = new RandomCodeGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(await generator.next());
    expect(seen.size).toBe(20_000);
  });
});
