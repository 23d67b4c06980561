import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { OAuthProxyError } from '../../src/errors.js';
import { EntraSignIn } from '../../src/oauth/entra-sign-in.js';
import type { EntraSignInOptions } from '../../src/oauth/entra-sign-in.js';
import { SecretCredentialSource } from '../../src/obo/secret-source.js';
import type { Logger } from '../../src/util/log.js';

// The API app's Web redirect URI in the emulator (any port on loopback).
const CALLBACK = 'http://127.0.0.1/oauth/callback';

let emulator: Emulator;
const logged: string[] = [];
const logger: Logger = {
  info: (m: string) => logged.push(m),
  warn: (m: string) => logged.push(m),
  error: (m: string) => logged.push(m),
};

before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator.stop();
});

function signIn(overrides: Partial<EntraSignInOptions> = {}): EntraSignIn {
  return new EntraSignIn({
    clientId: emulator.clientId,
    tenantId: emulator.tenantId,
    authorityHost: emulator.entraUrl,
    logger,
    timeoutMs: 5000,
    source: new SecretCredentialSource(emulator.clientSecret),
    scope: `api://${emulator.clientId}/execute`,
    ...overrides,
  });
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The browser's part: Entra's authorize endpoint signs the user in and redirects to the callback with a code. */
async function entraCode(
  s: EntraSignIn,
  redirectUri = CALLBACK,
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const response = await fetch(s.authorizeUrl({ redirectUri, state: 'st', codeChallenge: challenge }), {
    redirect: 'manual',
  });
  assert.equal(response.status, 302, await response.text());
  const location = new URL(response.headers.get('location') ?? '');
  assert.equal(location.searchParams.get('state'), 'st');
  const code = location.searchParams.get('code');
  assert.ok(code, `no code: ${location.toString()}`);
  return { code, verifier };
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<OAuthProxyError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof OAuthProxyError, String(caught));
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe('EntraSignIn.authorizeUrl', () => {
  it('asks Entra v2 for the API scope with offline_access, S256 PKCE, the state, and no resource', () => {
    const url = new URL(
      signIn().authorizeUrl({
        redirectUri: 'https://mcp.contoso.example/oauth/callback',
        state: 'sealed',
        codeChallenge: 'cc',
      }),
    );
    assert.equal(
      `${url.origin}${url.pathname}`,
      `${emulator.entraUrl}/${emulator.tenantId}/oauth2/v2.0/authorize`,
    );
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: emulator.clientId,
      response_type: 'code',
      response_mode: 'query',
      redirect_uri: 'https://mcp.contoso.example/oauth/callback',
      scope: `api://${emulator.clientId}/execute offline_access`,
      state: 'sealed',
      code_challenge: 'cc',
      code_challenge_method: 'S256',
    });
    assert.equal([...url.searchParams.keys()].length, 8, 'each parameter once');
  });

  it('adds a claims challenge when it is given one', () => {
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["p"]}}}';
    const url = new URL(
      signIn().authorizeUrl({ redirectUri: CALLBACK, state: 's', codeChallenge: 'c', claims }),
    );
    assert.equal(url.searchParams.get('claims'), claims);
    assert.equal(url.searchParams.has('resource'), false);
  });
});

