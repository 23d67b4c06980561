// The API app as a confidential client of the emulated Entra ID (the OAuth proxy's own sign-in): a code issued for
// one of its Web redirect URIs, and the refresh tokens that come with it, are redeemed only with its credential.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { DEFAULT_THIRD_PARTY_CLIENT_ID, startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { authorizeUrl, browse, decodePayload, pkce, postToken } from './helpers.js';

// One of the API app's default Web redirect URIs (loopback: any port).
const CALLBACK = 'http://127.0.0.1/oauth/callback';

let emu: Emulator;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.stop();
});
afterEach(() => {
  for (const user of emu.users) delete user.signInError;
});

const apiScope = () => `api://${emu.clientId}/execute`;

/** The API app's authorize leg at `redirectUri`; the code and its verifier. */
async function signIn(redirectUri = CALLBACK, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const res = await browse(
    authorizeUrl(emu, {
      client_id: emu.clientId,
      redirect_uri: redirectUri,
      scope: `${apiScope()} offline_access`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'proxy-state',
      ...extra,
    }),
  );
  assert.equal(res.status, 302, res.body);
  assert.equal(res.params.get('state'), 'proxy-state');
  const code = res.params.get('code');
  assert.ok(code, `no code: ${res.location ?? ''}`);
  return { code, verifier, redirectUri };
}

function redeem(
  c: { code: string; verifier: string; redirectUri: string },
  credential: Record<string, string>,
) {
  return postToken(emu, {
    grant_type: 'authorization_code',
    client_id: emu.clientId,
    code: c.code,
    redirect_uri: c.redirectUri,
    code_verifier: c.verifier,
    scope: `${apiScope()} offline_access`,
    ...credential,
  });
}

