import type { Link, LinkPatch, RedirectStatus } from '@linkpulse/core';

/**
 * How a link is laid out in its Redis hash: one field per property, dates as epoch
 * milliseconds, `''` for `null`, tags as a JSON array. Field-wise, so `update` writes
 * only the patched fields and `takeClick` increments `clicksUsed` in place.
 */
export type LinkHash = Record<string, string>;

function optionalNumber(value: number | null): string {
  return value === null ? '' : String(value);
}

function patchFields(patch: LinkPatch): LinkHash {
  const fields: LinkHash = {};
  if (patch.url !== undefined) fields.url = patch.url;
  if (patch.expiresAt !== undefined) {
    fields.expiresAt = optionalNumber(patch.expiresAt === null ? null : patch.expiresAt.getTime());
  }
  if (patch.maxClicks !== undefined) fields.maxClicks = optionalNumber(patch.maxClicks);
  if (patch.disabled !== undefined) fields.disabled = patch.disabled ? '1' : '0';
  if (patch.redirectStatus !== undefined) fields.redirectStatus = String(patch.redirectStatus);
  if (patch.tags !== undefined) fields.tags = JSON.stringify(patch.tags);
  return fields;
}

/** The hash fields of a whole link (the code is in the key, not the hash). */
export function linkToHash(link: Link): LinkHash {
  return {
    ...patchFields(link),
    createdAt: String(link.createdAt.getTime()),
    clicksUsed: String(link.clicksUsed),
  };
}

/** Only the fields `patch` sets, as `[field, value, field, value, …]` for HSET. */
export function patchToArgs(patch: LinkPatch): string[] {
  return Object.entries(patchFields(patch)).flat();
}

function optionalInteger(value: string | undefined): number | null {
  return value === undefined || value === '' ? null : Number(value);
}

/** The link stored under `code`, from its HGETALL reply as a flat array or an object. */
export function hashToLink(code: string, reply: LinkHash | string[]): Link {
  const hash = Array.isArray(reply) ? pairsToHash(reply) : reply;
  const expiresAt = optionalInteger(hash.expiresAt);
  return {
    code,
    url: hash.url ?? '',
    createdAt: new Date(Number(hash.createdAt)),
    expiresAt: expiresAt === null ? null : new Date(expiresAt),
    maxClicks: optionalInteger(hash.maxClicks),
    clicksUsed: Number(hash.clicksUsed ?? 0),
    disabled: hash.disabled === '1',
    redirectStatus: Number(hash.redirectStatus) as RedirectStatus,
    tags: hash.tags ? (JSON.parse(hash.tags) as string[]) : [],
  };
}

function pairsToHash(pairs: string[]): LinkHash {
  const hash: LinkHash = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) hash[pairs[i]!] = pairs[i + 1]!;
  return hash;
}
