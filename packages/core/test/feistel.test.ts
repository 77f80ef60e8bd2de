import { KeyedPermutation } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

describe('KeyedPermutation', () => {
  it.each([
    ['62^1', 62],
    ['62^2', 62 ** 2],
    ['62^3', 62 ** 3],
    ['an odd size', 1001],
    ['a power of two', 1024],
    ['the smallest domain', 2],
  ])('is a bijection over %s, checked exhaustively', (_name, size) => {
    const permutation = new KeyedPermutation({ secret: 'test-secret', size });
    const seen = new Uint8Array(size);
    let notInverted = 0;
    for (let n = 0; n < size; n++) {
      const image = permutation.permute(n);
      seen[image] = 1; // an image outside [0, size) would leave a hole below
      if (permutation.invert(image) !== n) notInverted++;
    }
    expect(seen.every((bit) => bit === 1)).toBe(true);
    expect(notInverted).toBe(0);
  });

  it('inverts permute on random samples of the 7- and 8-character domains', () => {
    for (const size of [62 ** 7, 62 ** 8]) {
      const permutation = new KeyedPermutation({ secret: new Uint8Array([1, 2, 3]), size });
      for (let i = 0; i < 2_000; i++) {
        const n = Math.floor(Math.random() * size);
        const image = permutation.permute(n);
        expect(image).toBeLessThan(size);
        expect(permutation.invert(image)).toBe(n);
      }
    }
  });

  it('depends on the secret and is stable for one secret', () => {
    const size = 62 ** 7;
    const a = new KeyedPermutation({ secret: 'alpha', size });
    const again = new KeyedPermutation({ secret: 'alpha', size });
    const b = new KeyedPermutation({ secret: 'beta', size });
    const ids = Array.from({ length: 100 }, (_, i) => i);
    expect(ids.map((n) => a.permute(n))).toEqual(ids.map((n) => again.permute(n)));
    const same = ids.filter((n) => a.permute(n) === b.permute(n));
    expect(same.length).toBeLessThan(3);
  });

  it('does not map consecutive ids to nearby values', () => {
    const size = 62 ** 7;
    const permutation = new KeyedPermutation({ secret: 'spread', size });
    let close = 0;
    for (let n = 0; n < 1_000; n++) {
      if (Math.abs(permutation.permute(n + 1) - permutation.permute(n)) < size / 1_000) close++;
    }
    // A random permutation puts about 0.2 % of neighbours that close; allow 1 %.
    expect(close).toBeLessThan(10);
  });

  it('refuses inputs outside the domain and bad parameters', () => {
    const permutation = new KeyedPermutation({ secret: 's', size: 100 });
    expect(() => permutation.permute(100)).toThrow(RangeError);
    expect(() => permutation.permute(-1)).toThrow(RangeError);
    expect(() => permutation.invert(0.5)).toThrow(RangeError);
    expect(() => new KeyedPermutation({ secret: '', size: 100 })).toThrow(RangeError);
    expect(() => new KeyedPermutation({ secret: 's', size: 1 })).toThrow(RangeError);
    expect(() => new KeyedPermutation({ secret: 's', size: 2 ** 53 })).toThrow(RangeError);
    expect(() => new KeyedPermutation({ secret: 's', size: 100, rounds: 1 })).toThrow(RangeError);
  });
});
