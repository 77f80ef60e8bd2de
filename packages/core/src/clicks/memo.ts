/**
 * `compute` remembered per key for the most recent keys: results are kept in a `Map` that
 * is emptied when it holds `maxEntries`. Cheaper per call than an LRU (no recency
 * bookkeeping), for values that repeat across clicks (a client's network, a campaign's
 * query string). Results are shared between callers, so they must not be mutated.
 */
export function memoize<K, V>(compute: (key: K) => V, maxEntries: number): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined && !cache.has(key)) {
      value = compute(key);
      if (cache.size >= maxEntries) cache.clear();
      cache.set(key, value);
    }
    return value as V;
  };
}
