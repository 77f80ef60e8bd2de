import { LinkPulseError } from '../errors.js';
import type { Link, LinkPatch } from '../links/link.js';
import { applyLinkPatch, copyLink } from '../links/patch.js';
import type { LinkPage, LinkStore } from './link-store.js';
import { resolveListLimit } from './list-limit.js';

/**
 * A {@link LinkStore} in a `Map`, for tests and single-process apps. Links are copied in
 * and out, so callers can never change stored state by mutating an object.
 */
export class MemoryLinkStore implements LinkStore {
  readonly #links = new Map<string, Link>();

  /** The link with this code, or `null`. */
  async get(code: string): Promise<Link | null> {
    const link = this.#links.get(code);
    return link === undefined ? null : copyLink(link);
  }

  /** Inserts `link`; throws `code_taken` when its code exists. */
  async create(link: Link): Promise<void> {
    if (this.#links.has(link.code)) {
      throw new LinkPulseError('code_taken', `code "${link.code}" is taken`);
    }
    this.#links.set(link.code, copyLink(link));
  }

  /** Applies `patch`; throws `not_found`. */
  async update(code: string, patch: LinkPatch): Promise<Link> {
    const link = this.#links.get(code);
    if (link === undefined) throw new LinkPulseError('not_found', `no link "${code}"`);
    const updated = applyLinkPatch(link, patch);
    this.#links.set(code, updated);
    return copyLink(updated);
  }

  /** Deletes the link; `false` when there was none. */
  async delete(code: string): Promise<boolean> {
    return this.#links.delete(code);
  }

  /** Links in code order after `cursor` (the last code of the previous page). */
  async list(options: { cursor?: string | null; limit?: number } = {}): Promise<LinkPage> {
    const limit = resolveListLimit(options.limit);
    const cursor = options.cursor ?? null;
    const codes = [...this.#links.keys()]
      .filter((code) => cursor === null || code > cursor)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const page = codes.slice(0, limit);
    return {
      links: page.map((code) => copyLink(this.#links.get(code)!)),
      cursor: codes.length > limit ? page[page.length - 1]! : null,
    };
  }

  /** Counts one redirect against `maxClicks`; `false` once used up or when missing. */
  async takeClick(code: string): Promise<boolean> {
    const link = this.#links.get(code);
    if (link === undefined) return false;
    if (link.maxClicks === null) return true;
    if (link.clicksUsed >= link.maxClicks) return false;
    link.clicksUsed += 1;
    return true;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
