import { LRUCache } from 'lru-cache';

/**
 * An lru-cache on the clock `now`: `fetch` runs `fetchMethod` once for all concurrent misses of a key, `max`
 * bounds it (least recently used out first), and each entry lives for the TTL its `fetchMethod` sets with
 * `options.ttl = entryTtl(ms)`.
 */
export function boundedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>, FC = unknown>(
  now: () => number,
  options: { max: number } & Omit<LRUCache.Options<K, V, FC>, 'perf' | 'ttlResolution' | 'ignoreFetchAbort'>,
): LRUCache<K, V, FC> {
  return new LRUCache<K, V, FC>({
    ...options,
    // lru-cache reads a start time of 0 as "no TTL"; ages are differences, so the offset changes nothing else
    // and a clock starting at 0 (tests) still expires entries.
    perf: { now: () => now() + 1 },
    // Read the clock on every staleness check (the default reuses one reading for 1 ms, blind to fake clocks).
    ttlResolution: 0,
    // `delete` during a fetch must not fail the callers already waiting on it.
    ignoreFetchAbort: true,
  });
}

/** lru-cache reads a TTL of 0 as "forever": a value with no freshness left is stored already stale instead. */
export function entryTtl(ms: number): number {
  return ms > 0 ? ms : -1;
}
