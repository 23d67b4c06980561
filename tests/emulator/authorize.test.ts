// Authorization code + PKCE against the emulated Entra ID, over real HTTP: the authorize endpoint, the
// authorization_code grant, identifier URIs and the resource parameter, client apps and consent.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { PublicClientApplication } from '@azure/msal-node';
import {
  DEFAULT_CLI_CLIENT_ID,
  DEFAULT_THIRD_PARTY_CLIENT_ID,
  VSCODE_CLIENT_ID,
  defaultClientApps,
  startEmulator,
} from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { authorizeUrl, browse, decodePayload, msalAuth, pkce, postToken } from './helpers.js';

let emu: Emulator;
const MCP_URI = 'http://127.0.0.1:8123/mcp';
const REDIRECT = 'http://localhost:49152/callback';

before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.stop();
});
afterEach(() => {
  emu.update({
    identifierUris: [`api://${emu.clientId}`],
    clientApps: defaultClientApps(),
    userTokenVersion: 2,
    authCodeLifetimeSec: 600,
    interactiveUser: undefined,
  });
});

const apiScope = (): string => `api://${emu.clientId}/execute`;

/** The authorize leg for the third-party client; returns the code and its verifier. */
async function signIn(
  extra: Record<string, string> = {},
): Promise<{ code: string; verifier: string; params: URLSearchParams }> {
  const { verifier, challenge } = pkce();
  const res = await browse(
    authorizeUrl(emu, {
      client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
      redirect_uri: REDIRECT,
      scope: apiScope(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
      ...extra,
    }),
  );
  assert.equal(res.status, 302, res.body);
  const code = res.params.get('code');
  assert.ok(code, `no code: ${res.location ?? ''}`);
  return { code, verifier, params: res.params };
}

function redeem(code: string, verifier: string, extra: Record<string, string> = {}) {
  return postToken(emu, {
    grant_type: 'authorization_code',
    client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    ...extra,
  });
}

function assertEntraError(json: Record<string, unknown>, error: string, code: number): void {
  assert.equal(json.error, error);
  assert.deepEqual(json.error_codes, [code]);
  assert.match(
    String(json.error_description),
    new RegExp(
      `^AADSTS${code}: .+ Trace ID: \\S+ Correlation ID: \\S+ Timestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
    ),
  );
  for (const k of ['timestamp', 'trace_id', 'correlation_id', 'error_uri']) assert.ok(json[k], k);
}

describe('authorize endpoint', () => {
  it('answers 302 to a loopback redirect on another port with code and state', async () => {
    emu.resetCounts();
    const { params } = await signIn();
    assert.equal(params.get('state'), 'st-1');
    assert.ok(params.get('session_state'));
    assert.equal(emu.counts()['entra.authorize'], 1);
  });

  it('redeems the code for a v2 token whose azp is the client app, and an ID token for it', async () => {
    const { code, verifier } = await signIn({ scope: `openid offline_access ${apiScope()}` });
    const res = await redeem(code, verifier);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.scope, apiScope());
    const at = decodePayload(String(res.json.access_token));
    assert.deepEqual(
      [at.aud, at.azp, at.scp, at.ver, at.oid],
      [emu.clientId, DEFAULT_THIRD_PARTY_CLIENT_ID, 'execute', '2.0', emu.users[0]?.oid],
    );
    assert.equal(decodePayload(String(res.json.id_token)).aud, DEFAULT_THIRD_PARTY_CLIENT_ID);
    assert.ok(res.json.refresh_token);
  });

  it('signs in as login_hint, or as the configured interactive user', async () => {
    const hinted = await signIn({ login_hint: 'bob@contoso.example' });
    const t1 = await redeem(hinted.code, hinted.verifier);
    assert.equal(decodePayload(String(t1.json.access_token)).preferred_username, 'bob@contoso.example');
    emu.update({ interactiveUser: 'bob@contoso.example' });
    const configured = await signIn();
    const t2 = await redeem(configured.code, configured.verifier);
    assert.equal(decodePayload(String(t2.json.access_token)).preferred_username, 'bob@contoso.example');
  });

  it('accepts resource = an identifier URI of the API; a v1 token carries that URI as aud', async () => {
    emu.update({ identifierUris: [`api://${emu.clientId}`, MCP_URI], userTokenVersion: 1 });
    const { code, verifier } = await signIn({ scope: `${MCP_URI}/execute`, resource: MCP_URI });
    const res = await redeem(code, verifier, { resource: MCP_URI });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const at = decodePayload(String(res.json.access_token));
    assert.deepEqual([at.aud, at.appid, at.ver], [MCP_URI, DEFAULT_THIRD_PARTY_CLIENT_ID, '1.0']);
  });

  it('a resource that is not the scope API identifier URI redirects with invalid_target AADSTS9010010', async () => {
    const { challenge } = pkce();
    const res = await browse(
      authorizeUrl(emu, {
        client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
        redirect_uri: REDIRECT,
        scope: apiScope(),
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'st-2',
        resource: MCP_URI,
      }),
    );
    assert.equal(res.status, 302);
    assert.ok(res.location?.startsWith('http://localhost:49152/callback?'));
    assert.equal(res.params.get('error'), 'invalid_target');
    assert.match(
      res.params.get('error_description') ?? '',
      /^AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes\. Trace ID: /,
    );
    assert.equal(res.params.get('state'), 'st-2');
    assert.equal(res.params.get('error_uri'), `${emu.entraUrl}/error?code=9010010`);
    assert.equal(res.params.get('code'), null);
  });

  it('a resource mismatch at the token endpoint is HTTP 400 invalid_target in Entra JSON', async () => {
    const { code, verifier } = await signIn();
    const res = await redeem(code, verifier, { resource: MCP_URI });
    assert.equal(res.status, 400);
    assertEntraError(res.json, 'invalid_target', 9010010);
  });

  it('a scope of an unknown resource redirects with invalid_resource AADSTS500011', async () => {
    const { params } = await browse(
      authorizeUrl(emu, {
        client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
        redirect_uri: REDIRECT,
        scope: 'api://not-registered/execute',
        state: 's',
      }),
    );
    assert.equal(params.get('error'), 'invalid_resource');
    assert.match(params.get('error_description') ?? '', /^AADSTS500011: /);
  });

  it('scopes under an identifier URI the app no longer has are an unknown resource', async () => {
    emu.update({ identifierUris: [MCP_URI] });
    const { params } = await browse(
      authorizeUrl(emu, {
        client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
        redirect_uri: REDIRECT,
        scope: apiScope(),
      }),
    );
    assert.match(params.get('error_description') ?? '', /^AADSTS500011: /);
  });

  it('a client neither pre-authorized nor consented gets consent_required AADSTS65001', async () => {
    const other = '0babe000-0000-4000-8000-00000000babe';
    emu.update({
      clientApps: [...defaultClientApps(), { clientId: other, redirectUris: ['http://localhost'] }],
    });
    const { params } = await browse(
      authorizeUrl(emu, {
        client_id: other,
        redirect_uri: 'http://localhost:5000/',
        scope: apiScope(),
        state: 'c',
      }),
    );
    assert.equal(params.get('error'), 'consent_required');
    assert.match(params.get('error_description') ?? '', new RegExp(`^AADSTS65001: .*'${other}'`));
    assert.equal(params.get('state'), 'c');
  });

  it('ARM scopes for a client app other than the API app need consent (AADSTS65001)', async () => {
    const { params } = await browse(
      authorizeUrl(emu, {
        client_id: DEFAULT_CLI_CLIENT_ID,
        redirect_uri: 'http://localhost:4000',
        scope: 'https://management.azure.com/user_impersonation',
      }),
    );
    assert.equal(params.get('error'), 'consent_required');
  });

  it('an unknown client id is an HTML error page (AADSTS700016), not a redirect', async () => {
    const res = await browse(
      authorizeUrl(emu, {
        client_id: '00000000-dead-4000-8000-000000000000',
        redirect_uri: REDIRECT,
        scope: apiScope(),
      }),
    );
    assert.equal(res.status, 400);
    assert.equal(res.location, null);
    assert.match(
      res.body,
      /AADSTS700016: Application with identifier '00000000-dead-4000-8000-000000000000'/,
    );
  });

  for (const [what, clientId, redirect] of [
    ['a loopback one with another path', DEFAULT_THIRD_PARTY_CLIENT_ID, 'http://localhost:49152/other'],
    ['another host', DEFAULT_THIRD_PARTY_CLIENT_ID, 'http://evil.example/callback'],
    ['a non-loopback one with another port', VSCODE_CLIENT_ID, 'https://vscode.dev:8443/redirect'],
  ] as const) {
    it(`a redirect URI that is ${what} is AADSTS50011 (no redirect)`, async () => {
      const res = await browse(
        authorizeUrl(emu, { client_id: clientId, redirect_uri: redirect, scope: apiScope() }),
      );
      assert.equal(res.status, 400);
      assert.equal(res.location, null);
      assert.match(res.body, /AADSTS50011: The redirect URI .* does not match the redirect URIs configured/);
    });
  }

  it('an unsupported code_challenge_method redirects with invalid_request', async () => {
    const { params } = await browse(
      authorizeUrl(emu, {
        client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
        redirect_uri: REDIRECT,
        scope: apiScope(),
        code_challenge: pkce().challenge,
        code_challenge_method: 'S512',
      }),
    );
    assert.equal(params.get('error'), 'invalid_request');
    assert.match(params.get('error_description') ?? '', /^AADSTS50149: /);
  });

  for (const [what, path] of [
    [
      'OAuth authorization-server metadata',
      (tenant: string) => `/.well-known/oauth-authorization-server/${tenant}/v2.0`,
    ],
    ['path-inserted OIDC discovery', (tenant: string) => `/.well-known/openid-configuration/${tenant}/v2.0`],
  ] as const) {
    it(`${what}, which the MCP SDK probes first, is 404`, async () => {
      const res = await fetch(`${emu.entraUrl}${path(emu.tenantId)}`);
      await res.body?.cancel();
      assert.equal(res.status, 404);
    });
  }

  it('OIDC discovery under the tenant answers with the authorize endpoint and the code response type', async () => {
    const origin = emu.entraUrl;
    const res = await fetch(`${origin}/${emu.tenantId}/v2.0/.well-known/openid-configuration`);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.authorization_endpoint, `${origin}/${emu.tenantId}/oauth2/v2.0/authorize`);
    assert.ok((doc.response_types_supported as string[]).includes('code'));
  });
});

