/** HTTP statuses a short link may redirect with. */
export type RedirectStatus = 301 | 302 | 307 | 308;

/** The redirect statuses accepted by {@link Link.redirectStatus}. */
export const REDIRECT_STATUSES: readonly RedirectStatus[] = [301, 302, 307, 308];

/** A stored short link. */
export interface Link {
  /** The short code, the path segment after the prefix (`/abc1234`). */
  code: string;
  /** Validated, normalised absolute http(s) URL the code redirects to. */
  url: string;
  /** When the link was created. */
  createdAt: Date;
  /** After this instant the link answers 410 Gone; `null` never expires. */
  expiresAt: Date | null;
  /** After this many redirects the link answers 410 Gone; `null` is unlimited. */
  maxClicks: number | null;
  /** Redirects counted against {@link Link.maxClicks} (only counted while a limit is set). */
  clicksUsed: number;
  /** A disabled link answers 410 Gone. */
  disabled: boolean;
  /** Status of the redirect response. */
  redirectStatus: RedirectStatus;
  /** Free-form labels for the owner's own use. */
  tags: string[];
}

/** Changes accepted by `LinkStore.update`; absent fields are left as they are. */
export interface LinkPatch {
  url?: string;
  expiresAt?: Date | null;
  maxClicks?: number | null;
  disabled?: boolean;
  redirectStatus?: RedirectStatus;
  tags?: string[];
}

/** Why a link that exists no longer redirects. */
export type GoneReason = 'expired' | 'disabled' | 'exhausted';

/**
 * Whether `link` may redirect at `now`, and if not, why. `exhausted` is judged from the
 * link's own {@link Link.clicksUsed}; the store's atomic `takeClick` is the final word.
 */
export function goneReason(link: Link, now: number): GoneReason | null {
  if (link.disabled) return 'disabled';
  if (link.expiresAt !== null && link.expiresAt.getTime() <= now) return 'expired';
  if (link.maxClicks !== null && link.clicksUsed >= link.maxClicks) return 'exhausted';
  return null;
}
