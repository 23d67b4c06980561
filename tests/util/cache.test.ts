import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedCache, entryTtl } from '../../src/util/cache.js';

// A cache whose fetchMethod returns `value()` fresh for `ttl()` ms and counts its calls.
function counting<V extends NonNullable<unknown>>(
  now: () => number,
  max: number,
  value: (key: string) => V,
  ttl = () => 1000,
) {
  const calls = { n: 0 };
  const cache = boundedCache<string, V>(now, {
    max,
    fetchMethod: async (key, _stale, { options }) => {
      calls.n++;
      await new Promise((r) => setTimeout(r, 5));
      options.ttl = entryTtl(ttl());
      return value(key);
    },
  });
  return { cache, calls };
}

describe('boundedCache', () => {
  it('coalesces concurrent misses for one key into one fetch', async () => {
    const { cache, calls } = counting(Date.now, 10, () => 42);
    const values = await Promise.all(Array.from({ length: 10 }, () => cache.forceFetch('k')));
    assert.deepEqual(new Set(values), new Set([42]));
    assert.equal(calls.n, 1);
    await cache.forceFetch('k');
    assert.equal(calls.n, 1);
  });

  it('serves an entry for its TTL, then fetches again (a clock starting at 0 included)', async () => {
    const clock = { t: 0 };
    let n = 0;
    const { cache } = counting(
      () => clock.t,
      10,
      () => `v${++n}`,
      () => 100,
    );
    assert.equal(await cache.forceFetch('k'), 'v1');
    clock.t = 100;
    assert.equal(await cache.forceFetch('k'), 'v1');
    clock.t = 101;
    assert.equal(await cache.forceFetch('k'), 'v2');
  });

  it('is bounded and evicts the least recently used', async () => {
    let suffix = '';
    const { cache } = counting(Date.now, 2, (key) => `${key}${suffix}`);
    await cache.forceFetch('a');
    await cache.forceFetch('b');
    await cache.forceFetch('a'); // touch a
    await cache.forceFetch('c'); // evicts b
    assert.equal(cache.size, 2);
    suffix = '2';
    assert.equal(await cache.forceFetch('a'), 'a');
    assert.equal(await cache.forceFetch('b'), 'b2');
  });

  it('does not cache failures, and shares one failure among concurrent callers', async () => {
    let fail = true;
    const { cache, calls } = counting(Date.now, 2, () => {
      if (fail) throw new Error('boom');
      return 'ok';
    });
    const results = await Promise.allSettled([cache.forceFetch('k'), cache.forceFetch('k')]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(calls.n, 1);
    fail = false;
    assert.equal(await cache.forceFetch('k'), 'ok');
  });

  it('serves a value with no freshness left once only', async () => {
    const clock = { t: 1000 };
    let n = 0;
    const { cache, calls } = counting(
      () => clock.t,
      2,
      () => `v${++n}`,
      () => 0,
    );
    assert.equal(await cache.forceFetch('k'), 'v1');
    assert.equal(await cache.forceFetch('k'), 'v2');
    assert.equal(calls.n, 2);
  });

  it('a delete during a fetch does not fail the callers waiting on it', async () => {
    const { cache, calls } = counting(Date.now, 2, () => 'v');
    const pending = cache.forceFetch('k');
    cache.delete('k');
    assert.equal(await pending, 'v');
    await cache.forceFetch('k');
    assert.equal(calls.n, 2);
  });
});

describe('entryTtl', () => {
  it('keeps a positive TTL', () => {
    assert.equal(entryTtl(5), 5);
  });

  it('turns no freshness into a stale entry, not a TTL of 0 (forever)', () => {
    assert.ok(entryTtl(0) < 0);
    assert.ok(entryTtl(-30) < 0);
  });
});
