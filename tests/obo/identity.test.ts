// The server's own identity: managed identity in Azure (against the emulator's endpoint), the developer's
// Azure CLI / azd sign-in elsewhere, and never anything else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import {
  managedIdentityCredential,
  runsWithManagedIdentity,
  serverIdentity,
} from '../../src/obo/identity.js';
import { TOKEN_EXCHANGE_SCOPE } from '../../src/obo/mi-assertion-source.js';
import { rejection, useEmulatedIdentity } from '../helpers/identity-env.js';

describe('runsWithManagedIdentity', () => {
  const cases: [string, NodeJS.ProcessEnv, boolean][] = [
    [
      'IDENTITY_ENDPOINT (App Service, Functions)',
      { IDENTITY_ENDPOINT: 'http://localhost:8081/msi/token' },
      true,
    ],
    ['MSI_ENDPOINT (older App Service)', { MSI_ENDPOINT: 'http://localhost:8081/msi/token' }, true],
    ['neither', {}, false],
    ['an empty IDENTITY_ENDPOINT', { IDENTITY_ENDPOINT: '' }, false],
  ];
  for (const [what, env, expected] of cases) {
    it(`${expected ? 'true' : 'false'} with ${what}`, () => {
      assert.equal(runsWithManagedIdentity(env), expected);
    });
  }
});

describe('managedIdentityCredential against the emulated endpoint', () => {
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

  it('a user-assigned identity gets a token for the requested audience', async () => {
    const credential = managedIdentityCredential(emulator.managedIdentity.clientId);
    const token = await credential.getToken(TOKEN_EXCHANGE_SCOPE);
    assert.ok(token);
    assert.equal(decodeJwt(token.token).aud, 'api://AzureADTokenExchange');
  });

  it('a user-assigned identity that is not assigned to the app fails', async () => {
    const credential = managedIdentityCredential('00000000-0000-4000-8000-00000000dead');
    assert.ok((await rejection(credential.getToken(TOKEN_EXCHANGE_SCOPE))) instanceof Error);
  });

  it('the system-assigned identity is used without a client id', async () => {
    const token = await managedIdentityCredential(undefined).getToken(TOKEN_EXCHANGE_SCOPE);
    assert.ok(token);
    assert.equal(decodeJwt(token.token).aud, 'api://AzureADTokenExchange');
  });

  it('serverIdentity is the managed identity where one is configured', async () => {
    const identity = serverIdentity(emulator.managedIdentity.clientId, {
      IDENTITY_ENDPOINT: emulator.identityEndpoint,
    });
    const token = await identity.getToken('https://vault.azure.net/.default');
    assert.ok(token);
    assert.equal(decodeJwt(token.token).aud, 'https://vault.azure.net');
  });
});

describe('serverIdentity without a managed identity', () => {
  it('tries only the Azure CLI and azd sign-ins, never environment credentials', async () => {
    const names = ['PATH', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'] as const;
    const saved = names.map((name) => [name, process.env[name]] as const);
    // No az/azd on PATH: the chain must fail, even with environment credentials that would otherwise be tried.
    Object.assign(process.env, {
      PATH: '',
      AZURE_TENANT_ID: '11111111-2222-3333-4444-555555555555',
      AZURE_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      AZURE_CLIENT_SECRET: 'not-used',
    });
    try {
      const error = await rejection(
        serverIdentity(undefined, {}).getToken('https://vault.azure.net/.default'),
      );
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'AggregateAuthenticationError');
      const messages = (error as Error & { errors: Error[] }).errors.map((e) => e.message);
      assert.equal(messages.length, 2, messages.join('\n'));
      assert.match(messages[0] ?? '', /Azure CLI could not be found/);
      assert.match(messages[1] ?? '', /Azure Developer CLI couldn't be found/);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
