const UPPER_CASE = /[A-Z]/;

/**
 * The code to try when `code` names no link: under a case-insensitive alias policy,
 * `code` lower-cased (aliases are stored that way, see `validateAlias`); `null` when
 * there is nothing else to try (case-sensitive, or no upper-case letter). Generated codes
 * keep their mixed case, so every lookup tries the exact code first; the resolver (for
 * redirects) and the shortener's `get`, `update`, `delete` and `stats` all find a link
 * through this one rule.
 */
export function caseFallback(code: string, caseInsensitive: boolean): string | null {
  return caseInsensitive && UPPER_CASE.test(code) ? code.toLowerCase() : null;
}
