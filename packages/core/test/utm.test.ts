import { MAX_UTM_LENGTH, parseUtm } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

describe('parseUtm', () => {
  it('reads the five UTM parameters, percent-decoded', () => {
    expect(
      parseUtm(
        'utm_source=news%20letter&utm_medium=email&utm_campaign=spring+sale&utm_term=shoes&utm_content=hero&x=1',
      ),
    ).toEqual({
      source: 'news letter',
      medium: 'email',
      campaign: 'spring sale',
      term: 'shoes',
      content: 'hero',
    });
  });

  it('keeps only what is present; the first occurrence wins; empty values are ignored', () => {
    expect(parseUtm('utm_source=a&utm_source=b&utm_medium=')).toEqual({ source: 'a' });
  });

  it('is null without UTM parameters', () => {
    expect(parseUtm(undefined)).toBeNull();
    expect(parseUtm('')).toBeNull();
    expect(parseUtm('ref=home&page=2')).toBeNull();
    expect(parseUtm('utm_other=1&utm_medium=')).toBeNull();
    expect(parseUtm('toString=1&utm_x=2&constructor=3')).toBeNull();
  });

  it('cuts long values', () => {
    const utm = parseUtm(`utm_campaign=${'c'.repeat(5_000)}`);
    expect(utm?.campaign).toHaveLength(MAX_UTM_LENGTH);
  });

  it('tolerates malformed percent-encoding', () => {
    expect(parseUtm('utm_source=%E0%A4%A&utm_medium=%')).toEqual({
      source: expect.any(String),
      medium: '%',
    });
  });
});
