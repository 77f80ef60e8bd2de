import type { Utm } from './click-event.js';

/** Longest UTM value kept; longer ones are truncated. */
export const MAX_UTM_LENGTH = 200;

const UTM_KEYS: ReadonlyMap<string, keyof Utm> = new Map([
  ['utm_source', 'source'],
  ['utm_medium', 'medium'],
  ['utm_campaign', 'campaign'],
  ['utm_term', 'term'],
  ['utm_content', 'content'],
]);

/**
 * The UTM parameters (`utm_source`, `utm_medium`, `utm_campaign`, `utm_term`,
 * `utm_content`) of a raw query string (without `?`), each percent-decoded and cut to
 * {@link MAX_UTM_LENGTH} characters. The first occurrence of a parameter wins; empty values
 * are ignored. `null` when there are none.
 */
export function parseUtm(query: string | undefined): Utm | null {
  if (typeof query !== 'string' || !query.includes('utm_')) return null;
  let utm: Utm | null = null;
  for (const [name, value] of new URLSearchParams(query)) {
    const key = UTM_KEYS.get(name);
    if (key === undefined || value === '') continue;
    utm ??= {};
    utm[key] ??= value.slice(0, MAX_UTM_LENGTH);
  }
  return utm;
}
