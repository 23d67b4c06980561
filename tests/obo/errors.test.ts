import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialError } from '../../src/errors.js';
import { identityError, keyVaultError } from '../../src/obo/errors.js';

const VAULT = 'https://kv-test.vault.azure.net/';
const SECRET = 'obo-client-secret';

const withStatus = (statusCode: number) => Object.assign(new Error('vault said no'), { statusCode });
const named = (name: string) => Object.assign(new Error('identity said no'), { name });

describe('identityError', () => {
  it('is a CredentialError identity_unavailable that says to retry and keeps the cause', () => {
    const cause = new Error('IMDS down');
    const error = identityError(cause);
    assert.ok(error instanceof CredentialError);
    assert.equal(error.code, 'identity_unavailable');
    assert.match(error.message, /retry/);
    assert.equal(error.cause, cause);
  });
});

describe('keyVaultError', () => {
  it('passes a CredentialError through unchanged', () => {
    const original = new CredentialError('keyvault_forbidden', 'm');
    assert.equal(keyVaultError(original, VAULT, SECRET), original);
  });

  for (const name of ['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError']) {
    it(`maps an @azure/identity ${name} to identity_unavailable`, () => {
      assert.equal(keyVaultError(named(name), VAULT, SECRET).code, 'identity_unavailable');
    });
  }

  it('maps 404 to secret_not_found naming the vault, the secret and the setting', () => {
    const error = keyVaultError(withStatus(404), VAULT, SECRET);
    assert.equal(error.code, 'secret_not_found');
    assert.match(error.message, new RegExp(`'${SECRET}'.*${VAULT.replace(/[./]/g, '\\$&')}`));
    assert.match(error.message, /KEY_VAULT_SECRET_NAME/);
  });

  for (const status of [401, 403]) {
    it(`maps ${status} to keyvault_forbidden naming the role to grant`, () => {
      const error = keyVaultError(withStatus(status), VAULT, SECRET);
      assert.equal(error.code, 'keyvault_forbidden');
      assert.match(error.message, /Key Vault Secrets User/);
    });
  }

  for (const [what, error] of [
    ['a 500', withStatus(500)],
    ['a 429', withStatus(429)],
    ['a connection failure', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a non-Error value', 'boom'],
  ] as const) {
    it(`maps ${what} to keyvault_unavailable, which says to retry`, () => {
      const mapped = keyVaultError(error, VAULT, SECRET);
      assert.equal(mapped.code, 'keyvault_unavailable');
      assert.match(mapped.message, /retry/);
      assert.equal(mapped.cause, error);
    });
  }

  it('never carries the cause message into its own message', () => {
    const error = keyVaultError(withStatus(404), VAULT, SECRET);
    assert.ok(!error.message.includes('vault said no'));
  });
});
