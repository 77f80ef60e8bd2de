import { LRUCache } from 'lru-cache';
import { LinkPulseError } from '../errors.js';
import { caseFallback } from '../links/case-fallback.js';
import type { Link } from '../links/link.js';
import type { LinkStore } from '../store/link-store.js';
import type { InvalidationBus } from './invalidation.js';

/** Options of {@link Resolver}. */
export interface ResolverOptions {
  /** Codes kept in the cache, found and missing together. Default 10 000. */
  maxEntries?: number;
  /** How long a found link is served from the cache. Default 60 000 ms. */
  ttlMs?: number;
  /** How long a miss is remembered. Default 5 000 ms. */
  negativeTtlMs?: number;
  /**
   * When a code with upper-case letters is not found, try it lower-cased (aliases are
   * stored lower-cased under a case-insensitive alias policy). Default `false`.
   */
  caseInsensitive?: boolean;
  /**
   * Drop a code whenever it is published here (by this node or another), and every code
   * when the bus reports that some may have been missed.
   */
  bus?: InvalidationBus;
}

// Cached marker of a code the store does not have (lru-cache cannot hold null).
const MISSING: unique symbol = Symbol('linkpulse.missing');
type Entry = Link | typeof MISSING;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer`);
  }
  return value;
}

function freeze(link: Link): Link {
  Object.freeze(link.tags);
  return Object.freeze(link);
}

/**
 * Looks links up through an in-process LRU cache with a TTL. Misses are remembered for
 * a shorter TTL; concurrent lookups of one uncached code share one store call; when the
 * store fails, an expired entry is served rather than an error (stale-if-error).
 *
 * Links it returns are frozen and shared between callers: copy before changing one.
 * Whether a link may still redirect (expiry, disabled, click limit) is the caller's
 * decision (`goneReason`), not the resolver's.
 */
export class Resolver {
  readonly #cache: LRUCache<string, Entry>;
  readonly #caseInsensitive: boolean;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(store: LinkStore, options: ResolverOptions = {}) {
    const ttl = positiveInteger('ttlMs', options.ttlMs ?? 60_000);
    const negativeTtl = positiveInteger('negativeTtlMs', options.negativeTtlMs ?? 5_000);
    this.#caseInsensitive = options.caseInsensitive ?? false;
    this.#cache = new LRUCache<string, Entry>({
      max: positiveInteger('maxEntries', options.maxEntries ?? 10_000),
      ttl,
      // Keep expired entries until they are replaced: they are the stale-if-error answer.
      noDeleteOnStaleGet: true,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      // An entry invalidated while its fetch runs: the waiting callers still get the
      // fetched link, but it is not cached.
      ignoreFetchAbort: true,
      fetchMethod: async (code, _stale, { options: setOptions }) => {
        const link = await store.get(code);
        if (link !== null) return freeze(link);
        setOptions.ttl = negativeTtl;
        return MISSING;
      },
    });
    this.#unsubscribe = options.bus?.subscribe(
      (code) => this.invalidate(code),
      () => this.clear(),
    );
  }

  /**
   * The link with `code`, or `null` when there is none. Served from the cache when it
   * holds a fresh answer, without a store call.
   *
   * @throws LinkPulseError `unavailable` when the store fails and nothing, not even an
   *   expired entry, is cached for the code.
   */
  lookup(code: string): Promise<Link | null> {
    const cached = this.peek(code);
    return cached === undefined ? this.#lookupSlow(code) : Promise.resolve(cached);
  }

  /**
   * What {@link lookup} would answer from the cache alone, synchronously: the link, or
   * `null` for a remembered miss, when the cache holds a fresh answer; `undefined` when
   * only the store can tell (nothing cached, or the entry's TTL has run out).
   */
  peek(code: string): Link | null | undefined {
    const hit = this.#cache.get(code);
    if (hit !== MISSING) return hit;
    const lower = caseFallback(code, this.#caseInsensitive);
    if (lower === null) return null;
    const retry = this.#cache.get(lower);
    return retry === MISSING ? null : retry;
  }

  /** Forgets what is cached for `code` on this node. */
  invalidate(code: string): void {
    this.#cache.delete(code);
  }

  /** Forgets every cached code on this node. */
  clear(): void {
    this.#cache.clear();
  }

  /** Stops listening to the bus and empties the cache. The bus itself stays open. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#cache.clear();
  }

  async #lookupSlow(code: string): Promise<Link | null> {
    const knownMissing = this.#cache.get(code) === MISSING;
    const link = knownMissing ? null : await this.#fetch(code);
    const lower = caseFallback(code, this.#caseInsensitive);
    if (link !== null || lower === null) return link;
    const hit = this.#cache.get(lower);
    if (hit !== undefined) return hit === MISSING ? null : hit;
    return this.#fetch(lower);
  }

  async #fetch(code: string): Promise<Link | null> {
    const status: LRUCache.Status<string, Entry> = {};
    const entry = await this.#cache.fetch(code, { status });
    if (entry === undefined) {
      throw new LinkPulseError('unavailable', 'the link store cannot answer', {
        cause: status.fetchError,
      });
    }
    return entry === MISSING ? null : entry;
  }
}
