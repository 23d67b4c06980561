// @azure/keyvault-secrets with ManagedIdentityCredential (App Service endpoint) against the emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagedIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { staticCredential } from './helpers.js';

let emu: Emulator;
let client: SecretClient;
before(async () => {
  emu = await startEmulator();
  process.env.IDENTITY_ENDPOINT = emu.identityEndpoint;
  process.env.IDENTITY_HEADER = emu.identityHeader;
  const credential = new ManagedIdentityCredential({ clientId: emu.managedIdentity.clientId });
  // The vault is on 127.0.0.1, not *.vault.azure.net, so the challenge's resource cannot match its host.
  client = new SecretClient(emu.keyVaultUrl, credential, { disableChallengeResourceVerification: true });
});
after(async () => {
  await emu.stop();
});

interface RestErrorLike {
  statusCode?: number;
  code?: string;
}

describe('emulator Key Vault and identity endpoint', () => {
  it('reads the app secret with a managed identity token (challenge, then bearer)', async () => {
    emu.resetCounts();
    const secret = await client.getSecret(emu.keyVaultSecretName);
    assert.equal(secret.value, emu.clientSecret);
    assert.equal(secret.name, emu.keyVaultSecretName);
    assert.equal(secret.properties.vaultUrl, emu.keyVaultUrl.replace(/\/$/, ''));
    assert.match(secret.properties.version ?? '', /^[0-9a-f]{32}$/);
    assert.equal(secret.properties.enabled, true);
    // 401 challenge + authorized retry; one managed identity token.
    assert.deepEqual(emu.counts(), { 'identity.token': 1, 'keyvault.secret': 2 });
  });

  it('rotation is visible; older versions stay readable', async () => {
    const before = await client.getSecret(emu.keyVaultSecretName);
    const fresh = emu.rotateClientSecret();
    const after = await client.getSecret(emu.keyVaultSecretName);
    assert.equal(after.value, fresh);
    const old = await client.getSecret(emu.keyVaultSecretName, { version: before.properties.version ?? '' });
    assert.equal(old.value, before.value);
  });

  it('missing secret: 404 SecretNotFound', async () => {
    await assert.rejects(client.getSecret('no-such-secret'), (err: RestErrorLike) => {
      assert.deepEqual([err.statusCode, err.code], [404, 'SecretNotFound']);
      return true;
    });
    emu.setVaultSecret('temp', 'x');
    assert.equal((await client.getSecret('temp')).value, 'x');
    emu.deleteVaultSecret('temp');
    await assert.rejects(client.getSecret('temp'), { statusCode: 404 });
  });

  it('a token of another principal: 403 ForbiddenByRbac; challenge header format', async () => {
    const userToken = await emu.signToken({
      aud: 'https://vault.azure.net',
      iss: `https://sts.windows.net/${emu.tenantId}/`,
      tid: emu.tenantId,
      oid: emu.users[0]?.oid,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    const other = new SecretClient(emu.keyVaultUrl, staticCredential(userToken), {
      disableChallengeResourceVerification: true,
    });
    await assert.rejects(other.getSecret(emu.keyVaultSecretName), (err: RestErrorLike) => {
      assert.deepEqual([err.statusCode, err.code], [403, 'Forbidden']);
      return true;
    });
    const res = await fetch(`${emu.keyVaultUrl}secrets/${emu.keyVaultSecretName}?api-version=2025-07-01`);
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer authorization="${emu.entraUrl}/${emu.tenantId}", resource="https://vault.azure.net"`,
    );
  });

  it('identity endpoint checks X-IDENTITY-HEADER and returns the App Service shape', async () => {
    const url = `${emu.identityEndpoint}?api-version=2019-08-01&resource=https://vault.azure.net`;
    assert.equal((await fetch(url)).status, 400);
    assert.equal((await fetch(url, { headers: { 'X-IDENTITY-HEADER': 'wrong' } })).status, 401);
    const ok = await fetch(`${url}&client_id=${emu.managedIdentity.clientId}`, {
      headers: { 'X-IDENTITY-HEADER': emu.identityHeader },
    });
    const body = (await ok.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'client_id',
      'expires_on',
      'resource',
      'token_type',
    ]);
    assert.equal(typeof body.expires_on, 'string');
    assert.equal(body.client_id, emu.managedIdentity.clientId);
    const wrongId = await fetch(`${url}&client_id=00000000-0000-0000-0000-000000000000`, {
      headers: { 'X-IDENTITY-HEADER': emu.identityHeader },
    });
    assert.equal(wrongId.status, 400);
  });
});
