// Conditional Access step-up, revoked sessions and continuous access evaluation on ARM, over real HTTP.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ConfidentialClientApplication, InteractionRequiredAuthError } from '@azure/msal-node';
import { DEFAULT_THIRD_PARTY_CLIENT_ID, MFA_POLICY_ID, startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import {
  ARM_SCOPE,
  armTokenFor,
  authorizeUrl,
  browse,
  decodePayload,
  msalAuth,
  pkce,
  postToken,
} from './helpers.js';

let emu: Emulator;
const REDIRECT = 'http://localhost:50000/callback';
const MFA_CLAIMS = JSON.stringify({
  access_token: { capolids: { essential: true, values: [MFA_POLICY_ID] } },
});

before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.stop();
});
afterEach(() => {
  for (const u of emu.users) {
    u.armMfaRequired = false;
    u.sessionRevoked = false;
  }
});

const alice = () => {
  const u = emu.users[0];
  assert.ok(u);
  return u;
};

function obo(assertion: string) {
  return postToken(emu, {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    requested_token_use: 'on_behalf_of',
    client_id: emu.clientId,
    client_secret: emu.clientSecret,
    assertion,
    scope: ARM_SCOPE,
  });
}

/** A user token for the API through the authorize endpoint, optionally with a `claims` request parameter. */
async function interactiveToken(claims?: string): Promise<string> {
  const { verifier, challenge } = pkce();
  const scope = `api://${emu.clientId}/execute`;
  const res = await browse(
    authorizeUrl(emu, {
      client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
      redirect_uri: REDIRECT,
      scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(claims ? { claims } : {}),
    }),
  );
  const token = await postToken(emu, {
    grant_type: 'authorization_code',
    client_id: DEFAULT_THIRD_PARTY_CLIENT_ID,
    code: res.params.get('code') ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  assert.equal(token.status, 200, JSON.stringify(token.json));
  return String(token.json.access_token);
}

describe('Conditional Access MFA on ARM (armMfaRequired)', () => {
  it('OBO without mfa in amr is 400 interaction_required AADSTS50076 with a claims challenge', async () => {
    alice().armMfaRequired = true;
    const res = await obo(await interactiveToken());
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'interaction_required');
    assert.deepEqual(res.json.error_codes, [50076]);
    assert.match(String(res.json.error_description), /^AADSTS50076: .*multi-factor authentication/);
    assert.equal(typeof res.json.claims, 'string');
    assert.deepEqual(JSON.parse(String(res.json.claims)), JSON.parse(MFA_CLAIMS));
  });

  it('MSAL surfaces it as InteractionRequiredAuthError carrying the claims', async () => {
    alice().armMfaRequired = true;
    const cca = new ConfidentialClientApplication({
      auth: { ...msalAuth(emu), clientSecret: emu.clientSecret },
    });
    const err = await cca
      .acquireTokenOnBehalfOf({
        oboAssertion: await emu.issueUserToken(),
        scopes: [ARM_SCOPE],
        skipCache: true,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof InteractionRequiredAuthError, String(err));
    assert.equal(err.errorCode, 'interaction_required');
    assert.deepEqual(JSON.parse(err.claims), JSON.parse(MFA_CLAIMS));
  });

  it('a token requested with the claims carries amr pwd+mfa, and OBO with it succeeds', async () => {
    alice().armMfaRequired = true;
    const stepped = await interactiveToken(MFA_CLAIMS);
    assert.deepEqual(decodePayload(stepped).amr, ['pwd', 'mfa']);
    const res = await obo(stepped);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(decodePayload(String(res.json.access_token)).amr, ['pwd', 'mfa']);
  });

  it('claims asking for an authentication context put it in acrs', async () => {
    const token = await interactiveToken(
      JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } }),
    );
    const claims = decodePayload(token);
    assert.deepEqual([claims.amr, claims.acrs], [['pwd', 'mfa'], ['c1']]);
  });

  it('a plain sign-in has no mfa (v2 tokens carry no amr)', async () => {
    assert.equal(decodePayload(await interactiveToken()).amr, undefined);
  });
});

describe('revoked sessions and ARM tokens', () => {
  it('sessionRevoked: OBO is invalid_grant AADSTS50173 without claims', async () => {
    alice().sessionRevoked = true;
    const res = await obo(await emu.issueUserToken());
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_grant');
    assert.deepEqual(res.json.error_codes, [50173]);
    assert.equal(res.json.claims, undefined);
  });

  it('revokeArmTokens: ARM answers 401 with a CAE claims challenge to older tokens; new ones work', async () => {
    const old = await armTokenFor(emu, 'alice@contoso.example');
    const bobs = await armTokenFor(emu, 'bob@contoso.example');
    emu.revokeArmTokens('alice@contoso.example');
    const list = (token: string) =>
      fetch(`${emu.armUrl}/subscriptions?api-version=2022-12-01`, {
        headers: { Authorization: `Bearer ${token}` },
      });

    const denied = await list(old);
    assert.equal(denied.status, 401);
    const body = (await denied.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'InvalidAuthenticationToken');
    const challenge = denied.headers.get('www-authenticate') ?? '';
    assert.match(
      challenge,
      /^Bearer authorization_uri="[^"]+", error="invalid_token", error_description="User session has been revoked", claims="[^"]+"$/,
    );
    const claims = /claims="([^"]+)"/.exec(challenge)?.[1] ?? '';
    const decoded = JSON.parse(Buffer.from(claims, 'base64').toString('utf8')) as {
      access_token: { nbf: { essential: boolean; value: string } };
    };
    assert.equal(decoded.access_token.nbf.essential, true);
    assert.match(decoded.access_token.nbf.value, /^\d{10}$/);

    assert.equal((await list(bobs)).status, 200, "another user's token is unaffected");
    const fresh = await armTokenFor(emu, 'alice@contoso.example');
    assert.equal((await list(fresh)).status, 200);
  });

  it('revokeArmTokens throws for an unknown user', () => {
    assert.throws(() => emu.revokeArmTokens('nobody@contoso.example'), /unknown user/);
  });
});
