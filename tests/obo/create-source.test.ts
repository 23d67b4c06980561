// createCredentialSource: each OBO_CREDENTIAL mode wired to its store (the emulator's vault and identity endpoint).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { loadSettings } from '../../src/config/settings.js';
import { createCredentialSource } from '../../src/obo/create-source.js';
import type { MsalClientCredential } from '../../src/obo/credential-source.js';
import { KeyVaultCredentialSource } from '../../src/obo/keyvault-source.js';
import { ManagedIdentityAssertionSource } from '../../src/obo/mi-assertion-source.js';
import { SecretCredentialSource } from '../../src/obo/secret-source.js';
import type { Logger } from '../../src/util/log.js';
import { useEmulatedIdentity } from '../helpers/identity-env.js';

function recorder(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

function secretOf(credential: MsalClientCredential): string {
  assert.ok('clientSecret' in credential, 'a client secret');
  return credential.clientSecret;
}

let emulator: Emulator;
let restore: () => void;

before(async () => {
  emulator = await startEmulator();
  restore = useEmulatedIdentity(emulator);
});

after(async () => {
  restore();
  await emulator.stop();
});

describe('createCredentialSource', () => {
  it('secret: the setting, with a warning that it is for local development only', async () => {
    const log = recorder();
    const source = createCredentialSource(loadSettings(emulator.env('secret')), log, {});
    assert.ok(source instanceof SecretCredentialSource);
    assert.equal(secretOf((await source.get()).credential), emulator.clientSecret);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0] ?? '', /OBO_CREDENTIAL=secret.*local development only/);
    assert.ok(!log.warnings[0]?.includes(emulator.clientSecret));
  });

  it('keyvault: the secret read from the configured vault with the server identity', async () => {
    const env = emulator.env('keyvault');
    const log = recorder();
    const source = createCredentialSource(loadSettings(env), log, env);
    assert.ok(source instanceof KeyVaultCredentialSource);
    assert.equal(secretOf((await source.get()).credential), emulator.clientSecret);
    assert.deepEqual(log.warnings, []);
  });

  it('managed-identity: a token exchange assertion from the configured identity', async () => {
    const env = emulator.env('managed-identity');
    const log = recorder();
    const source = createCredentialSource(loadSettings(env), log, env);
    assert.ok(source instanceof ManagedIdentityAssertionSource);
    const { credential } = await source.get();
    assert.ok('clientAssertion' in credential, 'a client assertion callback');
    const assertion = await credential.clientAssertion({ clientId: 'c', tokenEndpoint: 'https://x/token' });
    const claims = decodeJwt(assertion);
    assert.equal(claims.aud, 'api://AzureADTokenExchange');
    assert.equal(claims.sub, emulator.managedIdentity.principalId);
    assert.deepEqual(log.warnings, []);
  });
});
