import {
  type Link,
  type LinkPage,
  type LinkPatch,
  LinkPulseError,
  type LinkStore,
  resolveListLimit,
} from '@linkpulse/core';
import type { RedisClient } from './client.js';
import { hashToLink, linkToHash, patchToArgs } from './link-hash.js';

/** Options of {@link RedisLinkStore}. */
export interface RedisLinkStoreOptions {
  /**
   * The client. It stays the caller's: `close()` does not quit it. Create it with
   * {@link FAIL_FAST_REDIS_OPTIONS} so lookups fail fast while Redis is down.
   */
  redis: RedisClient;
  /**
   * Prefix of every key (default `lp:`). With Redis Cluster, use a hash tag such as
   * `{lp}:` so a link and the code index share a slot (the scripts touch both).
   */
  prefix?: string;
}

// KEYS: link hash, code index. ARGV: code, then the hash as field, value, …
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1`;

// KEYS: link hash. ARGV: field, value, … (possibly none). Nil when there is no link.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])`;

// KEYS: link hash, code index. ARGV: code.
const DELETE = `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`;

// KEYS: link hash. 1 when the click may redirect (counted while a limit is set).
const TAKE_CLICK = `
local max = redis.call('HGET', KEYS[1], 'maxClicks')
if not max then return 0 end
if max == '' then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'clicksUsed')) >= tonumber(max) then return 0 end
redis.call('HINCRBY', KEYS[1], 'clicksUsed', 1)
return 1`;

interface LinkScripts {
  linkpulseCreateLink(
    link: string,
    index: string,
    code: string,
    ...fields: string[]
  ): Promise<number>;
  linkpulseUpdateLink(link: string, ...fields: string[]): Promise<string[] | null>;
  linkpulseDeleteLink(link: string, index: string, code: string): Promise<number>;
  linkpulseTakeClick(link: string): Promise<number>;
}

/**
 * A {@link LinkStore} in Redis. Each link is a hash at `<prefix>link:<code>`; a sorted
 * set `<prefix>links` (all scores 0) indexes the codes so `list` pages in code order
 * with ZRANGEBYLEX. `create`, `update`, `delete` and `takeClick` are Lua scripts, so
 * each is atomic. Redis errors surface as rejections (the resolver serves its cache or
 * answers `unavailable`).
 */
export class RedisLinkStore implements LinkStore {
  readonly #redis: RedisClient;
  readonly #scripts: LinkScripts;
  readonly #prefix: string;
  readonly #index: string;

  constructor(options: RedisLinkStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'lp:';
    this.#index = `${this.#prefix}links`;
    const redis = options.redis;
    redis.defineCommand('linkpulseCreateLink', { numberOfKeys: 2, lua: CREATE });
    redis.defineCommand('linkpulseUpdateLink', { numberOfKeys: 1, lua: UPDATE });
    redis.defineCommand('linkpulseDeleteLink', { numberOfKeys: 2, lua: DELETE });
    redis.defineCommand('linkpulseTakeClick', { numberOfKeys: 1, lua: TAKE_CLICK });
    this.#scripts = redis as unknown as LinkScripts;
  }

  #key(code: string): string {
    return `${this.#prefix}link:${code}`;
  }

  /** The link with this code, or `null`. */
  async get(code: string): Promise<Link | null> {
    const hash = await this.#redis.hgetall(this.#key(code));
    return Object.keys(hash).length === 0 ? null : hashToLink(code, hash);
  }

  /** Inserts `link`; throws `code_taken` when its code exists. */
  async create(link: Link): Promise<void> {
    const fields = Object.entries(linkToHash(link)).flat();
    const created = await this.#scripts.linkpulseCreateLink(
      this.#key(link.code),
      this.#index,
      link.code,
      ...fields,
    );
    if (created !== 1) throw new LinkPulseError('code_taken', `code "${link.code}" is taken`);
  }

  /** Writes the patched fields; throws `not_found` (writing nothing) for an unknown code. */
  async update(code: string, patch: LinkPatch): Promise<Link> {
    const hash = await this.#scripts.linkpulseUpdateLink(this.#key(code), ...patchToArgs(patch));
    if (hash === null) throw new LinkPulseError('not_found', `no link "${code}"`);
    return hashToLink(code, hash);
  }

  /** Deletes the link; `false` when there was none. */
  async delete(code: string): Promise<boolean> {
    return (await this.#scripts.linkpulseDeleteLink(this.#key(code), this.#index, code)) === 1;
  }

  /** Links in code order after `cursor` (the last code of the previous page). */
  async list(options: { cursor?: string | null; limit?: number } = {}): Promise<LinkPage> {
    const limit = resolveListLimit(options.limit);
    const from = options.cursor ? `(${options.cursor}` : '-';
    const codes = await this.#redis.zrangebylex(this.#index, from, '+', 'LIMIT', 0, limit + 1);
    const page = codes.slice(0, limit);
    const pipeline = this.#redis.pipeline();
    for (const code of page) pipeline.hgetall(this.#key(code));
    const replies = page.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    const links: Link[] = [];
    replies.forEach(([error, hash], i) => {
      if (error) throw error;
      // A link deleted between the two round trips is left out.
      const fields = hash as Record<string, string>;
      if (Object.keys(fields).length > 0) links.push(hashToLink(page[i]!, fields));
    });
    return { links, cursor: codes.length > limit ? page[page.length - 1]! : null };
  }

  /** Counts one redirect against `maxClicks`; `false` once used up or when missing. */
  async takeClick(code: string): Promise<boolean> {
    return (await this.#scripts.linkpulseTakeClick(this.#key(code))) === 1;
  }

  /** Nothing to release: the client is the caller's. */
  async close(): Promise<void> {}
}