/** A client assertion from the managed identity the app's federated credential trusts. */
async function federatedAssertion(): Promise<Record<string, string>> {
  const assertion = await emu.signToken({
    iss: `${emu.entraUrl}/${emu.tenantId}/v2.0`,
    sub: emu.managedIdentity.principalId,
    aud: 'api://AzureADTokenExchange',
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  return {
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
}

function assertAadsts(json: Record<string, unknown>, error: string, code: number): void {
  assert.equal(json.error, error);
  assert.deepEqual(json.error_codes, [code]);
  assert.match(String(json.error_description), new RegExp(`^AADSTS${code}: `));
}

describe('emulator: code of a Web redirect URI', () => {
  it('needs the credential: none answers 401 invalid_client AADSTS7000218', async () => {
    const res = await redeem(await signIn(), {});
    assert.equal(res.status, 401);
    assertAadsts(res.json, 'invalid_client', 7000218);
    assert.equal(res.json.access_token, undefined);
  });

  it('refuses a wrong secret: 401 invalid_client AADSTS7000215', async () => {
    const res = await redeem(await signIn(), { client_secret: `${emu.clientSecret}x` });
    assert.equal(res.status, 401);
    assertAadsts(res.json, 'invalid_client', 7000215);
  });

  it('with the secret: an access token for the API and a refresh token', async () => {
    const res = await redeem(await signIn(), { client_secret: emu.clientSecret });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const claims = decodePayload(String(res.json.access_token));
    assert.equal(claims.aud, emu.clientId);
    assert.equal(claims.azp, emu.clientId);
    assert.equal(claims.azpacr, '1', 'a secret authenticated the client');
    assert.equal(claims.scp, 'execute');
    assert.equal(typeof res.json.refresh_token, 'string');
  });

  it('with a federated managed-identity assertion: tokens (azpacr 2)', async () => {
    const res = await redeem(await signIn(), await federatedAssertion());
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(decodePayload(String(res.json.access_token)).azpacr, '2');
    assert.equal(typeof res.json.refresh_token, 'string');
    assert.equal(emu.tokenRequests.at(-1)?.clientAuth, 'assertion');
  });

  it('is single use', async () => {
    const c = await signIn();
    assert.equal((await redeem(c, { client_secret: emu.clientSecret })).status, 200);
    const again = await redeem(c, { client_secret: emu.clientSecret });
    assert.equal(again.status, 400);
    assert.equal(again.json.error, 'invalid_grant');
  });

  it('matches a loopback Web redirect URI on any port', async () => {
    const res = await redeem(await signIn('http://127.0.0.1:7071/oauth/callback'), {
      client_secret: emu.clientSecret,
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  });

  it("keeps the app's public (mobile and desktop) redirect URI public: no credential needed", async () => {
    const res = await redeem(await signIn('http://localhost:5000'), {});
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(decodePayload(String(res.json.access_token)).azpacr, '0');
  });
});

describe('emulator: unregistered Web redirect URIs', () => {
  for (const [name, clientId, redirectUri] of [
    ['another path', () => emu.clientId, 'http://127.0.0.1/other/callback'],
    ['another host', () => emu.clientId, 'https://evil.example/oauth/callback'],
    ['https on loopback', () => emu.clientId, 'https://127.0.0.1/oauth/callback'],
    ["the API app's callback asked for by another client", () => DEFAULT_THIRD_PARTY_CLIENT_ID, CALLBACK],
  ] as const) {
    it(`shows the AADSTS50011 page, never a redirect: ${name}`, async () => {
      const { challenge } = pkce();
      const res = await browse(
        authorizeUrl(emu, {
          client_id: clientId(),
          redirect_uri: redirectUri,
          scope: apiScope(),
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      );
      assert.equal(res.status, 400);
      assert.equal(res.location, null);
      assert.match(res.body, /AADSTS50011/);
      assert.match(res.body, /^<!doctype html>/i);
    });
  }
});

describe('emulator: refresh token of the API app', () => {
  async function refreshToken(): Promise<string> {
    const res = await redeem(await signIn(), { client_secret: emu.clientSecret });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return String(res.json.refresh_token);
  }

  function refresh(rt: string, clientId: string, credential: Record<string, string>) {
    return postToken(emu, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: rt,
      scope: `${apiScope()} offline_access`,
      ...credential,
    });
  }

  it('needs the credential too: none answers 401 AADSTS7000218', async () => {
    const res = await refresh(await refreshToken(), emu.clientId, {});
    assert.equal(res.status, 401);
    assertAadsts(res.json, 'invalid_client', 7000218);
  });

  it('refuses a wrong secret: 401 AADSTS7000215', async () => {
    const res = await refresh(await refreshToken(), emu.clientId, { client_secret: 'wrong' });
    assert.equal(res.status, 401);
    assertAadsts(res.json, 'invalid_client', 7000215);
  });

  it('with the secret: new tokens and a new refresh token', async () => {
    const rt = await refreshToken();
    const res = await refresh(rt, emu.clientId, { client_secret: emu.clientSecret });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(decodePayload(String(res.json.access_token)).aud, emu.clientId);
    assert.equal(typeof res.json.refresh_token, 'string');
    assert.notEqual(res.json.refresh_token, rt);
  });

  it('with a federated assertion: new tokens', async () => {
    const res = await refresh(await refreshToken(), emu.clientId, await federatedAssertion());
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(decodePayload(String(res.json.access_token)).azpacr, '2');
  });

  it('presented by another client: 400 invalid_grant AADSTS700007', async () => {
    const res = await refresh(await refreshToken(), DEFAULT_THIRD_PARTY_CLIENT_ID, {});
    assert.equal(res.status, 400);
    assertAadsts(res.json, 'invalid_grant', 700007);
  });
});

describe('emulator: sign-in errors at the authorize endpoint', () => {
  for (const [kind, error, code] of [
    ['consent_declined', 'consent_required', 65004],
    ['conditional_access', 'access_denied', 53003],
  ] as const) {
    it(`${kind}: redirects with ${error} (AADSTS${code}) and the state, without a code`, async () => {
      const bob = emu.users[1];
      assert.ok(bob);
      bob.signInError = kind;
      const { challenge } = pkce();
      const res = await browse(
        authorizeUrl(emu, {
          client_id: emu.clientId,
          redirect_uri: CALLBACK,
          scope: `${apiScope()} offline_access`,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: 'proxy-state',
          login_hint: bob.upn,
        }),
      );
      assert.equal(res.status, 302, res.body);
      assert.ok(res.location?.startsWith(`${CALLBACK}?`), res.location ?? '');
      assert.equal(res.params.get('error'), error);
      assert.match(res.params.get('error_description') ?? '', new RegExp(`^AADSTS${code}: `));
      assert.equal(res.params.get('state'), 'proxy-state');
      assert.equal(res.params.has('code'), false);
    });
  }

  it('signs in the other users as usual meanwhile', async () => {
    const bob = emu.users[1];
    assert.ok(bob);
    bob.signInError = 'conditional_access';
    const alice = emu.users[0];
    assert.ok(alice);
    const c = await signIn(CALLBACK, { login_hint: alice.upn });
    assert.ok(c.code);
  });
});