describe('authorization_code grant', () => {
  it('a code is single-use (AADSTS54005)', async () => {
    const { code, verifier } = await signIn();
    assert.equal((await redeem(code, verifier)).status, 200);
    const again = await redeem(code, verifier);
    assert.equal(again.status, 400);
    assertEntraError(again.json, 'invalid_grant', 54005);
  });

  it('an expired code is AADSTS70008', async () => {
    emu.update({ authCodeLifetimeSec: 0 });
    const { code, verifier } = await signIn();
    const res = await redeem(code, verifier);
    assertEntraError(res.json, 'invalid_grant', 70008);
  });

  it('a wrong code_verifier is AADSTS501481, a missing one AADSTS50148', async () => {
    const { code } = await signIn();
    assertEntraError((await redeem(code, pkce().verifier)).json, 'invalid_grant', 501481);
    const res = await postToken(emu, {
      grant_type: 'authorization_code',
      client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
      code,
      redirect_uri: REDIRECT,
    });
    assertEntraError(res.json, 'invalid_grant', 50148);
  });

  it('plain PKCE (no code_challenge_method) is accepted, as Entra documents', async () => {
    const verifier = pkce().verifier;
    const res = await browse(
      authorizeUrl(emu, {
        client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
        redirect_uri: REDIRECT,
        scope: apiScope(),
        code_challenge: verifier,
      }),
    );
    const code = res.params.get('code') ?? '';
    assert.equal((await redeem(code, verifier)).status, 200);
  });

  it('another redirect_uri than at authorize is AADSTS500112 invalid_client', async () => {
    const { code, verifier } = await signIn();
    const res = await redeem(code, verifier, { redirect_uri: 'http://localhost:49153/callback' });
    assertEntraError(res.json, 'invalid_client', 500112);
  });

  it('a code presented by another client is refused (AADSTS9002313)', async () => {
    const { code, verifier } = await signIn();
    const res = await redeem(code, verifier, { client_id: DEFAULT_CLI_CLIENT_ID });
    assertEntraError(res.json, 'invalid_grant', 9002313);
  });

  it('an unknown client id at the token endpoint is AADSTS700016', async () => {
    const { code, verifier } = await signIn();
    const res = await redeem(code, verifier, { client_id: '00000000-dead-4000-8000-000000000000' });
    assertEntraError(res.json, 'unauthorized_client', 700016);
  });

  it('a refresh keeps the client app as azp and checks the resource parameter', async () => {
    const { code, verifier } = await signIn({ scope: `offline_access ${apiScope()}` });
    const first = await redeem(code, verifier);
    const rt = String(first.json.refresh_token);
    const refreshed = await postToken(emu, {
      grant_type: 'refresh_token',
      client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
      refresh_token: rt,
      scope: apiScope(),
    });
    assert.equal(refreshed.status, 200);
    assert.equal(decodePayload(String(refreshed.json.access_token)).azp, DEFAULT_THIRD_PARTY_CLIENT_ID);
    const mismatch = await postToken(emu, {
      grant_type: 'refresh_token',
      client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
      refresh_token: rt,
      scope: apiScope(),
      resource: MCP_URI,
    });
    assertEntraError(mismatch.json, 'invalid_target', 9010010);
    const otherClient = await postToken(emu, {
      grant_type: 'refresh_token',
      client_id: DEFAULT_CLI_CLIENT_ID,
      refresh_token: rt,
      scope: apiScope(),
    });
    // "The grant was issued for a different client id."
    assertEntraError(otherClient.json, 'invalid_grant', 700007);
  });
});

