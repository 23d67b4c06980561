import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientCredentialSource } from '../../src/obo/credential-source.js';
import { SecretCredentialSource } from '../../src/obo/secret-source.js';
import { fingerprint } from '../../src/util/log.js';

const SECRET = 'abc8Q~Zx9yW7vU5tS3rQ1pO-nM_lK.jI0hG';

describe('SecretCredentialSource', () => {
  it('hands MSAL the secret from the setting', async () => {
    const { credential } = await new SecretCredentialSource(SECRET).get();
    assert.deepEqual(credential, { clientSecret: SECRET });
  });

  it('keys the credential by a fingerprint, never by the secret', async () => {
    const { key } = await new SecretCredentialSource(SECRET).get();
    assert.equal(key, `secret:${fingerprint(SECRET)}`);
    assert.ok(!key.includes(SECRET));
  });

  it('gives different secrets different keys', async () => {
    const a = await new SecretCredentialSource(SECRET).get();
    const b = await new SecretCredentialSource(`${SECRET}x`).get();
    assert.notEqual(a.key, b.key);
  });

  it('refuses to retry after a rejection: the setting cannot change', async () => {
    const source: ClientCredentialSource = new SecretCredentialSource(SECRET);
    assert.equal(source.invalidate((await source.get()).key), false);
  });
});
