import type { Link, LinkPatch } from '../links/link.js';

/** One page of {@link LinkStore.list}. */
export interface LinkPage {
  links: Link[];
  /** Pass back as `cursor` for the next page; `null` when this was the last. */
  cursor: string | null;
}

/**
 * Where links live. Every driver (memory, SQLite, Redis) runs the same contract suite,
 * `describeLinkStore` from `@linkpulse/core/testing`.
 */
export interface LinkStore {
  /** The link with this exact code, or `null`. */
  get(code: string): Promise<Link | null>;
  /**
   * Atomic insert-if-absent. Throws `LinkPulseError('code_taken')` when the code exists;
   * then nothing is written.
   */
  create(link: Link): Promise<void>;
  /** Applies `patch` and returns the updated link; throws `LinkPulseError('not_found')`. */
  update(code: string, patch: LinkPatch): Promise<Link>;
  /** Deletes the link; `false` when there was none. */
  delete(code: string): Promise<boolean>;
  /** Links in code order, `limit` at a time (default 100). */
  list(options?: { cursor?: string | null; limit?: number }): Promise<LinkPage>;
  /**
   * Atomically counts one redirect against the link's `maxClicks`: increments
   * `clicksUsed` and returns `true` while it is below the limit (or no limit is set),
   * returns `false` without a change once the limit is reached or the link is gone.
   */
  takeClick(code: string): Promise<boolean>;
  /** Releases connections and handles. */
  close(): Promise<void>;
}