describe('client apps on the device code flow', () => {
  it('the CLI client (pre-authorized) signs in by device code and its token names it as azp', async () => {
    emu.update({ autoApproveDeviceCode: 'alice@contoso.example' });
    try {
      const pca = new PublicClientApplication({
        auth: { ...msalAuth(emu), clientId: DEFAULT_CLI_CLIENT_ID },
      });
      const result = await pca.acquireTokenByDeviceCode({
        scopes: [apiScope()],
        deviceCodeCallback: () => {},
      });
      assert.equal(decodePayload(result?.accessToken ?? '').azp, DEFAULT_CLI_CLIENT_ID);
    } finally {
      emu.update({ autoApproveDeviceCode: undefined });
    }
  });

  it('a client without consent gets AADSTS65001 when it redeems the device code', async () => {
    const other = '0babe000-0000-4000-8000-00000000babe';
    emu.update({ clientApps: [{ clientId: other }], autoApproveDeviceCode: 'alice@contoso.example' });
    try {
      const dc = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: other, scope: apiScope() }),
      });
      const { device_code } = (await dc.json()) as { device_code: string };
      const res = await postToken(emu, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: other,
        device_code,
      });
      assertEntraError(res.json, 'invalid_grant', 65001);
      assert.equal(res.json.suberror, 'consent_required');
    } finally {
      emu.update({ autoApproveDeviceCode: undefined });
    }
  });

  it('a resource mismatch at the device authorization endpoint is 400 invalid_target', async () => {
    const res = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/devicecode`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: DEFAULT_CLI_CLIENT_ID, scope: apiScope(), resource: MCP_URI }),
    });
    assert.equal(res.status, 400);
    assertEntraError((await res.json()) as Record<string, unknown>, 'invalid_target', 9010010);
  });
});

describe('issueUserToken', () => {
  it('clientId names the client app as azp (v2) or appid (v1)', async () => {
    const v2 = decodePayload(await emu.issueUserToken({ clientId: DEFAULT_CLI_CLIENT_ID }));
    const v1 = decodePayload(await emu.issueUserToken({ clientId: DEFAULT_CLI_CLIENT_ID, version: 1 }));
    assert.deepEqual([v2.azp, v1.appid], [DEFAULT_CLI_CLIENT_ID, DEFAULT_CLI_CLIENT_ID]);
  });
});

describe('throttling', () => {
  it('an injected 429 on the token endpoint has Retry-After and Entra’s 429 body', async () => {
    const { code, verifier } = await signIn();
    emu.injectFault('entra', { status: 429, retryAfterSec: 7 });
    const res = await redeem(code, verifier);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assertEntraError(res.json, 'temporarily_unavailable', 90055);
  });
});
