import { createUlid } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function timeOf(id: string): number {
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + ALPHABET.indexOf(char);
  return time;
}

describe('createUlid', () => {
  it('mints 26 Crockford base32 characters carrying the time', () => {
    const ulid = createUlid();
    const time = Date.UTC(2024, 4, 1, 10, 20, 30, 456);
    const id = ulid(time);
    expect(id).toMatch(ULID);
    expect(timeOf(id)).toBe(time);
    expect(timeOf(ulid())).toBeGreaterThanOrEqual(Date.now() - 1_000);
  });

  it('is strictly increasing within one millisecond and when time goes backwards', () => {
    const ulid = createUlid();
    const time = 1_714_560_000_000;
    const ids = [ulid(time)];
    for (let i = 0; i < 10_000; i++) ids.push(ulid(time));
    ids.push(ulid(time - 5_000));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(timeOf(ids.at(-1)!)).toBe(time);
  });

  it('sorts by time across milliseconds and stays unique over many ids', () => {
    const ulid = createUlid();
    const ids: string[] = [];
    for (let i = 0; i < 50_000; i++) ids.push(ulid(1_714_560_000_000 + Math.floor(i / 7)));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('draws fresh random bits in each new millisecond and per factory', () => {
    const a = createUlid();
    const b = createUlid();
    const first = a(1_000);
    const second = a(1_001);
    expect(first.slice(10)).not.toBe(second.slice(10));
    expect(b(1_000).slice(10)).not.toBe(first.slice(10));
  });
});
