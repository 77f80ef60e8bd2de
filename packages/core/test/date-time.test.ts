import { describe, expect, it } from 'vitest';
import { parseDateTime } from '../src/links/date-time.js';

describe('parseDateTime', () => {
  it('reads RFC 3339 date-times with a zone, fraction and lower-case letters', () => {
    expect(parseDateTime('2030-01-31T12:00:00Z')).toBe(Date.UTC(2030, 0, 31, 12));
    expect(parseDateTime('2030-01-31T12:00:00.5+02:00')).toBe(Date.UTC(2030, 0, 31, 10, 0, 0, 500));
    expect(parseDateTime('2030-01-31t12:00:00z')).toBe(Date.UTC(2030, 0, 31, 12));
    expect(parseDateTime('2032-02-29T23:59:59-23:59')).toBe(Date.UTC(2032, 2, 1, 23, 58, 59));
    expect(parseDateTime('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
  });

  it('refuses fields that do not exist instead of rolling them over', () => {
    for (const text of [
      '2030-02-30T00:00:00Z',
      '2030-02-29T00:00:00Z', // 2030 is a common year
      '2100-02-29T00:00:00Z', // so is 2100
      '2030-04-31T00:00:00+02:00',
      '2030-06-31T00:00:00Z',
      '2030-09-31T00:00:00Z',
      '2030-11-31T00:00:00Z',
      '2030-01-32T00:00:00Z',
      '2030-00-10T00:00:00Z',
      '2030-13-10T00:00:00Z',
      '2030-01-00T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T23:60:00Z',
      '2030-01-01T23:59:60Z',
      '2030-01-01T12:00:00+24:00',
      '2030-01-01T12:00:00+05:60',
    ]) {
      expect(parseDateTime(text), text).toBeNaN();
    }
  });

  it('refuses text that is not an RFC 3339 date-time', () => {
    for (const text of [
      '2030-01-31',
      '2030-01-31T12:00:00', // no zone
      '2030-01-31T12:00Z', // no seconds
      '2030-01-31 12:00:00Z',
      'Feb 3 2030',
      '4102444800000',
      '',
    ]) {
      expect(parseDateTime(text), text).toBeNaN();
    }
  });
});
