import { LinkPulseError } from '../errors.js';
import { parseDateTime } from './date-time.js';
import { type LinkPatch, REDIRECT_STATUSES, type RedirectStatus } from './link.js';
import { type UrlPolicy, validateUrl } from './url.js';

/** Limits on the free-form fields of a link. */
export interface LinkInputPolicy {
  /** Target URL rules. */
  url?: UrlPolicy;
  /** Most tags on one link; default 20. */
  maxTags?: number;
  /** Longest tag; default 64 characters. */
  maxTagLength?: number;
}

/** The link fields a caller may set when creating or updating a link. */
export interface LinkFieldsInput {
  url?: unknown;
  expiresAt?: unknown;
  maxClicks?: unknown;
  redirectStatus?: unknown;
  tags?: unknown;
}

const MAX_CLICKS_LIMIT = 2 ** 31 - 1;

function invalid(message: string): LinkPulseError {
  return new LinkPulseError('invalid_body', message);
}

// Epoch milliseconds of an expiry as given; NaN when it is none.
function expiryTime(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return parseDateTime(value);
  return typeof value === 'number' ? value : Number.NaN;
}

function parseExpiry(value: unknown, now: number): Date | null {
  if (value === null) return null;
  const date = new Date(expiryTime(value));
  if (Number.isNaN(date.getTime())) {
    throw invalid(
      'expiresAt must be an ISO-8601 date-time such as 2030-01-31T12:00:00Z, a Date or epoch milliseconds',
    );
  }
  if (date.getTime() <= now) throw invalid('expiresAt must be in the future');
  return date;
}

function parseMaxClicks(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid('maxClicks must be a positive integer or null');
  }
  if (value > MAX_CLICKS_LIMIT) throw invalid(`maxClicks must be at most ${MAX_CLICKS_LIMIT}`);
  return value;
}

function parseRedirectStatus(value: unknown): RedirectStatus {
  if (!REDIRECT_STATUSES.includes(value as RedirectStatus)) {
    throw invalid(`redirectStatus must be one of ${REDIRECT_STATUSES.join(', ')}`);
  }
  return value as RedirectStatus;
}

function parseTags(value: unknown, policy: LinkInputPolicy): string[] {
  const maxTags = policy.maxTags ?? 20;
  const maxLength = policy.maxTagLength ?? 64;
  if (!Array.isArray(value) || value.length > maxTags) {
    throw invalid(`tags must be an array of at most ${maxTags} strings`);
  }
  for (const tag of value) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > maxLength) {
      throw invalid(`each tag must be a string of 1 to ${maxLength} characters`);
    }
  }
  return [...value];
}

/**
 * Validates the settable fields of a link (create or update) and returns them as a
 * {@link LinkPatch}: only the fields present in `input` appear in the result. Throws
 * `invalid_url` for a bad target and `invalid_body` for any other bad field.
 */
export function parseLinkFields(
  input: LinkFieldsInput,
  policy: LinkInputPolicy,
  now: number,
): LinkPatch {
  const patch: LinkPatch = {};
  if (input.url !== undefined) {
    if (typeof input.url !== 'string')
      throw new LinkPulseError('invalid_url', 'url must be a string');
    patch.url = validateUrl(input.url, policy.url);
  }
  if (input.expiresAt !== undefined) patch.expiresAt = parseExpiry(input.expiresAt, now);
  if (input.maxClicks !== undefined) patch.maxClicks = parseMaxClicks(input.maxClicks);
  if (input.redirectStatus !== undefined) {
    patch.redirectStatus = parseRedirectStatus(input.redirectStatus);
  }
  if (input.tags !== undefined) patch.tags = parseTags(input.tags, policy);
  return patch;
}
