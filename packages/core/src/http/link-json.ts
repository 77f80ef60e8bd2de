import type { Link, RedirectStatus } from '../links/link.js';
import type { LinkPage } from '../store/link-store.js';

/** A link as the HTTP API returns it: dates as ISO-8601 strings, plus its short URL. */
export interface LinkJson {
  code: string;
  url: string;
  /** Absolute URL that redirects to `url`. */
  shortUrl: string;
  createdAt: string;
  expiresAt: string | null;
  maxClicks: number | null;
  clicksUsed: number;
  redirectStatus: RedirectStatus;
  disabled: boolean;
  tags: string[];
}

/** Serialises a link; `codeBase` is the absolute URL in front of the code (no trailing `/`). */
export function linkToJson(link: Link, codeBase: string): LinkJson {
  return {
    code: link.code,
    url: link.url,
    shortUrl: `${codeBase}/${link.code}`,
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt?.toISOString() ?? null,
    maxClicks: link.maxClicks,
    clicksUsed: link.clicksUsed,
    redirectStatus: link.redirectStatus,
    disabled: link.disabled,
    tags: [...link.tags],
  };
}

/** One page of `GET /api/links` as the HTTP API returns it. */
export interface LinkPageJson {
  links: LinkJson[];
  /** Pass as `cursor` for the next page; `null` when this page is the last. */
  nextCursor: string | null;
}

/** Serialises a page of `LinkStore.list`, each link with {@link linkToJson}. */
export function linkPageToJson(page: LinkPage, codeBase: string): LinkPageJson {
  return {
    links: page.links.map((link) => linkToJson(link, codeBase)),
    nextCursor: page.cursor,
  };
}
