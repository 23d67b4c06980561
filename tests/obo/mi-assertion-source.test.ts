import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { CredentialError, TimeoutError } from '../../src/errors.js';
import type { CurrentCredential } from '../../src/obo/credential-source.js';
import { ManagedIdentityAssertionSource, TOKEN_EXCHANGE_SCOPE } from '../../src/obo/mi-assertion-source.js';
import { rejection } from '../helpers/identity-env.js';

/** A fake managed identity: each getToken call is recorded and answered by `answer`. */
function identity(answer: (options?: GetTokenOptions) => Promise<AccessToken | null>) {
  const calls: { scopes: string | string[]; options: GetTokenOptions | undefined }[] = [];
  const credential: TokenCredential = {
    getToken: (scopes, options) => {
      calls.push({ scopes, options });
      return answer(options);
    },
  };
  return { credential, calls };
}

const token = (value: string): AccessToken => ({ token: value, expiresOnTimestamp: Date.now() + 3600_000 });

async function assertion(source: ManagedIdentityAssertionSource): Promise<string> {
  const { credential }: CurrentCredential = await source.get();
  assert.ok('clientAssertion' in credential, 'a client assertion callback');
  return credential.clientAssertion({ clientId: 'c', tokenEndpoint: 'https://example/token' });
}

describe('ManagedIdentityAssertionSource', () => {
  it('asks the managed identity for a token exchange assertion', async () => {
    const mi = identity(() => Promise.resolve(token('mi-assertion')));
    assert.equal(await assertion(new ManagedIdentityAssertionSource(mi.credential, 1000)), 'mi-assertion');
    assert.equal(mi.calls[0]?.scopes, TOKEN_EXCHANGE_SCOPE);
    assert.equal(TOKEN_EXCHANGE_SCOPE, 'api://AzureADTokenExchange/.default');
  });

  it('passes an abort signal, so a hung endpoint is abandoned', async () => {
    const mi = identity(() => Promise.resolve(token('a')));
    await assertion(new ManagedIdentityAssertionSource(mi.credential, 1000));
    assert.ok(mi.calls[0]?.options?.abortSignal instanceof AbortSignal);
  });

  it('fetches a fresh assertion on every use (@azure/identity caches, not this class)', async () => {
    let n = 0;
    const mi = identity(() => Promise.resolve(token(`a${++n}`)));
    const source = new ManagedIdentityAssertionSource(mi.credential, 1000);
    assert.equal(await assertion(source), 'a1');
    assert.equal(await assertion(source), 'a2');
  });

  it('coalesces concurrent requests into one call to the endpoint', async () => {
    let release: (t: AccessToken) => void = () => undefined;
    const mi = identity(() => new Promise((resolve) => (release = resolve)));
    const source = new ManagedIdentityAssertionSource(mi.credential, 1000);
    const all = Promise.all([source.prefetch(), assertion(source), assertion(source)]);
    release(token('shared'));
    const [, first, second] = await all;
    assert.equal(mi.calls.length, 1);
    assert.deepEqual([first, second], ['shared', 'shared']);
  });

  it('keeps one stable, non-secret key', async () => {
    const mi = identity(() => Promise.resolve(token('a')));
    const source = new ManagedIdentityAssertionSource(mi.credential, 1000);
    assert.equal((await source.get()).key, 'managed-identity');
    assert.equal((await source.get()).key, 'managed-identity');
  });

  it('prefetch fetches one assertion', async () => {
    const mi = identity(() => Promise.resolve(token('a')));
    await new ManagedIdentityAssertionSource(mi.credential, 1000).prefetch();
    assert.equal(mi.calls.length, 1);
  });

  it('refuses to retry after a rejection: nothing is cached to drop', () => {
    const mi = identity(() => Promise.resolve(token('a')));
    assert.equal(new ManagedIdentityAssertionSource(mi.credential, 1000).invalidate(), false);
  });

  it('turns an empty answer into identity_unavailable', async () => {
    const mi = identity(() => Promise.resolve(null));
    const error = await rejection(assertion(new ManagedIdentityAssertionSource(mi.credential, 1000)));
    assert.ok(error instanceof CredentialError);
    assert.equal(error.code, 'identity_unavailable');
  });

  it('turns an identity failure into identity_unavailable, keeping the cause', async () => {
    const cause = Object.assign(new Error('no identity'), { name: 'CredentialUnavailableError' });
    const mi = identity(() => Promise.reject(cause));
    const error = await rejection(assertion(new ManagedIdentityAssertionSource(mi.credential, 1000)));
    assert.ok(error instanceof CredentialError);
    assert.equal(error.code, 'identity_unavailable');
    assert.equal(error.cause, cause);
  });

  it('gives up on a hung endpoint after its time budget, as identity_unavailable', async () => {
    const mi = identity(
      (options) =>
        new Promise((_, reject) => {
          // withTimeout's timer is unref'd: this keeps the test's event loop alive until the abort.
          const alive = setInterval(() => undefined, 1000);
          const signal = options?.abortSignal as AbortSignal | undefined;
          signal?.addEventListener('abort', () => {
            clearInterval(alive);
            // As fetch does: the rejection is the signal's reason.
            reject(signal.reason as Error);
          });
        }),
    );
    const error = await rejection(assertion(new ManagedIdentityAssertionSource(mi.credential, 20)));
    assert.ok(error instanceof CredentialError);
    assert.equal(error.code, 'identity_unavailable');
    assert.ok(error.cause instanceof TimeoutError);
    assert.equal(mi.calls[0]?.options?.abortSignal?.aborted, true);
  });

  it('asks again after a failure instead of caching it', async () => {
    let fail = true;
    const mi = identity(() => (fail ? Promise.reject(new Error('blip')) : Promise.resolve(token('ok'))));
    const source = new ManagedIdentityAssertionSource(mi.credential, 1000);
    await rejection(assertion(source));
    fail = false;
    assert.equal(await assertion(source), 'ok');
  });
});
