// MSAL Node's device code flow (the CLI's sign-in) and refresh against the emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PublicClientApplication } from '@azure/msal-node';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { decodePayload, msalAuth } from './helpers.js';

let emu: Emulator;
before(async () => {
  emu = await startEmulator({ autoApproveDeviceCode: 'alice@contoso.example' });
});
after(async () => {
  await emu.stop();
});

const apiScope = (): string => `api://${emu.clientId}/execute`;

describe('emulator device code flow', () => {
  it('auto-approved device code gives a v2 API token, an ID token and a cache account', async () => {
    emu.resetCounts();
    const pca = new PublicClientApplication({ auth: msalAuth(emu) });
    let message = '';
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [apiScope()],
      deviceCodeCallback: (r) => (message = r.message),
    });
    assert.ok(result);
    assert.match(message, new RegExp(`${emu.entraUrl}/devicelogin`));
    const alice = emu.users[0];
    const claims = decodePayload(result.accessToken);
    assert.deepEqual(
      [claims.aud, claims.scp, claims.ver, claims.oid],
      [emu.clientId, 'execute', '2.0', alice?.oid],
    );
    assert.equal(result.account?.homeAccountId, `${alice?.oid}.${emu.tenantId}`);
    assert.equal(result.account?.username, 'alice@contoso.example');
    assert.equal(result.idTokenClaims && (result.idTokenClaims as { name?: string }).name, 'Alice Example');
    assert.deepEqual(emu.counts(), {
      'entra.devicecode': 1,
      'entra.discovery.v2': 1,
      'entra.token.device_code': 1,
    });

    // Silent refresh through the refresh token MSAL cached.
    const account = result.account;
    assert.ok(account);
    const refreshed = await pca.acquireTokenSilent({ account, scopes: [apiScope()], forceRefresh: true });
    assert.equal(decodePayload(refreshed.accessToken).oid, alice?.oid);
    assert.equal(emu.counts()['entra.token.refresh_token'], 1);
  });

  it('manual approval: pending first, then the approving user', async () => {
    emu.update({ autoApproveDeviceCode: undefined, userTokenVersion: 1 });
    try {
      emu.resetCounts();
      const pca = new PublicClientApplication({ auth: msalAuth(emu) });
      const result = await pca.acquireTokenByDeviceCode({
        scopes: [apiScope()],
        deviceCodeCallback: (r) => {
          setTimeout(() => emu.approveDeviceCode(r.userCode, 'bob@contoso.example'), 100);
        },
      });
      const claims = decodePayload(result?.accessToken ?? '');
      assert.deepEqual(
        [claims.upn, claims.aud, claims.ver],
        ['bob@contoso.example', `api://${emu.clientId}`, '1.0'],
      );
      const grants = emu.tokenRequests.filter((r) => r.grantType === 'device_code');
      assert.equal(grants[0]?.error, 'authorization_pending');
      assert.equal(grants[0]?.errorCode, 70016);
      assert.equal(grants.at(-1)?.ok, true);
    } finally {
      emu.update({ autoApproveDeviceCode: 'alice@contoso.example', userTokenVersion: 2 });
    }
  });

  it('public client flows disabled: AADSTS7000218 on redemption', async () => {
    emu.update({ publicClientFlowsEnabled: false });
    try {
      const pca = new PublicClientApplication({ auth: msalAuth(emu) });
      await assert.rejects(
        pca.acquireTokenByDeviceCode({ scopes: [apiScope()], deviceCodeCallback: () => undefined }),
      );
      const last = emu.tokenRequests.at(-1);
      assert.deepEqual([last?.error, last?.errorCode, last?.clientAuth], ['invalid_client', 7000218, 'none']);
    } finally {
      emu.update({ publicClientFlowsEnabled: true });
    }
  });

  it('unknown scope on the API: AADSTS650053 at the device code endpoint', async () => {
    const res = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/devicecode`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: emu.clientId, scope: `api://${emu.clientId}/admin openid` }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; error_codes: number[] };
    assert.deepEqual([body.error, body.error_codes], ['invalid_client', [650053]]);
  });

  it('the /devicelogin form approves a pending code (for out-of-process emulators)', async () => {
    emu.update({ autoApproveDeviceCode: undefined });
    try {
      const start = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: emu.clientId, scope: `${apiScope()} openid offline_access` }),
      });
      const codes = (await start.json()) as { user_code: string; device_code: string; interval: number };
      const approve = (user_code: string) =>
        fetch(`${emu.entraUrl}/devicelogin`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ user_code, user: 'bob@contoso.example' }),
        });
      assert.equal((await approve('NOSUCHCODE')).status, 400);
      assert.equal((await approve(codes.user_code)).status, 200);
      const token = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          client_id: emu.clientId,
          device_code: codes.device_code,
          scope: `${apiScope()} openid offline_access`,
        }),
      });
      const body = (await token.json()) as Record<string, unknown>;
      assert.equal(token.status, 200);
      assert.deepEqual(Object.keys(body).sort(), [
        'access_token',
        'expires_in',
        'ext_expires_in',
        'id_token',
        'refresh_token',
        'scope',
        'token_type',
      ]);
      assert.equal(decodePayload(String(body.access_token)).preferred_username, 'bob@contoso.example');
    } finally {
      emu.update({ autoApproveDeviceCode: 'alice@contoso.example' });
    }
  });
});
