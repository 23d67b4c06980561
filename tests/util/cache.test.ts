import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescingCache } from '../../src/util/cache.js';

describe('CoalescingCache', () => {
  it('coalesces concurrent misses for one key into one load', async () => {
    const cache = new CoalescingCache<number>({ maxEntries: 10 });
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      return { value: 42, ttlMs: 1000 };
    };
    const values = await Promise.all(Array.from({ length: 10 }, () => cache.get('k', load)));
    assert.deepEqual(new Set(values), new Set([42]));
    assert.equal(loads, 1);
    await cache.get('k', load);
    assert.equal(loads, 1);
  });

  it('expires entries after their TTL', async () => {
    let now = 0;
    const cache = new CoalescingCache<string>({ maxEntries: 10, now: () => now });
    let loads = 0;
    const load = () => Promise.resolve({ value: `v${++loads}`, ttlMs: 100 });
    assert.equal(await cache.get('k', load), 'v1');
    now = 99;
    assert.equal(await cache.get('k', load), 'v1');
    now = 100;
    assert.equal(await cache.get('k', load), 'v2');
  });

  it('is bounded and evicts the least recently used', async () => {
    const cache = new CoalescingCache<string>({ maxEntries: 2 });
    const load = (v: string) => () => Promise.resolve({ value: v, ttlMs: 10_000 });
    await cache.get('a', load('a'));
    await cache.get('b', load('b'));
    await cache.get('a', load('x')); // touch a
    await cache.get('c', load('c')); // evicts b
    assert.equal(cache.size, 2);
    assert.equal(await cache.get('a', load('new')), 'a');
    assert.equal(await cache.get('b', load('b2')), 'b2');
  });

  it('does not cache failures, and shares one failure among concurrent callers', async () => {
    const cache = new CoalescingCache<string>({ maxEntries: 2 });
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('boom'));
    };
    const results = await Promise.allSettled([cache.get('k', failing), cache.get('k', failing)]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(calls, 1);
    assert.equal(await cache.get('k', () => Promise.resolve({ value: 'ok', ttlMs: 10 })), 'ok');
  });

  it('does not store values with a non-positive TTL', async () => {
    const cache = new CoalescingCache<string>({ maxEntries: 2 });
    await cache.get('k', () => Promise.resolve({ value: 'v', ttlMs: 0 }));
    assert.equal(cache.size, 0);
  });
});
