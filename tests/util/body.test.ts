import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAtMost } from '../../src/util/body.js';

function reader(sizes: number[]) {
  const seen = { cancelled: false };
  let i = 0;
  return {
    seen,
    read: () =>
      Promise.resolve<ReadableStreamReadResult<Uint8Array>>(
        i < sizes.length
          ? { done: false, value: new Uint8Array(sizes[i++]!) }
          : { done: true, value: undefined },
      ),
    cancel: () => {
      seen.cancelled = true;
      return Promise.resolve();
    },
  };
}

describe('readAtMost', () => {
  it('hands on every chunk of a body within the limit', async () => {
    const r = reader([3, 4]);
    const kept: number[] = [];
    assert.equal(await readAtMost(r, 7, (c) => kept.push(c.byteLength)), true);
    assert.deepEqual(kept, [3, 4]);
    assert.equal(r.seen.cancelled, false);
  });

  it('cancels at the first chunk past the limit and keeps nothing of it', async () => {
    const r = reader([3, 4, 5]);
    const kept: number[] = [];
    assert.equal(await readAtMost(r, 6, (c) => kept.push(c.byteLength)), false);
    assert.deepEqual(kept, [3]);
    assert.equal(r.seen.cancelled, true);
  });

  it('reads an empty body', async () => {
    assert.equal(await readAtMost(reader([]), 0), true);
  });
});
