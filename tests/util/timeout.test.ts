import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeoutError } from '../../src/errors.js';
import { withTimeout } from '../../src/util/timeout.js';

describe('withTimeout', () => {
  it('returns what the work returns in time', async () => {
    assert.equal(await withTimeout('fast', 1000, () => Promise.resolve(42)), 42);
  });

  it('rejects with a TimeoutError naming the call, and aborts the work', async (t) => {
    // withTimeout's timer does not hold the process open; this one does, for the test's sake.
    const alive = setInterval(() => undefined, 1000);
    t.after(() => clearInterval(alive));
    let signal: AbortSignal | undefined;
    const hung = withTimeout('Upstream X', 20, (s) => {
      signal = s;
      return new Promise<never>(() => undefined);
    });
    await assert.rejects(hung, (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.code, 'timeout');
      assert.equal(error.message, 'Upstream X did not answer within 20 ms');
      return true;
    });
    assert.equal(signal?.aborted, true);
    assert.ok(signal?.reason instanceof TimeoutError);
  });

  it("passes the work's own failure through", async () => {
    await assert.rejects(
      withTimeout('failing', 1000, () => Promise.reject(new RangeError('own'))),
      RangeError,
    );
  });
});
