/** One cached value and when it stops being fresh (epoch ms). */
interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A bounded TTL cache whose concurrent misses for one key share a single load (no thundering herd).
 * Least recently used entries are evicted past `maxEntries`; failed loads are not cached.
 */
export class CoalescingCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #inflight = new Map<string, Promise<V>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries: number; now?: () => number }) {
    if (options.maxEntries < 1) throw new RangeError('maxEntries must be at least 1');
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Number of fresh-or-stale entries held (never above maxEntries). */
  get size(): number {
    return this.#entries.size;
  }

  /** Returns the fresh value for `key`, or runs `load` once for all concurrent callers. */
  async get(key: string, load: () => Promise<{ value: V; ttlMs: number }>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > this.#now()) {
      // Re-insert to mark as most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value;
    }
    const pending = this.#inflight.get(key);
    if (pending) return pending;

    const promise = (async () => {
      try {
        const { value, ttlMs } = await load();
        if (ttlMs > 0) this.#store(key, { value, expiresAt: this.#now() + ttlMs });
        return value;
      } finally {
        this.#inflight.delete(key);
      }
    })();
    this.#inflight.set(key, promise);
    return promise;
  }

  /** Drops `key`, so the next get loads again. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  #store(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
