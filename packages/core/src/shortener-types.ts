import type { ClickInput } from './clicks/click-event.js';
import type { GoneReason, Link, RedirectStatus } from './links/link.js';
import type { LinkStats, StatsQuery } from './sinks/stats.js';
import type { LinkPage } from './store/link-store.js';

/** What `Shortener.shorten` accepts. */
export interface ShortenInput {
  /** Target URL; validated and normalised (http/https only, no credentials, no CR/LF). */
  url: string;
  /** Custom alias; a generated code when absent. */
  code?: string;
  /**
   * Expiry as a Date, an ISO-8601 (RFC 3339) date-time string with a time zone such as
   * `2030-01-31T12:00:00Z`, or epoch milliseconds.
   */
  expiresAt?: Date | string | number | null;
  /** Redirects allowed before the link answers 410 Gone. */
  maxClicks?: number | null;
  /** Redirect status; the shortener's default (302) when absent. */
  redirectStatus?: RedirectStatus;
  /** Free-form labels. */
  tags?: string[];
}

/** What `Shortener.update` accepts; absent fields stay as they are, `null` clears. */
export interface UpdateInput {
  url?: string;
  expiresAt?: Date | string | number | null;
  maxClicks?: number | null;
  disabled?: boolean;
  redirectStatus?: RedirectStatus;
  tags?: string[];
}

/** Outcome of resolving a code for a redirect. */
export type Resolution =
  | { status: 'found'; link: Link }
  | { status: 'gone'; link: Link; reason: GoneReason }
  | { status: 'not_found' };

/** Options of `Shortener.resolve`. */
export interface ResolveOptions {
  /**
   * `GET` (default) counts the redirect against `maxClicks`; `HEAD` only looks, so link
   * previews and monitors do not use up a limited link.
   */
  method?: 'GET' | 'HEAD';
}

/**
 * The façade an app or an adapter talks to. Every method that takes a code finds the
 * link the way `resolve` does: by the exact code, then, under a case-insensitive alias
 * policy, by the code lower-cased (so `MyLink` finds the alias stored as `mylink`).
 */
export interface Shortener {
  /** Validates and stores a new link; throws `invalid_url`, `invalid_code`, `code_taken`. */
  shorten(input: ShortenInput): Promise<Link>;
  /** The link as stored, or throws `not_found`. */
  get(code: string): Promise<Link>;
  /** Lists links, `limit` at a time. */
  list(options?: { cursor?: string | null; limit?: number }): Promise<LinkPage>;
  /** Changes a link; every node's resolver forgets the old version. Throws `not_found`. */
  update(code: string, input: UpdateInput): Promise<Link>;
  /** Deletes a link; throws `not_found` when there was none. */
  delete(code: string): Promise<void>;
  /**
   * Resolves a code for a redirect through the in-process cache. Never throws for an
   * unknown or malformed code (that is `not_found`); throws `unavailable` when the store
   * cannot answer and nothing is cached.
   */
  resolve(code: string, options?: ResolveOptions): Promise<Resolution>;
  /**
   * `resolve` without waiting, for when the answer needs no I/O: a malformed code, or a
   * code whose fresh answer the in-process cache holds. `undefined` when only `resolve`
   * can tell: the code is not cached or its cache entry has expired, or it is a `GET` of
   * a link with `maxClicks`, which must take a click from the store. Never throws.
   */
  resolveCached(code: string, options?: ResolveOptions): Resolution | undefined;
  /** Records one click: synchronous, never throws, never waits (see `ClickEmitter.emit`). */
  recordClick(input: ClickInput): void;
  /** Stats of a link; throws `not_found` for an unknown code, `invalid_query` for a bad range. */
  stats(code: string, query?: Partial<StatsQuery>): Promise<LinkStats>;
  /** Flushes clicks, stops the embedded worker and closes store and sinks. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}
