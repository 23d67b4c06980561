import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drainOnCancel } from '../../src/functions/adapter.js';

/** A source of `chunks` chunks of `size` bytes that records whether it was cancelled and how much was read. */
function source(chunks: number, size: number) {
  const seen = { read: 0, cancelled: false };
  let left = chunks;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left-- <= 0) return controller.close();
      seen.read += size;
      controller.enqueue(new Uint8Array(size));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('drainOnCancel', () => {
  it('passes every chunk through', async () => {
    const { stream } = source(3, 10);
    const body = await new Response(drainOnCancel(stream)).arrayBuffer();
    assert.equal(body.byteLength, 30);
  });

  it('drains the rest instead of cancelling the source when the reader stops early', async () => {
    const { stream, seen } = source(10, 100);
    const reader = drainOnCancel(stream, 10_000).getReader();
    await reader.read();
    await reader.cancel();
    await settle();
    assert.equal(seen.read, 1000);
    assert.equal(seen.cancelled, false);
  });

  it('cancels the source once more than the limit would have to be drained', async () => {
    const { stream, seen } = source(100, 100);
    const reader = drainOnCancel(stream, 250).getReader();
    await reader.read();
    await reader.cancel();
    await settle();
    assert.equal(seen.cancelled, true);
    assert.ok(seen.read < 10_000);
  });
});
