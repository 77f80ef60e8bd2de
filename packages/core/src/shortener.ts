import { randomBytes } from 'node:crypto';
import { type Analytics, createInProcessAnalytics } from './analytics.js';
import type { CodeGenerator } from './codes/code-generator.js';
import { RandomCodeGenerator } from './codes/random-code-generator.js';
import { ClickEmitter, type ClickEmitterOptions } from './emitter/click-emitter.js';
import { isLinkPulseError, LinkPulseError } from './errors.js';
import {
  type AliasPolicy,
  isReservedCode,
  isWellFormedCode,
  validateAlias,
} from './links/alias.js';
import { caseFallback } from './links/case-fallback.js';
import { goneReason, type Link, type LinkPatch, type RedirectStatus } from './links/link.js';
import { type LinkInputPolicy, parseLinkFields } from './links/link-fields.js';
import { Resolver, type ResolverOptions } from './resolver/resolver.js';
import type {
  Resolution,
  ResolveOptions,
  Shortener,
  ShortenInput,
  UpdateInput,
} from './shortener-types.js';
import { normalizeStatsQuery } from './sinks/stats-builder.js';
import type { LinkStore } from './store/link-store.js';
import { MemoryLinkStore } from './store/memory-link-store.js';
import { asUnavailable, unavailableOnFailure } from './store/unavailable-on-failure.js';

/** Rules for the links a shortener accepts. */
export interface LinkPolicy extends LinkInputPolicy {
  /** Custom alias rules (reserved words, case-insensitivity, length). */
  alias?: AliasPolicy;
  /** Redirect status of links created without one; default 302. */
  defaultRedirectStatus?: RedirectStatus;
}

/** Options of {@link createShortener}; with none, everything runs in memory. */
export interface ShortenerOptions {
  /** Where links live; default a {@link MemoryLinkStore}. Closed by `close()`. */
  store?: LinkStore;
  /** Code strategy; default {@link RandomCodeGenerator} (7 base62 characters). */
  codes?: CodeGenerator;
  /** Cache sizes and TTLs, and the bus that carries invalidations across nodes. */
  resolver?: ResolverOptions;
  /** What links are accepted. */
  policy?: LinkPolicy;
  /**
   * Key of the visitor-id HMAC. Give every node the same, stable secret: with the default
   * (random per process) unique-visitor counts restart with each process.
   */
  secret?: string | Uint8Array;
  /** Emitter tuning (buffer capacity, batch size, flush interval, retries). */
  emitter?: Omit<ClickEmitterOptions, 'transport' | 'secret'>;
  /** Where clicks go and stats come from; default {@link createInProcessAnalytics}(). */
  analytics?: Analytics;
  /**
   * Told of failures that do not fail the call: an invalidation the resolver's bus could
   * not publish after a create, update or delete was stored (other nodes then serve their
   * cached copy until the resolver's TTL ends it), as `LinkPulseError('unavailable')` with
   * the bus's error as `cause`. Default: `process.emitWarning`.
   */
  onError?: (error: LinkPulseError) => void;
}

/** A {@link Shortener} with its moving parts exposed for metrics and tests. */
export interface ShortenerHandle extends Shortener {
  readonly store: LinkStore;
  readonly resolver: Resolver;
  readonly emitter: ClickEmitter;
  readonly analytics: Analytics;
}

const MAX_CODE_ATTEMPTS = 8;
const NOT_FOUND: Resolution = { status: 'not_found' };

/**
 * What a link found for a redirect means now: `gone` (disabled, expired, used up) or
 * `found`; `undefined` when a `GET` of a link with `maxClicks` must first take a click
 * from the store.
 */
function judge(link: Link, options: ResolveOptions | undefined): Resolution | undefined {
  const reason = goneReason(link, Date.now());
  if (reason !== null) return { status: 'gone', link, reason };
  if (link.maxClicks !== null && options?.method !== 'HEAD') return undefined;
  return { status: 'found', link };
}

/**
 * Creates the façade an app or adapter talks to: validates and stores links, resolves
 * codes through the in-process cache, records clicks without waiting, reads stats.
 */
