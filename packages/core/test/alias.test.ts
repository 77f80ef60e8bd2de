import {
  DEFAULT_RESERVED_WORDS,
  isLinkPulseError,
  isWellFormedCode,
  MAX_CODE_LENGTH,
  validateAlias,
} from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

function refused(run: () => unknown): boolean {
  try {
    run();
  } catch (error) {
    return isLinkPulseError(error, 'invalid_code');
  }
  return false;
}

describe('validateAlias', () => {
  it('accepts letters, digits, _ and - within the length limits', () => {
    expect(validateAlias('My_Link-2024')).toBe('My_Link-2024');
    expect(validateAlias('abc')).toBe('abc');
    expect(validateAlias('a'.repeat(64))).toBe('a'.repeat(64));
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(65)],
    ['dot-dot', '..'],
    ['path traversal', '../etc'],
    ['slash', 'a/b/c'],
    ['space', 'my link'],
    ['percent', 'a%2Fb'],
    ['unicode', 'café'],
    ['emoji', 'hi😀x'],
    ['dot', 'file.txt'],
    ['empty', ''],
  ])('rejects %s', (_name, alias) => {
    expect(refused(() => validateAlias(alias))).toBe(true);
  });

  it('rejects reserved words in any case', () => {
    for (const word of ['api', 'admin', 'health', 'healthz', 'metrics', 'well-known', 'favicon']) {
      expect(DEFAULT_RESERVED_WORDS).toContain(word);
      expect(refused(() => validateAlias(word))).toBe(true);
      expect(refused(() => validateAlias(word.toUpperCase()))).toBe(true);
    }
  });

  it('replaces the reserved list with a custom one', () => {
    const policy = { reserved: new Set(['Promo']) };
    expect(refused(() => validateAlias('promo', policy))).toBe(true);
    expect(refused(() => validateAlias('PROMO', policy))).toBe(true);
    expect(validateAlias('admin', policy)).toBe('admin');
  });

  it('lower-cases aliases under a case-insensitive policy', () => {
    expect(validateAlias('MyLink', { caseInsensitive: true })).toBe('mylink');
    expect(validateAlias('MyLink', { caseInsensitive: false })).toBe('MyLink');
  });

  it('applies custom lengths and refuses impossible ones', () => {
    expect(refused(() => validateAlias('abcd', { minLength: 5 }))).toBe(true);
    expect(refused(() => validateAlias('abcdef', { maxLength: 5 }))).toBe(true);
    expect(validateAlias('a', { minLength: 1 })).toBe('a');
    expect(() => validateAlias('abc', { maxLength: MAX_CODE_LENGTH + 1 })).toThrow(RangeError);
    expect(() => validateAlias('abc', { minLength: 0 })).toThrow(RangeError);
  });
});

describe('isWellFormedCode', () => {
  it('accepts anything a code can be', () => {
    for (const code of ['a', 'Z9', 'abc_DEF-123', 'x'.repeat(64)]) {
      expect(isWellFormedCode(code)).toBe(true);
    }
  });

  it('rejects paths, unicode and over-long input', () => {
    for (const code of [
      '',
      '..',
      '.',
      '/',
      'a/b',
      '%2e%2e',
      'café',
      'a b',
      'x'.repeat(65),
      'a\n',
    ]) {
      expect(isWellFormedCode(code)).toBe(false);
    }
  });
});
