import { isLinkPulseError, validateUrl } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

function rejection(input: string, maxLength?: number): unknown {
  try {
    validateUrl(input, { maxLength });
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('validateUrl', () => {
  it('accepts http and https URLs and returns them normalised', () => {
    expect(validateUrl('https://example.com')).toBe('https://example.com/');
    expect(validateUrl('HTTP://Example.COM:80/a/../b?x=1#top')).toBe(
      'http://example.com/b?x=1#top',
    );
    expect(validateUrl('https://bücher.example/ü path?q=é')).toBe(
      'https://xn--bcher-kva.example/%C3%BC%20path?q=%C3%A9',
    );
    expect(validateUrl('https://[::1]:8443/x')).toBe('https://[::1]:8443/x');
  });

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['ftp:', 'ftp://example.com/file'],
    ['file:', 'file:///etc/passwd'],
    ['mailto:', 'mailto:someone@example.com'],
    ['relative path', '/just/a/path'],
    ['protocol-relative', '//example.com/x'],
    ['bare host', 'example.com'],
    ['empty', ''],
    ['username', 'https://user@example.com/'],
    ['username and password', 'https://user:secret@example.com/'],
    ['password only', 'https://:secret@example.com/'],
    ['CR/LF header injection', 'https://example.com/\r\nSet-Cookie: a=b'],
    ['LF alone', 'https://example.com/a\nb'],
    ['CR alone', 'https://example.com/a\rb'],
    ['tab', 'https://exam\tple.com/'],
    ['NUL', 'https://example.com/\u0000'],
    ['DEL', 'https://example.com/\u007f'],
    ['C1 control', 'https://example.com/\u0085'],
    ['leading control', '\u0001https://example.com/'],
    ['invalid host', 'http://exa mple.com/'],
  ])('rejects %s', (_name, input) => {
    const error = rejection(input);
    expect(isLinkPulseError(error, 'invalid_url')).toBe(true);
    expect((error as { status: number }).status).toBe(400);
  });

  it('rejects URLs over the length limit, before and after normalisation', () => {
    const base = 'https://example.com/';
    expect(validateUrl(base.padEnd(2048, 'a'))).toHaveLength(2048);
    expect(isLinkPulseError(rejection(base.padEnd(2049, 'a')), 'invalid_url')).toBe(true);
    // 30 characters in, 20 + 10 × 6 = 80 characters once percent-encoded.
    const growing = `${base}${'ü'.repeat(10)}`;
    expect(growing.length).toBeLessThanOrEqual(40);
    expect(isLinkPulseError(rejection(growing, 40), 'invalid_url')).toBe(true);
    expect(validateUrl(`${base}x`, { maxLength: 21 })).toBe('https://example.com/x');
  });

  it('never returns a character that could break a header', () => {
    const href = validateUrl('https://example.com/ \u00a0"<>`{}|\\^\u2028?q= é#ü');
    expect(href).toMatch(/^[\u0021-\u007e]+$/);
  });
});
