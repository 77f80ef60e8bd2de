import type { Link, LinkPatch } from './link.js';

/**
 * A new link with `patch` applied: fields the patch leaves `undefined` keep their value,
 * `null` clears `expiresAt` and `maxClicks`. Neither argument is changed, and the result
 * shares no Date or array with them. Stores use it so every driver patches alike.
 */
export function applyLinkPatch(link: Link, patch: LinkPatch): Link {
  const expiresAt = patch.expiresAt === undefined ? link.expiresAt : patch.expiresAt;
  return {
    code: link.code,
    url: patch.url ?? link.url,
    createdAt: new Date(link.createdAt.getTime()),
    expiresAt: expiresAt === null ? null : new Date(expiresAt.getTime()),
    maxClicks: patch.maxClicks === undefined ? link.maxClicks : patch.maxClicks,
    clicksUsed: link.clicksUsed,
    disabled: patch.disabled ?? link.disabled,
    redirectStatus: patch.redirectStatus ?? link.redirectStatus,
    tags: [...(patch.tags ?? link.tags)],
  };
}

/** A deep copy of `link` (new Dates, new tags array). */
export function copyLink(link: Link): Link {
  return applyLinkPatch(link, {});
}