describe('EntraSignIn with the emulated Entra ID', () => {
  it('redeems the code with the app secret: an access token for this API and a refresh token', async () => {
    const s = signIn();
    const { code, verifier } = await entraCode(s);
    const tokens = await s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: verifier });
    const claims = decodeJwt(tokens.accessToken);
    assert.equal(claims.aud, emulator.clientId);
    assert.equal(claims.azp, emulator.clientId);
    assert.equal(claims.scp, 'execute');
    assert.equal(claims.azpacr, '1', 'redeemed with the secret');
    // MSAL derives the expiry from expires_in on its own clock: within a second or two of the token's exp.
    assert.ok(Math.abs(tokens.expiresAt - Number(claims.exp)) <= 2, `${tokens.expiresAt} vs ${claims.exp}`);
    assert.ok(tokens.expiresAt > Date.now() / 1000 + 3000);
    assert.equal(typeof tokens.refreshToken, 'string');
    assert.ok(tokens.refreshToken);
  });

  it('refreshes with the app secret, and Entra rotates the refresh token', async () => {
    const s = signIn();
    const { code, verifier } = await entraCode(s);
    const first = await s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: verifier });
    assert.ok(first.refreshToken);
    const next = await s.refresh(first.refreshToken);
    assert.ok(next.refreshToken);
    assert.notEqual(next.refreshToken, first.refreshToken);
    assert.notEqual(next.accessToken, first.accessToken);
    assert.equal(decodeJwt(next.accessToken).aud, emulator.clientId);
    const last = emulator.tokenRequests.at(-1);
    assert.equal(last?.grantType, 'refresh_token');
    assert.equal(last?.clientAuth, 'secret');
  });

  it('answers invalid_grant for a code Entra does not know', async () => {
    await rejectsWith(
      signIn().redeemCode({ code: 'not-a-code', redirectUri: CALLBACK, codeVerifier: pkce().verifier }),
      'invalid_grant',
    );
  });

  it('answers invalid_grant for a wrong PKCE verifier', async () => {
    const s = signIn();
    const { code } = await entraCode(s);
    await rejectsWith(
      s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: pkce().verifier }),
      'invalid_grant',
    );
  });

  it('answers invalid_grant for a refresh token Entra does not know', async () => {
    await rejectsWith(signIn().refresh('not-a-refresh-token'), 'invalid_grant');
  });

  it('answers server_error when Entra rejects the app secret, and logs neither secret nor code', async () => {
    const wrong = 'abc8Q~wrong-secret-value-0123456789abcdef';
    const s = signIn({ source: new SecretCredentialSource(wrong) });
    const { code, verifier } = await entraCode(s);
    logged.length = 0;
    const error = await rejectsWith(
      s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: verifier }),
      'server_error',
    );
    assert.ok(!error.message.includes(wrong));
    assert.ok(logged.length > 0, 'the failure is logged');
    for (const line of logged) {
      assert.ok(!line.includes(wrong), `secret logged: ${line}`);
      assert.ok(!line.includes(code), `code logged: ${line}`);
      assert.ok(!line.includes(verifier), `verifier logged: ${line}`);
    }
    assert.equal(emulator.tokenRequests.at(-1)?.errorCode, 7000215);
  });

  it('answers temporarily_unavailable while Entra ID is down', async () => {
    const s = signIn();
    const { code, verifier } = await entraCode(s);
    await emulator.setDown('entra', true);
    try {
      await rejectsWith(
        s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: verifier }),
        'temporarily_unavailable',
      );
      await rejectsWith(s.refresh('any-refresh-token'), 'temporarily_unavailable');
    } finally {
      await emulator.setDown('entra', false);
    }
  });

  it('answers temporarily_unavailable when Entra ID does not answer in time', async () => {
    const s = signIn({ timeoutMs: 300 });
    const { code, verifier } = await entraCode(s);
    emulator.setHang('entra', true);
    try {
      await rejectsWith(
        s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: verifier }),
        'temporarily_unavailable',
      );
    } finally {
      emulator.setHang('entra', false);
    }
  });

  it('answers temporarily_unavailable with Retry-After when Entra ID throttles the token request', async () => {
    // With the tenant's discovery document at hand (as the verifier provides it), the token request comes first.
    const discovery = await fetch(
      `${emulator.entraUrl}/${emulator.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    const v2 = await discovery.text();
    const s = signIn({ v2Document: () => v2 });
    const { code, verifier } = await entraCode(s);
    emulator.resetCounts();
    emulator.injectFault('entra', { status: 429, retryAfterSec: 7 });
    const error = await rejectsWith(
      s.redeemCode({ code, redirectUri: CALLBACK, codeVerifier: verifier }),
      'temporarily_unavailable',
    );
    assert.deepEqual(
      Object.keys(emulator.counts()),
      ['entra.token.authorization_code'],
      'the fault hit the token request',
    );
    assert.equal(error.retryAfterSec, 7);
  });
});
