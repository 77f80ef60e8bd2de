import { LinkPulseError } from '../errors.js';

/** Longest code the redirect path accepts ({@link isWellFormedCode}); aliases cannot exceed it. */
export const MAX_CODE_LENGTH = 64;

/**
 * Words a custom alias may not take because they name routes of the app or of the
 * LinkPulse adapters, or files browsers and crawlers ask for. Compared case-insensitively.
 */
export const DEFAULT_RESERVED_WORDS: readonly string[] = Object.freeze([
  'admin',
  'api',
  'assets',
  'dashboard',
  'docs',
  'favicon',
  'health',
  'healthz',
  'livez',
  'login',
  'logout',
  'metrics',
  'openapi',
  'readyz',
  'robots',
  'signin',
  'signup',
  'sitemap',
  'static',
  'stats',
  'well-known',
  'www',
]);

/** Rules for custom aliases, see {@link validateAlias}. */
export interface AliasPolicy {
  /**
   * Words that may not be used, compared case-insensitively; replaces
   * {@link DEFAULT_RESERVED_WORDS}. Read once per list object, so build a new list
   * rather than changing one in place.
   */
  reserved?: Iterable<string>;
  /** Store aliases lower-cased, so `MyLink` and `mylink` are the same alias. Default `false`. */
  caseInsensitive?: boolean;
  /** Shortest alias. Default 3. */
  minLength?: number;
  /** Longest alias, at most {@link MAX_CODE_LENGTH}. Default 64. */
  maxLength?: number;
}

const CODE_PATTERN = /^[A-Za-z0-9_-]+$/;

const lowerCased = (words: Iterable<string>): ReadonlySet<string> =>
  new Set(Array.from(words, (word) => word.toLowerCase()));

const DEFAULT_RESERVED_SET = lowerCased(DEFAULT_RESERVED_WORDS);
// Lower-cased copies of custom reserved lists, built once per list object.
const reservedSets = new WeakMap<Iterable<string>, ReadonlySet<string>>();

function reservedSet(words: Iterable<string> | undefined): ReadonlySet<string> {
  if (words === undefined) return DEFAULT_RESERVED_SET;
  let set = reservedSets.get(words);
  if (set === undefined) {
    set = lowerCased(words);
    reservedSets.set(words, set);
  }
  return set;
}

/**
 * Checks a custom alias: characters `A-Z a-z 0-9 _ -`, length within the policy, not a
 * reserved word. Returns the alias to store (lower-cased when the policy is
 * case-insensitive).
 *
 * @throws LinkPulseError `invalid_code` when the alias is refused.
 * @throws RangeError when the policy's lengths are impossible.
 */
export function validateAlias(code: string, policy: AliasPolicy = {}): string {
  const minLength = policy.minLength ?? 3;
  const maxLength = policy.maxLength ?? MAX_CODE_LENGTH;
  if (!Number.isInteger(minLength) || minLength < 1 || maxLength > MAX_CODE_LENGTH) {
    throw new RangeError(`alias lengths must lie within 1..${MAX_CODE_LENGTH}`);
  }
  if (typeof code !== 'string' || code.length < minLength || code.length > maxLength) {
    throw new LinkPulseError(
      'invalid_code',
      `alias must be ${minLength} to ${maxLength} characters long`,
    );
  }
  if (!CODE_PATTERN.test(code)) {
    throw new LinkPulseError('invalid_code', 'alias may contain only A-Z, a-z, 0-9, _ and -');
  }
  if (isReservedCode(code, policy)) {
    throw new LinkPulseError('invalid_code', `alias "${code}" is reserved`);
  }
  return policy.caseInsensitive ? code.toLowerCase() : code;
}

/**
 * Whether `code` is one of the policy's reserved words (compared case-insensitively).
 * The shortener also skips generated codes that happen to be reserved.
 */
export function isReservedCode(code: string, policy: AliasPolicy = {}): boolean {
  return reservedSet(policy.reserved).has(code.toLowerCase());
}

/**
 * Whether `code` could name a link at all (`A-Z a-z 0-9 _ -`, 1 to {@link MAX_CODE_LENGTH}
 * characters). The redirect path answers `not_found` for anything else without asking
 * the store, so `..`, `/`, unicode and over-long paths never reach it.
 */
export function isWellFormedCode(code: string): boolean {
  return (
    typeof code === 'string' &&
    code.length > 0 &&
    code.length <= MAX_CODE_LENGTH &&
    CODE_PATTERN.test(code)
  );
}
