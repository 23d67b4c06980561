import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { TimeoutError } from '../../src/errors.js';
import { PrimedCredential } from '../../src/obo/primed-credential.js';

const NOW = 1_000_000;
const SCOPE = 'https://vault.azure.net/.default';

/** An identity that records its calls and answers each with a token numbered by call, after `delayMs`. */
function identity(opts: { delayMs?: number; fail?: boolean; lifetimeMs?: number; hang?: boolean } = {}) {
  const calls: { scopes: string | string[]; options: GetTokenOptions | undefined }[] = [];
  const credential: TokenCredential = {
    getToken: async (scopes, options) => {
      calls.push({ scopes, options });
      const n = calls.length;
      if (opts.hang) await new Promise(() => undefined);
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
      if (opts.fail) throw new Error('identity endpoint unavailable');
      return {
        token: `t${n}`,
        expiresOnTimestamp: NOW + (opts.lifetimeMs ?? 3_600_000),
      } satisfies AccessToken;
    },
  };
  return { credential, calls };
}

describe('PrimedCredential', () => {
  it('hands the primed token to the first request for its scope, with no second request', async () => {
    const id = identity({ delayMs: 20 });
    const c = new PrimedCredential(id.credential, 1000, () => NOW);
    c.prime(SCOPE, { enableCae: true });
    // Asked while the primed request is still in flight: it waits for it instead of asking again.
    const token = await c.getToken([SCOPE], { enableCae: true, tenantId: 'tenant' });
    assert.equal(token?.token, 't1');
    assert.equal(id.calls.length, 1);
    assert.equal(id.calls[0]!.options?.enableCae, true);
  });

  it('hands it out once; later requests go to the identity', async () => {
    const id = identity();
    const c = new PrimedCredential(id.credential, 1000, () => NOW);
    c.prime(SCOPE);
    assert.equal((await c.getToken(SCOPE))?.token, 't1');
    assert.equal((await c.getToken(SCOPE))?.token, 't2');
    assert.equal(id.calls.length, 2);
  });

  it('serves only a first request for exactly its scope, without claims', async () => {
    for (const [scopes, options] of [
      ['https://storage.azure.com/.default', undefined],
      [[SCOPE, 'other'], undefined],
      [SCOPE, { claims: '{"access_token":{}}' }],
    ] as const) {
      const id = identity();
      const c = new PrimedCredential(id.credential, 1000, () => NOW);
      c.prime(SCOPE);
      assert.equal((await c.getToken(scopes as string | string[], options))?.token, 't2', 'asked anew');
      assert.equal((await c.getToken(SCOPE))?.token, 't3', 'the prime is gone after the first request');
    }
  });

  it('a failed primed request becomes a fresh request, not an error', async () => {
    const failing = identity({ fail: true });
    const c = new PrimedCredential(failing.credential, 1000, () => NOW);
    c.prime(SCOPE);
    await assert.rejects(c.getToken(SCOPE), /identity endpoint unavailable/);
    assert.equal(failing.calls.length, 2, 'the primed request, then the consumer’s own');
  });

  it('a primed token close to expiry is not handed out', async () => {
    const id = identity({ lifetimeMs: 90_000 }); // under the 2 min renewal margin
    const c = new PrimedCredential(id.credential, 1000, () => NOW);
    c.prime(SCOPE);
    await c.getToken(SCOPE);
    assert.equal(id.calls.length, 2);
  });

  it('the primed request has a time budget', async () => {
    const id = identity({ hang: true });
    const c = new PrimedCredential(id.credential, 30, () => NOW);
    c.prime(SCOPE);
    const signal = id.calls[0]!.options?.abortSignal as AbortSignal | undefined;
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(signal?.aborted);
    assert.ok(signal.reason instanceof TimeoutError);
  });

  it('without a prime it is the identity', async () => {
    const id = identity();
    const c = new PrimedCredential(id.credential, 1000, () => NOW);
    assert.equal((await c.getToken(SCOPE))?.token, 't1');
    assert.equal(id.calls.length, 1);
  });
});
