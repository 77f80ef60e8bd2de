import { describe, expect, it } from 'vitest';
import { RecentIds } from '../src/worker/recent-ids.js';

describe('RecentIds', () => {
  it('remembers at least the last `window` ids and forgets older generations', () => {
    const ids = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) ids.add(id);
    for (const id of ['d', 'e', 'f', 'a', 'b', 'c']) expect(ids.has(id)).toBe(true);
    ids.add('g');
    expect(['a', 'b', 'c'].some((id) => ids.has(id))).toBe(false);
    for (const id of ['d', 'e', 'f', 'g']) expect(ids.has(id)).toBe(true);
    expect(ids.has('z')).toBe(false);
  });

  it('says whether an added id was new, and forgets a deleted one in either generation', () => {
    const ids = new RecentIds(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('c')).toBe(true); // 'a' and 'b' are now the older generation
    expect(ids.add('a')).toBe(false);
    ids.delete('a');
    ids.delete('c');
    expect(ids.has('a') || ids.has('c')).toBe(false);
    expect(ids.has('b')).toBe(true);
    expect(ids.add('a')).toBe(true);
  });

  it('finds ids added out of order, below the greatest one, in either generation', () => {
    const ids = new RecentIds(3);
    for (const id of ['m', 'c', 'x']) expect(ids.add(id)).toBe(true);
    for (const id of ['a', 'n', 'd']) expect(ids.add(id)).toBe(true); // 'm', 'c', 'x' older now
    for (const id of ['m', 'c', 'x', 'a', 'n', 'd']) expect(ids.add(id)).toBe(false);
    ids.delete('x');
    expect(ids.has('x')).toBe(false);
    expect(ids.add('x')).toBe(true);
    expect(ids.has('b') || ids.has('z') || ids.has('')).toBe(false);
  });
});
