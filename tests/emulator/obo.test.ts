// MSAL Node's On-Behalf-Of against the emulator: client secret, federated managed-identity assertion,
// and Entra's error shapes surfacing as MSAL errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagedIdentityCredential } from '@azure/identity';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { ARM_SCOPE, decodePayload, msalAuth } from './helpers.js';

let emu: Emulator;
before(async () => {
  emu = await startEmulator();
  // MSAL picks the managed identity source from these once per process.
  process.env.IDENTITY_ENDPOINT = emu.identityEndpoint;
  process.env.IDENTITY_HEADER = emu.identityHeader;
});
after(async () => {
  await emu.stop();
});

function secretApp(secret = emu.clientSecret): ConfidentialClientApplication {
  return new ConfidentialClientApplication({ auth: { ...msalAuth(emu), clientSecret: secret } });
}

describe('emulator On-Behalf-Of', () => {
  it('OBO with client secret returns an ARM token (one discovery, no instance discovery)', async () => {
    emu.resetCounts();
    const assertion = await emu.issueUserToken({ user: 'alice@contoso.example' });
    const result = await secretApp().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [ARM_SCOPE] });
    assert.ok(result);
    const claims = decodePayload(result.accessToken);
    assert.equal(claims.aud, 'https://management.azure.com/');
    assert.equal(claims.iss, `https://sts.windows.net/${emu.tenantId}/`);
    assert.equal(claims.scp, 'user_impersonation');
    assert.equal(claims.oid, emu.users[0]?.oid);
    assert.equal(claims.upn, 'alice@contoso.example');
    assert.equal(claims.appid, emu.clientId);
    assert.equal(claims.appidacr, '1');
    assert.equal(result.account?.homeAccountId, `${emu.users[0]?.oid}.${emu.tenantId}`);
    assert.deepEqual(emu.counts(), { 'entra.discovery.v2': 1, 'entra.token.obo': 1 });
    const [req] = emu.tokenRequests;
    assert.equal(req?.grantType, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    assert.equal(req?.clientAuth, 'secret');
    assert.equal(req?.ok, true);
    for (const name of ['assertion', 'client_id', 'client_secret', 'requested_token_use', 'scope']) {
      assert.ok(req?.paramNames.includes(name), name);
    }
    const recorded = JSON.stringify(emu.tokenRequests);
    assert.ok(!recorded.includes(emu.clientSecret) && !recorded.includes(assertion), 'no values recorded');
  });

  it('v1 assertion (aud api://clientId) is accepted too', async () => {
    const assertion = await emu.issueUserToken({ user: 'bob@contoso.example', version: 1 });
    const result = await secretApp().acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: ['https://management.azure.com//.default'],
    });
    assert.equal(decodePayload(result?.accessToken ?? '').upn, 'bob@contoso.example');
  });

  it('OBO with a managed-identity client assertion (federated credential)', async () => {
    emu.resetCounts();
    const mi = new ManagedIdentityCredential({ clientId: emu.managedIdentity.clientId });
    const app = new ConfidentialClientApplication({
      auth: {
        ...msalAuth(emu),
        clientAssertion: async () => (await mi.getToken('api://AzureADTokenExchange/.default')).token,
      },
    });
    const result = await app.acquireTokenOnBehalfOf({
      oboAssertion: await emu.issueUserToken(),
      scopes: [ARM_SCOPE],
    });
    assert.equal(decodePayload(result?.accessToken ?? '').appidacr, '2');
    assert.equal(emu.counts()['identity.token'], 1);
    assert.equal(emu.tokenRequests.at(-1)?.clientAuth, 'assertion');
    assert.ok(emu.tokenRequests.at(-1)?.paramNames.includes('client_assertion_type'));
  });

  it('a client assertion that is not from the trusted managed identity is refused (AADSTS70021)', async () => {
    const foreign = await emu.signToken({
      iss: `${emu.entraUrl}/${emu.tenantId}/v2.0`,
      sub: '99999999-9999-4999-8999-999999999999',
      aud: 'api://AzureADTokenExchange',
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    const app = new ConfidentialClientApplication({ auth: { ...msalAuth(emu), clientAssertion: foreign } });
    await assert.rejects(
      app.acquireTokenOnBehalfOf({ oboAssertion: await emu.issueUserToken(), scopes: [ARM_SCOPE] }),
      (err: { errorCode?: string; errorMessage?: string }) => {
        assert.equal(err.errorCode, 'invalid_client');
        assert.match(err.errorMessage ?? '', /AADSTS70021/);
        return true;
      },
    );
  });

  it('consent required surfaces as invalid_grant / consent_required (AADSTS65001)', async () => {
    const bob = emu.users[1];
    assert.ok(bob);
    bob.consentRequired = true;
    try {
      await assert.rejects(
        secretApp().acquireTokenOnBehalfOf({
          oboAssertion: await emu.issueUserToken({ user: bob.oid }),
          scopes: [ARM_SCOPE],
        }),
        (err: { errorCode?: string; subError?: string; errorMessage?: string; name?: string }) => {
          assert.equal(err.errorCode, 'invalid_grant');
          assert.equal(err.subError, 'consent_required');
          assert.equal(err.name, 'InteractionRequiredAuthError');
          assert.match(err.errorMessage ?? '', /AADSTS65001/);
          return true;
        },
      );
    } finally {
      bob.consentRequired = false;
    }
    const last = emu.tokenRequests.at(-1);
    assert.deepEqual([last?.ok, last?.error, last?.errorCode], [false, 'invalid_grant', 65001]);
  });

  it('wrong secret, rotated secret (AADSTS7000215) and expired assertion (AADSTS500133)', async () => {
    const badSecret = (err: { errorCode?: string; errorMessage?: string }) => {
      assert.equal(err.errorCode, 'invalid_client');
      assert.match(err.errorMessage ?? '', /AADSTS7000215/);
      return true;
    };
    await assert.rejects(
      secretApp('not-the-secret').acquireTokenOnBehalfOf({
        oboAssertion: await emu.issueUserToken(),
        scopes: [ARM_SCOPE],
      }),
      badSecret,
    );
    const old = emu.clientSecret;
    const fresh = emu.rotateClientSecret();
    assert.notEqual(fresh, old);
    assert.equal(emu.clientSecret, fresh);
    await assert.rejects(
      secretApp(old).acquireTokenOnBehalfOf({
        oboAssertion: await emu.issueUserToken(),
        scopes: [ARM_SCOPE],
      }),
      badSecret,
    );
    await secretApp(fresh).acquireTokenOnBehalfOf({
      oboAssertion: await emu.issueUserToken(),
      scopes: [ARM_SCOPE],
    });
    await assert.rejects(
      secretApp().acquireTokenOnBehalfOf({
        oboAssertion: await emu.issueUserToken({ expiresInSec: -30 }),
        scopes: [ARM_SCOPE],
      }),
      (err: { errorCode?: string; errorMessage?: string }) => {
        assert.equal(err.errorCode, 'invalid_grant');
        assert.match(err.errorMessage ?? '', /AADSTS500133/);
        return true;
      },
    );
  });

  it('raw token endpoint errors have the Entra JSON shape', async () => {
    const res = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'client-request-id': 'c0ffee00-0000-4000-8000-000000000000',
      },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        client_id: emu.clientId,
        client_secret: emu.clientSecret,
        assertion: await emu.issueUserToken(),
        scope: 'https://graph.example/.default',
      }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.error, 'invalid_resource');
    assert.deepEqual(body.error_codes, [500011]);
    assert.equal(body.correlation_id, 'c0ffee00-0000-4000-8000-000000000000');
    for (const k of ['error_description', 'timestamp', 'trace_id', 'error_uri'])
      assert.equal(typeof body[k], 'string', k);
    assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });
});
