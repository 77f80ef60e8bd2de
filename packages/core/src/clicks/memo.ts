/**
 * `compute` remembered per key for the most recent keys: results are kept in a `Map` that
 * is emptied when it holds `maxEntries`. Cheaper per call than an LRU (no recency
 * bookkeeping), for values that repeat across clicks (a client's network, a campaign's
 * query string). Results are shared between callers, so they must not be mutated; they
 * are never `undefined`, so that one lookup tells a miss.
 */
export function memoize<K, V extends NonNullable<unknown> | null>(
  compute: (key: K) => V,
  maxEntries: number,
): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      if (cache.size >= maxEntries) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

/** Strings kept per fingerprint by {@link interner}; a value of a full bucket is not kept. */
const BUCKET_SIZE = 8;

/** A cheap fingerprint of `value`: its length and four of its characters, mixed. */
function fingerprint(value: string): number {
  const n = value.length;
  return (
    (Math.imul(n, 0x9e3779b1) ^
      Math.imul(value.charCodeAt(n >> 1), 0x85ebca6b) ^
      Math.imul(value.charCodeAt(n - 1), 0xc2b2ae35) ^
      (value.charCodeAt(n >> 2) << 7) ^
      (value.charCodeAt((3 * n) >> 2) << 14)) &
    0x3fffffff
  );
}

/**
 * Returns, for a string, the equal string it was given first, among the most recent
 * distinct values (at most `maxEntries`; emptied when full). Values are found by a
 * fingerprint of a few characters and compared whole, so a fresh string (a request header,
 * new for every request) is never hashed: keying a `Map` by it would hash all of it, where
 * the string returned is hashed once, when first used as a key, and later lookups keyed by
 * it compare by identity. At most a few values share a fingerprint; others are returned as
 * they are, which bounds the cost of values made to collide.
 */
export function interner(maxEntries: number): (value: string) => string {
  const buckets = new Map<number, string[]>();
  let size = 0;
  return (value) => {
    const key = fingerprint(value);
    let bucket = buckets.get(key);
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) if (bucket[i] === value) return bucket[i]!;
      if (bucket.length >= BUCKET_SIZE) return value;
    }
    if (size >= maxEntries) {
      buckets.clear();
      size = 0;
      bucket = undefined;
    }
    if (bucket === undefined) buckets.set(key, [value]);
    else bucket.push(value);
    size++;
    return value;
  };
}
