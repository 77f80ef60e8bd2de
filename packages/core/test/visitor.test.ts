import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalIp, ipPrefix, VisitorHasher } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0';
const DAY = Date.UTC(2024, 4, 1);

describe('ipPrefix', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['10.0.0.0', '10.0.0.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:0DB8:0000:0001::1', '2001:db8:0::'],
    ['2001:db8::', '2001:db8:0::'],
    ['::1', '0:0:0::'],
    ['fe80::1%eth0', 'fe80:0:0::'],
    ['::ffff:198.51.100.9', '198.51.100.0'],
    ['::ffff:c633:6409', '198.51.100.0'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0::'],
  ])('%s → %s', (ip, prefix) => {
    expect(ipPrefix(ip)).toBe(prefix);
    expect(isIP(prefix)).not.toBe(0);
  });

  it.each([
    '',
    'not an ip',
    '1.2.3',
    '256.1.1.1',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:1.2.3',
    'example.com',
  ])('is null for %j', (ip) => {
    expect(ipPrefix(ip)).toBeNull();
    expect(canonicalIp(ip)).toBeNull();
  });
});

describe('IPv4 recognition', () => {
  // A deterministic stream of strings made of digits and dots, with other characters now
  // and then: every one must be an address exactly when node:net says so.
  it('agrees with net.isIP on strings of digits and dots', () => {
    let state = 7;
    const next = (n: number) => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return (state >>> 8) % n;
    };
    const alphabet = '0123456789.....12345 x:';
    const cases = [
      '0.0.0.0',
      '255.255.255.255',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.04',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.4.',
      '00.0.0.0',
      '1.2.3.4 ',
      '٣.2.3.4',
    ];
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      for (let length = 1 + next(16); text.length < length; )
        text += alphabet[next(alphabet.length)];
      cases.push(text);
    }
    for (const text of cases) {
      if (isIP(text) === 6) continue;
      expect(canonicalIp(text), text).toBe(isIP(text) === 4 ? text : null);
    }
  });
});

describe('canonicalIp', () => {
  it('spells one address one way', () => {
    expect(canonicalIp('2001:DB8::0001')).toBe('2001:db8:0:0:0:0:0:1');
    expect(canonicalIp('2001:db8:0:0:0:0:0:1')).toBe('2001:db8:0:0:0:0:0:1');
    expect(canonicalIp('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(canonicalIp('1.2.3.4')).toBe('1.2.3.4');
    expect(canonicalIp('1:2:3:4:5:6:7::')).toBe('1:2:3:4:5:6:7:0');
    expect(canonicalIp('::2:3:4:5:6:7:8')).toBe('0:2:3:4:5:6:7:8');
  });
});

describe('VisitorHasher', () => {
  const hasher = new VisitorHasher('a secret');

  it('is a 16-character base64url id, stable within a UTC day', () => {
    const morning = hasher.visitorId(DAY + 60_000, '203.0.113.7', UA);
    expect(morning).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(hasher.visitorId(DAY + 86_399_999, '203.0.113.7', UA)).toBe(morning);
    expect(new VisitorHasher('a secret').visitorId(DAY, '203.0.113.7', UA)).toBe(morning);
  });

  it('changes with the day, the IP, the user agent and the secret', () => {
    const id = hasher.visitorId(DAY, '203.0.113.7', UA);
    expect(hasher.visitorId(DAY + 86_400_000, '203.0.113.7', UA)).not.toBe(id);
    expect(hasher.visitorId(DAY, '203.0.113.8', UA)).not.toBe(id);
    expect(hasher.visitorId(DAY, '203.0.113.7', `${UA} x`)).not.toBe(id);
    expect(new VisitorHasher('another secret').visitorId(DAY, '203.0.113.7', UA)).not.toBe(id);
    expect(new VisitorHasher(new Uint8Array([1, 2, 3])).visitorId(DAY, '203.0.113.7', UA)).not.toBe(
      id,
    );
  });

  it('treats one address spelled two ways as one visitor', () => {
    expect(hasher.visitorId(DAY, '::ffff:203.0.113.7', UA)).toBe(
      hasher.visitorId(DAY, '203.0.113.7', UA),
    );
    expect(hasher.visitorId(DAY, '2001:DB8::1', UA)).toBe(
      hasher.visitorId(DAY, '2001:db8:0:0:0:0:0:1', UA),
    );
  });

  it('gives the same ids after its cache filled up', () => {
    const fresh = new VisitorHasher('a secret');
    const first = fresh.visitorId(DAY, '198.51.100.1', UA);
    for (let i = 0; i < 5_000; i++) fresh.visitorId(DAY, `10.0.${i >> 8}.${i & 255}`, UA);
    expect(fresh.visitorId(DAY, '198.51.100.1', UA)).toBe(first);
  });

  it('is HMAC-SHA256 over day, canonical IP and user agent, as crypto.createHmac computes it', () => {
    const reference = (secret: string | Uint8Array, day: number, ip: string, ua: string) =>
      createHmac('sha256', secret).update(`${day}|${ip}|${ua}`).digest('base64url').slice(0, 16);
    const day = Math.floor(DAY / 86_400_000);
    const secrets: (string | Uint8Array)[] = [
      'a secret',
      'k'.repeat(64),
      `long ${'k'.repeat(100)}`, // longer than a block: hashed first
      new Uint8Array([0, 255, 128, 7]),
      'sécret ✓',
    ];
    const agents = [
      UA,
      '',
      'é ü ✓ 🦊',
      'lone \ud800 surrogate',
      'x'.repeat(5_000), // longer than the message buffer starts out
      UA,
    ];
    for (const secret of secrets) {
      const hasher = new VisitorHasher(secret);
      for (const ua of agents) {
        expect(hasher.visitorId(DAY, '203.0.113.7', ua)).toBe(
          reference(secret, day, '203.0.113.7', ua),
        );
        expect(hasher.visitorId(DAY, '2001:DB8::1', ua)).toBe(
          reference(secret, day, '2001:db8:0:0:0:0:0:1', ua),
        );
        expect(hasher.visitorId(DAY, 'not an ip', ua)).toBe(
          reference(secret, day, 'not an ip', ua),
        );
      }
    }
  });

  it('rejects an empty secret', () => {
    expect(() => new VisitorHasher('')).toThrow(TypeError);
  });
});
