import { createRequire } from 'node:module';
import { type ClickEvent, Enricher, type GeoLookup, openMaxmindGeo } from '@linkpulse/core';
import { describe, expect, it } from 'vitest';

const UA = {
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  smartTv:
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  curl: 'curl/8.4.0',
};

function event(overrides: Partial<ClickEvent> = {}): ClickEvent {
  return {
    v: 1,
    id: '01HZX3Q4T5V6W7X8Y9Z0ABCDEF',
    code: 'abc',
    ts: 1_717_000_000_000,
    visitorId: 'visitor',
    ipPrefix: '203.0.113.0',
    ua: UA.windowsChrome,
    referer: null,
    method: 'GET',
    utm: null,
    ...overrides,
  };
}

describe('Enricher', () => {
  const enricher = new Enricher();
  const agent = (ua: string, method: 'GET' | 'HEAD' = 'GET') => {
    const { device, browser, os, bot } = enricher.enrich(event({ ua, method }));
    return { device, browser, os, bot };
  };

  it('classifies browsers, devices and operating systems', () => {
    expect(agent(UA.iphone)).toEqual({
      device: 'mobile',
      browser: 'Mobile Safari',
      os: 'iOS',
      bot: false,
    });
    expect(agent(UA.windowsChrome)).toEqual({
      device: 'desktop',
      browser: 'Chrome',
      os: 'Windows',
      bot: false,
    });
    expect(agent(UA.ipad)).toMatchObject({ device: 'tablet', os: 'iOS', bot: false });
    expect(agent(UA.android)).toMatchObject({ device: 'mobile', os: 'Android', bot: false });
    expect(agent(UA.smartTv)).toMatchObject({ device: 'other', bot: false });
  });

  it('flags crawlers, command-line clients and HEAD requests as bots', () => {
    expect(agent(UA.googlebot)).toMatchObject({ device: 'bot', bot: true });
    expect(agent(UA.curl)).toMatchObject({ device: 'bot', bot: true });
    expect(agent(UA.iphone, 'HEAD')).toEqual({
      device: 'bot',
      browser: 'Mobile Safari',
      os: 'iOS',
      bot: true,
    });
  });

  it('answers the same from its cache as from a fresh parse', () => {
    const small = new Enricher({ cacheSize: 1 });
    const agents = [UA.iphone, UA.googlebot, UA.iphone, UA.ipad, UA.iphone];
    const results = agents.map((ua) => small.enrich(event({ ua })));
    expect(results.map((r) => [r.device, r.browser])).toEqual([
      ['mobile', 'Mobile Safari'],
      ['bot', 'unknown'],
      ['mobile', 'Mobile Safari'],
      ['tablet', 'Mobile Safari'],
      ['mobile', 'Mobile Safari'],
    ]);
  });

  it('tells apart referers and user agents decoded as new strings, many of them alike', () => {
    // Same length, differing in one character that the cache's fingerprint does not look
    // at: more of them than one fingerprint bucket holds.
    const letters = Array.from({ length: 24 }, (_, i) => String.fromCharCode(97 + i));
    const referers = letters.map((c) => `https://x${c}.example.com/path/to/page`);
    const agents = [UA.iphone, UA.android, UA.googlebot];
    const fresh = (text: string) => JSON.parse(JSON.stringify(text)) as string;
    const small = new Enricher({ cacheSize: 16 });
    for (let round = 0; round < 3; round++) {
      referers.forEach((referer, i) => {
        const ua = agents[i % agents.length]!;
        const enriched = small.enrich(event({ referer: fresh(referer), ua: fresh(ua) }));
        expect(enriched.refererHost).toBe(`x${letters[i]}.example.com`);
        expect(enriched.os).toBe(['iOS', 'Android', 'unknown'][i % agents.length]);
      });
    }
  });

  it('keeps the event fields and takes the referer host', () => {
    const base = event({ referer: 'https://WWW.Example.COM:8443/a?b=c' });
    const enriched = enricher.enrich(base);
    expect(enriched).toMatchObject(base);
    expect(enriched.refererHost).toBe('example.com');
    const host = (referer: string | null) => enricher.enrich(event({ referer })).refererHost;
    expect(host('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
    expect(host('http://news.ycombinator.com')).toBe('news.ycombinator.com');
    expect(host('not a url')).toBeNull();
    expect(host('')).toBeNull();
    expect(host(null)).toBeNull();
  });

  it('answers the same referer hosts from its cache as from a fresh parse', () => {
    const small = new Enricher({ cacheSize: 1 });
    const referers = [
      'https://t.co/x',
      'not a url',
      'https://t.co/x',
      'not a url',
      'https://www.a.io/',
    ];
    const hosts = referers.map((referer) => small.enrich(event({ referer })).refererHost);
    expect(hosts).toEqual(['t.co', null, 't.co', null, 'a.io']);
  });

  it('looks up the country of the IP prefix and survives a failing lookup', () => {
    const asked: string[] = [];
    const geo: GeoLookup = {
      country(ip) {
        asked.push(ip);
        if (ip === 'boom') throw new Error('broken database');
        return ip.startsWith('203.') ? 'AU' : null;
      },
    };
    const withGeo = new Enricher({ geo });
    expect(withGeo.enrich(event()).country).toBe('AU');
    expect(withGeo.enrich(event({ ipPrefix: '198.51.100.0' })).country).toBeNull();
    expect(withGeo.enrich(event({ ipPrefix: 'boom' })).country).toBeNull();
    expect(withGeo.enrich(event({ ipPrefix: null })).country).toBeNull();
    expect(asked).toEqual(['203.0.113.0', '198.51.100.0', 'boom']);
    expect(enricher.enrich(event()).country).toBeNull();
  });
});

describe('openMaxmindGeo', () => {
  it('reads countries from the CC0 ip-location-db database', async () => {
    const require = createRequire(import.meta.url);
    const path = require.resolve(
      '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
    );
    const geo = await openMaxmindGeo(path);
    expect(geo.country('8.8.8.0')).toBe('US');
    expect(geo.country('81.2.69.0/24')).toBe('GB');
    expect(geo.country('2001:4860:4860::')).toBe('US');
    expect(geo.country('10.0.0.0')).toBeNull();
    expect(geo.country('not an ip')).toBeNull();
  });
});
