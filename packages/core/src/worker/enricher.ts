import { isbot } from 'isbot';
import UAParser from 'ua-parser-js';
import type { ClickEvent, DeviceType, EnrichedClick } from '../clicks/click-event.js';
import { interner, memoize } from '../clicks/memo.js';
import type { GeoLookup } from './geo.js';

/** Options of {@link Enricher}. */
export interface EnricherOptions {
  /** Country lookup by IP prefix; clicks get `country: null` without one. */
  geo?: GeoLookup;
  /**
   * Distinct user agents whose parse result is kept (parsing is the hot cost), and
   * distinct referers whose host is kept; default 5,000 of each. A full cache is emptied.
   */
  cacheSize?: number;
}

/** What the enricher derives from a user agent; cached per user-agent string. */
interface ParsedAgent {
  device: DeviceType;
  browser: string;
  os: string;
  bot: boolean;
}

const MOBILE_TYPES: ReadonlySet<string> = new Set(['mobile', 'wearable']);

function parseAgent(ua: string): ParsedAgent {
  const result = UAParser(ua);
  const browser = result.browser.name ?? 'unknown';
  const os = result.os.name ?? 'unknown';
  const bot = isbot(ua);
  const type = result.device.type;
  let device: DeviceType;
  if (bot) device = 'bot';
  else if (type === 'tablet') device = 'tablet';
  else if (type !== undefined && MOBILE_TYPES.has(type)) device = 'mobile';
  // ua-parser-js leaves the type empty for desktops; smart TVs, consoles etc. are "other".
  else if (type === undefined && (result.browser.name || result.os.name)) device = 'desktop';
  else device = 'other';
  return { device, browser, os, bot };
}

/**
 * Lower-cased host of a referer URL without a leading `www.` (so `www.example.com` and
 * `example.com` count as one referrer), or `null` when absent or unparseable.
 */
function refererHost(referer: string): string | null {
  let host: string;
  try {
    host = new URL(referer).hostname.toLowerCase();
  } catch {
    return null;
  }
  if (host.startsWith('www.')) host = host.slice(4);
  return host === '' ? null : host;
}

/**
 * Turns a {@link ClickEvent} into an {@link EnrichedClick}: device class, browser and OS
 * from the user agent (ua-parser-js 1.x, results cached per user-agent string), bot flag
 * (`isbot`, or a HEAD request; bots get device `bot`), referrer host (cached per referer)
 * and country.
 */
export class Enricher {
  readonly #geo: GeoLookup | undefined;
  readonly #agent: (ua: string) => ParsedAgent;
  // Parsing a URL costs several times a cache lookup, and most referers are a handful of
  // origins (browsers send only the origin across sites by default).
  readonly #host: (referer: string) => string | null;
  // Events decoded from JSON bring every user agent and referer as a new string, which a
  // `Map` lookup would hash whole (the better part of the lookup for a user agent): the
  // caches are looked up with the equal string seen first instead, hashed once.
  readonly #shared: (text: string) => string;

  constructor(options: EnricherOptions = {}) {
    this.#geo = options.geo;
    const max = Math.max(1, options.cacheSize ?? 5_000);
    this.#agent = memoize(parseAgent, max);
    this.#host = memoize(refererHost, max);
    this.#shared = interner(2 * max);
  }

  /** Enriches one event; never throws for any valid {@link ClickEvent}. */
  enrich(event: ClickEvent): EnrichedClick {
    const agent = this.#agent(this.#shared(event.ua));
    const bot = agent.bot || event.method === 'HEAD';
    // Fields listed one by one: `{ ...event, more }` is an order of magnitude slower in V8
    // and this runs once per click.
    return {
      v: event.v,
      id: event.id,
      code: event.code,
      ts: event.ts,
      visitorId: event.visitorId,
      ipPrefix: event.ipPrefix,
      ua: event.ua,
      referer: event.referer,
      method: event.method,
      utm: event.utm,
      device: bot ? 'bot' : agent.device,
      browser: agent.browser,
      os: agent.os,
      bot,
      country: this.#country(event.ipPrefix),
      refererHost: event.referer ? this.#host(this.#shared(event.referer)) : null,
    };
  }

  #country(ipPrefix: string | null): string | null {
    if (ipPrefix === null || this.#geo === undefined) return null;
    try {
      return this.#geo.country(ipPrefix);
    } catch {
      return null;
    }
  }
}
