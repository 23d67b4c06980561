import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvocationContext } from '@azure/functions';
import { ConfigError, OboError } from '../../src/errors.js';
import { drainOnCancel, internalError, toCookies, toResponseInit } from '../../src/functions/adapter.js';

/** A source of `chunks` chunks of `size` bytes that records whether it was cancelled and how much was read. */
function source(chunks: number, size: number) {
  const seen = { read: 0, cancelled: false };
  let left = chunks;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (left-- <= 0) return controller.close();
        seen.read += size;
        controller.enqueue(new Uint8Array(size));
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
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

  it('leaves an unread source untouched, also when cancelled', async () => {
    const { stream, seen } = source(10, 100);
    await drainOnCancel(stream).cancel();
    await settle();
    assert.equal(seen.read, 0);
    assert.equal(seen.cancelled, false);
    assert.equal(stream.locked, false);
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

describe('internalError', () => {
  function run(error: unknown) {
    const logged: string[] = [];
    const context = {
      invocationId: 'inv-1',
      error: (m: string) => logged.push(m),
    } as unknown as InvocationContext;
    const answer = internalError(context, error);
    return { answer, body: answer.jsonBody as { error: string; error_description: string }, logged };
  }

  it('a ConfigError: 500 server_misconfigured, the setting named in the log only', () => {
    const { answer, body, logged } = run(new ConfigError('Missing required setting ENTRA_TENANT_ID.'));
    assert.equal(answer.status, 500);
    assert.equal(body.error, 'server_misconfigured');
    assert.ok(!body.error_description.includes('ENTRA_TENANT_ID'));
    assert.match(logged.join('\n'), /ENTRA_TENANT_ID.*invocation inv-1/);
  });

  it('anything else: 500 internal_error, only the error class logged', () => {
    const { body, logged } = run(new OboError('obo_failed', 'detail that stays out of the log'));
    assert.equal(body.error, 'internal_error');
    assert.match(body.error_description, /quote invocation inv-1/);
    assert.ok(!logged.join('\n').includes('detail'));
    assert.match(logged.join('\n'), /OboError/);
  });
});

describe('toResponseInit and toCookies', () => {
  it('passes status, headers and body on; several Set-Cookie headers become cookies, all of them', async () => {
    const headers = new Headers({ 'Content-Type': 'text/html', Location: '/next' });
    headers.append('Set-Cookie', 'state=abc123; Path=/oauth; HttpOnly; Secure; SameSite=Lax; Max-Age=600');
    headers.append('Set-Cookie', 'pkce=v%20w; Domain=example.com; Expires=Wed, 02 Dec 2026 10:00:00 GMT');
    const init = await toResponseInit(new Response('<p>hi</p>', { status: 302, headers }));
    assert.equal(init.status, 302);
    assert.deepEqual(init.headers, { 'content-type': 'text/html', location: '/next' });
    assert.equal(Buffer.from(init.body as Uint8Array).toString(), '<p>hi</p>');
    assert.deepEqual(init.cookies, [
      {
        name: 'state',
        value: 'abc123',
        path: '/oauth',
        maxAge: 600,
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
      },
      { name: 'pkce', value: 'v w', domain: 'example.com', expires: new Date('2026-12-02T10:00:00Z') },
    ]);
  });

  it('no Set-Cookie: no cookies', async () => {
    const init = await toResponseInit(new Response(null, { status: 204 }));
    assert.equal(init.cookies, undefined);
  });

  it('refuses a cookie the worker would change: a value it re-encodes, Partitioned, an unknown SameSite', () => {
    for (const header of ['a=b=c', 'a=x+y', 'a=1; Partitioned', 'a=1; SameSite=Sometimes']) {
      assert.throws(
        () => toCookies([header]),
        /Set-Cookie a: the Functions worker cannot pass this cookie/,
        header,
      );
    }
    assert.doesNotThrow(() => toCookies(['a=AZaz09-_.!~*()']));
  });
});
