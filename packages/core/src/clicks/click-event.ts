/** Name of the topic / stream that carries {@link ClickEvent} v1 records. */
export const CLICK_TOPIC = 'linkpulse.click.v1';

/** UTM campaign parameters taken from the short URL's query string. */
export interface Utm {
  source?: string;
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
}

/**
 * What an adapter knows about one redirect, handed to `ClickEmitter.emit`. The emitter
 * copies its fields at `emit` (the object may be reused afterwards) and keeps them until
 * flush; nothing here leaves the process unprocessed (the raw `ip` is replaced by a visitor
 * id and a truncated prefix when the event is built: at flush, or in the analytics thread
 * the clicks are handed to).
 */
export interface ClickInput {
  /** Short code that was resolved. */
  code: string;
  /** Client IP as the adapter determined it (after trusted-proxy handling). */
  ip: string;
  /** `User-Agent` header. */
  userAgent?: string | undefined;
  /** `Referer` header. */
  referer?: string | undefined;
  /** HTTP method; `HEAD` is recorded as such (and counted as a bot). */
  method?: string | undefined;
  /** Raw query string of the short URL (without `?`), for UTM parameters. */
  query?: string | undefined;
  /** Milliseconds since the epoch; the emitter stamps `Date.now()` when absent. */
  ts?: number | undefined;
}

/**
 * Click event, wire schema version 1. Versioned so that workers can reject what they do
 * not understand (to the dead-letter path) instead of guessing.
 */
export interface ClickEvent {
  /** Schema version, always `1`. */
  v: 1;
  /** ULID, unique per click; sinks deduplicate on it. */
  id: string;
  /** Short code. */
  code: string;
  /** Milliseconds since the epoch. */
  ts: number;
  /** Keyed HMAC of (UTC day, IP, user agent), truncated: a visitor per day, not a person. */
  visitorId: string;
  /** IPv4 /24 or IPv6 /48 prefix for geo lookup; `null` when the IP was unparseable. */
  ipPrefix: string | null;
  /** `User-Agent` header, possibly empty. */
  ua: string;
  /** `Referer` header, or `null`. */
  referer: string | null;
  /** `GET` or `HEAD`. */
  method: 'GET' | 'HEAD';
  /** UTM parameters, or `null` when the query had none. */
  utm: Utm | null;
}

/** Device classes reported in stats. */
export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

/** A {@link ClickEvent} after the worker's enrichment; what sinks write. */
export interface EnrichedClick extends ClickEvent {
  /** Device class from the user agent. */
  device: DeviceType;
  /** Browser family, e.g. `Chrome`; `unknown` when unparseable. */
  browser: string;
  /** Operating system family, e.g. `iOS`; `unknown` when unparseable. */
  os: string;
  /** Crawler, bot, or HEAD request: counted apart from human clicks. */
  bot: boolean;
  /** ISO 3166-1 alpha-2 country, or `null` without a geo database or match. */
  country: string | null;
  /** Host of the referer, lower-cased, or `null` (direct). */
  refererHost: string | null;
}