export async function createShortener(options: ShortenerOptions = {}): Promise<ShortenerHandle> {
  const store = unavailableOnFailure(options.store ?? new MemoryLinkStore());
  const codes: CodeGenerator = options.codes ?? new RandomCodeGenerator();
  const policy = options.policy ?? {};
  const caseInsensitive =
    options.resolver?.caseInsensitive ?? policy.alias?.caseInsensitive ?? false;
  const resolver = new Resolver(store, { ...options.resolver, caseInsensitive });
  const analytics = options.analytics ?? (await createInProcessAnalytics());
  const emitter = new ClickEmitter({
    ...options.emitter,
    transport: analytics.producer,
    secret: options.secret ?? randomBytes(32),
  });
  const bus = options.resolver?.bus;

  const reportError = options.onError ?? ((error: Error) => process.emitWarning(error));

  // The store already changed when this runs: a bus that cannot publish must not fail the
  // call (other nodes then serve their cached copy until the resolver's TTL ends it).
  async function forget(code: string): Promise<void> {
    resolver.invalidate(code);
    try {
      await bus?.publish(code);
    } catch (error) {
      const failure = asUnavailable(
        error,
        `could not publish the invalidation of "${code}": other nodes keep their cached copy until it expires`,
      );
      try {
        reportError(failure);
      } catch {
        // A throwing handler must not fail a change that is stored.
      }
    }
  }

  // A code looked up before it existed may sit in every node's negative cache.
  async function create(link: Link): Promise<Link> {
    await store.create(link);
    await forget(link.code);
    return link;
  }

  async function insert(link: Link, alias: string | undefined): Promise<Link> {
    if (alias !== undefined) return create({ ...link, code: alias });
    for (let attempt = 1; ; attempt++) {
      const code = await codes.next();
      if (isReservedCode(code, policy.alias)) continue;
      try {
        return await create({ ...link, code });
      } catch (error) {
        const taken = isLinkPulseError(error, 'code_taken');
        if (!taken || attempt >= MAX_CODE_ATTEMPTS) throw error;
      }
    }
  }

  function resolveCached(code: string, resolveOptions?: ResolveOptions): Resolution | undefined {
    if (!isWellFormedCode(code)) return NOT_FOUND;
    const link = resolver.peek(code);
    if (link === undefined) return undefined;
    return link === null ? NOT_FOUND : judge(link, resolveOptions);
  }

  const notFound = (code: string): LinkPulseError =>
    new LinkPulseError('not_found', `no link with code "${code}"`);

  // The codes a lookup of `code` tries, in order, as `resolve` does: the code itself,
  // then its case fallback; none for a malformed code.
  function codesToTry(code: string): string[] {
    if (!isWellFormedCode(code)) return [];
    const fallback = caseFallback(code, caseInsensitive);
    return fallback === null ? [code] : [code, fallback];
  }

  async function requireLink(code: string): Promise<Link> {
    for (const candidate of codesToTry(code)) {
      const link = await store.get(candidate);
      if (link) return link;
    }
    throw notFound(code);
  }

  return {
    store,
    resolver,
    emitter,
    analytics,

    async shorten(input: ShortenInput): Promise<Link> {
      if (typeof input.url !== 'string') throw new LinkPulseError('invalid_url', 'url is required');
      const fields = parseLinkFields(input, policy, Date.now());
      const alias = input.code === undefined ? undefined : validateAlias(input.code, policy.alias);
      const link: Link = {
        code: '',
        url: fields.url as string,
        createdAt: new Date(),
        expiresAt: fields.expiresAt ?? null,
        maxClicks: fields.maxClicks ?? null,
        clicksUsed: 0,
        disabled: false,
        redirectStatus: fields.redirectStatus ?? policy.defaultRedirectStatus ?? 302,
        tags: fields.tags ?? [],
      };
      return insert(link, alias);
    },

    get: requireLink,

    list: (page) => store.list(page),

    async update(code: string, input: UpdateInput): Promise<Link> {
      const stored = (await requireLink(code)).code;
      const patch: LinkPatch = parseLinkFields(input, policy, Date.now());
      if (input.disabled !== undefined) patch.disabled = input.disabled;
      const link = await store.update(stored, patch);
      await forget(stored);
      return link;
    },

    async delete(code: string): Promise<void> {
      for (const candidate of codesToTry(code)) {
        if (await store.delete(candidate)) {
          await forget(candidate);
          return;
        }
      }
      throw notFound(code);
    },

    resolveCached,

    async resolve(code: string, resolveOptions?: ResolveOptions): Promise<Resolution> {
      const cached = resolveCached(code, resolveOptions);
      if (cached !== undefined) return cached;
      const link = await resolver.lookup(code);
      if (link === null) return NOT_FOUND;
      const resolution = judge(link, resolveOptions);
      if (resolution !== undefined) return resolution;
      if (!(await store.takeClick(link.code))) {
        resolver.invalidate(link.code);
        return { status: 'gone', link, reason: 'exhausted' };
      }
      return { status: 'found', link };
    },

    recordClick(input) {
      emitter.emit(input);
    },

    async stats(code, query) {
      const link = await requireLink(code);
      if (!analytics.stats) throw new LinkPulseError('unavailable', 'no stats reader configured');
      const normalized = normalizeStatsQuery(query, Date.now());
      try {
        return await analytics.stats.stats(link.code, normalized);
      } catch (error) {
        throw asUnavailable(error, 'stats unavailable');
      }
    },

    async close(closeOptions) {
      await emitter.close(closeOptions);
      await analytics.close(closeOptions);
      await resolver.close();
      await codes.close?.();
      await store.close();
    },
  };
}
