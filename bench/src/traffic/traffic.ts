import { USER_AGENTS } from './user-agents.js';

/** Short codes the servers know and the load generator rotates through. */
export const CODE_COUNT = 1_000;

/**
 * Referers of short-link clicks, weighted by repetition: direct visits (no referer) are
 * the most common, then social networks, search, mail and chat apps.
 */
export const REFERERS: readonly (string | undefined)[] = [
  undefined,
  undefined,
  undefined,
  undefined,
  'https://t.co/',
  'https://www.facebook.com/',
  'https://l.facebook.com/',
  'https://www.linkedin.com/feed/',
  'https://www.google.com/',
  'https://www.reddit.com/r/programming/comments/1dq2x9/',
  'https://news.ycombinator.com/item?id=40000000',
  'https://mail.google.com/',
  'android-app://com.google.android.gm/',
  'https://app.slack.com/client/T024BE7LD/C024BE7LH',
  'https://duckduckgo.com/',
  'https://www.bing.com/search?q=short+links',
  'https://lm.facebook.com/',
  'https://www.instagram.com/',
  'https://discord.com/channels/@me',
  'https://web.whatsapp.com/',
  'https://outlook.live.com/',
  'https://github.com/linkpulse/linkpulse/issues/6',
  'https://www.youtube.com/',
];

/** UTM query strings; most short URLs carry none. */
const QUERIES: readonly string[] = [
  '',
  '',
  '',
  '',
  '',
  '?utm_source=newsletter&utm_medium=email&utm_campaign=launch',
  '?utm_source=twitter&utm_medium=social',
  '?ref=home',
];

/** Deterministic PRNG (mulberry32), so every process derives the same traffic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A short link the servers hold: its code and target. */
export interface BenchLink {
  code: string;
  url: string;
}

/** The {@link CODE_COUNT} links, 7-character base62 codes as the shortener generates them. */
export function benchLinks(): BenchLink[] {
  const random = seededRandom(1);
  const links: BenchLink[] = [];
  const seen = new Set<string>();
  while (links.length < CODE_COUNT) {
    let code = '';
    for (let i = 0; i < 7; i++) code += pick(random, [...BASE62]);
    if (seen.has(code)) continue;
    seen.add(code);
    links.push({ code, url: `https://example.com/articles/${links.length}?from=short-link` });
  }
  return links;
}

/** One request of the rotating mix. */
export interface BenchRequest {
  method: 'GET';
  path: string;
  headers: Record<string, string>;
}

/**
 * `count` requests over the links in random order, each with a user agent from
 * {@link USER_AGENTS}, usually a referer and sometimes UTM parameters.
 */
export function benchRequests(count = CODE_COUNT): BenchRequest[] {
  const random = seededRandom(2);
  const links = benchLinks();
  const requests: BenchRequest[] = [];
  for (let i = 0; i < count; i++) {
    const headers: Record<string, string> = { 'user-agent': pick(random, USER_AGENTS) };
    const referer = pick(random, REFERERS);
    if (referer !== undefined) headers.referer = referer;
    const link = links[i < links.length ? i : Math.floor(random() * links.length)]!;
    requests.push({ method: 'GET', path: `/${link.code}${pick(random, QUERIES)}`, headers });
  }
  // Shuffle, so that consecutive requests hit unrelated codes.
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [requests[i], requests[j]] = [requests[j]!, requests[i]!];
  }
  return requests;
}
