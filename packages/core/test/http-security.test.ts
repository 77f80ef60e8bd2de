import type { IncomingMessage } from 'node:http';
import { createApiKeyCheck, createProxyTrust, presentedApiKey } from '@linkpulse/core/http';
import { describe, expect, it } from 'vitest';

function request(
  remoteAddress: string,
  headers: Record<string, string | string[]> = {},
  encrypted = false,
) {
  return { socket: { remoteAddress, encrypted }, headers } as unknown as IncomingMessage;
}

describe('API keys', () => {
  it('reads Bearer tokens first, then x-api-key', () => {
    expect(presentedApiKey({ authorization: 'Bearer abc', 'x-api-key': 'def' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'Basic abc', 'x-api-key': 'def' })).toBe('def');
    expect(presentedApiKey({})).toBeUndefined();
  });

  it('accepts any of several keys and nothing else', () => {
    const check = createApiKeyCheck(['old-key', 'new-key']);
    expect(check({ authorization: 'Bearer old-key' })).toBe(true);
    expect(check({ 'x-api-key': 'new-key' })).toBe(true);
    expect(check({ 'x-api-key': 'new-key-' })).toBe(false);
    expect(check({ 'x-api-key': 'new' })).toBe(false);
    expect(check({})).toBe(false);
  });

  it('refuses empty keys', () => {
    expect(() => createApiKeyCheck('')).toThrow(TypeError);
    expect(() => createApiKeyCheck([])).toThrow(TypeError);
  });
});

describe('createProxyTrust', () => {
  const xff = { 'x-forwarded-for': '198.51.100.9, 203.0.113.7, 10.0.0.2' };

  it('ignores X-Forwarded-For by default', () => {
    expect(createProxyTrust().clientIp(request('10.0.0.1', xff))).toBe('10.0.0.1');
  });

  it('true takes the left-most address', () => {
    expect(createProxyTrust(true).clientIp(request('10.0.0.1', xff))).toBe('198.51.100.9');
  });

  it('a hop count trusts that many proxies', () => {
    expect(createProxyTrust(1).clientIp(request('10.0.0.1', xff))).toBe('10.0.0.2');
    expect(createProxyTrust(2).clientIp(request('10.0.0.1', xff))).toBe('203.0.113.7');
    expect(createProxyTrust(9).clientIp(request('10.0.0.1', xff))).toBe('198.51.100.9');
  });

  it('a CIDR list walks back while the reporting hop is trusted', () => {
    const trust = createProxyTrust(['10.0.0.0/8']);
    expect(trust.clientIp(request('10.0.0.1', xff))).toBe('203.0.113.7');
    expect(trust.clientIp(request('192.0.2.1', xff))).toBe('192.0.2.1');
    expect(trust.clientIp(request('::ffff:10.0.0.1', { 'x-forwarded-for': '2001:db8::1' }))).toBe(
      '2001:db8::1',
    );
    expect(trust.clientIp(request('::ffff:10.0.0.1'))).toBe('10.0.0.1');
    expect(trust.clientIp(request('::FFFF:10.0.0.2'))).toBe('10.0.0.2');
    expect(trust.clientIp(request('::1'))).toBe('::1');
  });

  it('stops at an entry that is not an IP address', () => {
    const forged = { 'x-forwarded-for': '198.51.100.9, <script>' };
    expect(createProxyTrust(true).clientIp(request('10.0.0.1', forged))).toBe('10.0.0.1');
  });

  it('takes protocol and host from trusted proxies only', () => {
    const headers = {
      host: 'app:3000',
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'sho.rt',
    };
    expect(createProxyTrust(['127.0.0.1']).origin(request('127.0.0.1', headers))).toBe(
      'https://sho.rt',
    );
    expect(createProxyTrust(['127.0.0.1']).origin(request('192.0.2.1', headers))).toBe(
      'http://app:3000',
    );
    expect(createProxyTrust().origin(request('127.0.0.1', { host: 'a.b' }, true))).toBe(
      'https://a.b',
    );
  });

  it('refuses entries that are not addresses or ranges', () => {
    expect(() => createProxyTrust(['10.0.0.0/33'])).toThrow(TypeError);
    expect(() => createProxyTrust(['localhost'])).toThrow(TypeError);
    expect(() => createProxyTrust(-1)).toThrow(TypeError);
  });
});
