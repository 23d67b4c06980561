import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { MetadataUnavailableError, OAuthProxyError, TokenError } from '../../src/errors.js';
import type { CodeClaims } from '../../src/oauth/authorize.js';
import { ClientResolver } from '../../src/oauth/clients.js';
import type { ProxyContext } from '../../src/oauth/context.js';
import type { EntraSignIn, UpstreamTokens } from '../../src/oauth/entra-sign-in.js';
import { ProxyKeyRing, digest } from '../../src/oauth/keys.js';
import { register } from '../../src/oauth/registration.js';
import { token, unwrapAccessToken } from '../../src/oauth/token.js';
import type { Logger } from '../../src/util/log.js';

const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const PUBLIC_URL = 'https://mcp.contoso.example/mcp';
const ISSUER = 'https://mcp.contoso.example';
const SCOPE = `api://${CLIENT}/execute`;
const REDIRECT = 'http://127.0.0.1:51234/callback';
const T0 = 1_800_000_000_000;

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function settingsFor(publicUrl = PUBLIC_URL) {
  return loadSettings({
    ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
    ENTRA_CLIENT_ID: CLIENT,
    OBO_CREDENTIAL: 'secret',
    OBO_CLIENT_SECRET: 'super-secret-value-123',
    MCP_PUBLIC_URL: publicUrl,
    MCP_OAUTH_PROXY: 'on',
    MCP_OAUTH_PROXY_KEY: randomBytes(32).toString('base64url'),
  });
}

/** Entra's side of the proxy, faked: what refresh is asked, and what it answers. */
class FakeSignIn {
  readonly refreshed: string[] = [];
  next: (rt: string) => UpstreamTokens;
  constructor(now: () => number) {
    this.next = () => ({
      accessToken: `entra-at-${randomUUID()}`,
      expiresAt: Math.floor(now() / 1000) + 3600,
      refreshToken: `entra-rt-${randomUUID()}`,
    });
  }
  refresh(rt: string): Promise<UpstreamTokens> {
    this.refreshed.push(rt);
    return Promise.resolve(this.next(rt));
  }
}

/** A ProxyContext of real keys and clients, a fake Entra sign-in and a frozen clock. */
function fixture(options: { publicUrl?: string; key?: Uint8Array } = {}) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const keys = new ProxyKeyRing([options.key ?? new Uint8Array(randomBytes(32))], now);
  const used = new Set<string>();
  const signIn = new FakeSignIn(now);
  // The Entra access tokens ARM asks a stronger sign-in for (Conditional Access), and its claims challenge.
  const stepUp = { tokens: new Set<string>(), claims: '{"access_token":{"capolids":{"essential":true}}}' };
  const ctx: ProxyContext = {
    settings: settingsFor(options.publicUrl),
    keys: () => Promise.resolve(keys),
    clients: new ClientResolver({ keys: () => Promise.resolve(keys), fetch: {}, now }),
    signIn: signIn as unknown as EntraSignIn,
    stepUpClaims: (at) => Promise.resolve(stepUp.tokens.has(at) ? stepUp.claims : undefined),
    useCode: (id) => {
      if (used.has(id)) return false;
      used.add(id);
      return true;
    },
    logger: silent,
    now,
  };
  const nowSec = () => Math.floor(clock.t / 1000);
  return { ctx, keys, clock, signIn, stepUp, nowSec };
}

type Fixture = ReturnType<typeof fixture>;

async function registeredClient(f: Fixture, redirect = REDIRECT): Promise<string> {
  return String((await register({ redirect_uris: [redirect] }, f.keys, f.nowSec())).client_id);
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A code as the callback hands it out, for `clientId`. */
async function code(f: Fixture, clientId: string, overrides: Partial<CodeClaims> = {}) {
  const { verifier, challenge } = pkce();
  const claims: CodeClaims = {
    jti: randomUUID(),
    cidh: digest(clientId),
    ru: REDIRECT,
    cc: challenge,
    sc: SCOPE,
    at: 'entra-access-token',
    ate: f.nowSec() + 3600,
    rt: 'entra-refresh-token',
    ...overrides,
  };
  return { code: await f.keys.seal('code', { ...claims }, f.nowSec() + 60), verifier };
}

function post(form: Record<string, string>): [Request, URLSearchParams] {
  const body = new URLSearchParams(form);
  return [
    new Request('http://10.0.0.4:7071/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    }),
    body,
  ];
}

async function tokenJson(f: Fixture, form: Record<string, string>) {
  const response = await token(f.ctx, ...post(form));
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, unknown>;
}

function redeemForm(
  clientId: string,
  c: { code: string; verifier: string },
  extra: Record<string, string> = {},
) {
  return {
    grant_type: 'authorization_code',
    client_id: clientId,
    code: c.code,
    redirect_uri: REDIRECT,
    code_verifier: c.verifier,
    ...extra,
  };
}

async function issued(f: Fixture) {
  const clientId = await registeredClient(f);
  const json = await tokenJson(f, redeemForm(clientId, await code(f, clientId)));
  return { clientId, accessToken: String(json.access_token), refreshToken: String(json.refresh_token) };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OAuthProxyError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

async function refusedAs(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenError, String(error));
    assert.equal(error.code, code);
    return true;
  });
}

describe('unwrapAccessToken', () => {
  it('opens an access token of the token endpoint: the Entra token inside and the client it was issued to', async () => {
    const f = fixture();
    const { clientId, accessToken } = await issued(f);
    assert.equal(accessToken.split('.').length, 5);
    assert.ok(!accessToken.includes('entra-access-token'));
    assert.deepEqual(await unwrapAccessToken(f.ctx, accessToken, 'http://10.0.0.4:7071/mcp'), {
      entraToken: 'entra-access-token',
      clientId,
    });
  });

  it('refuses it once the Entra token inside has expired: token_expired', async () => {
    const f = fixture();
    const { accessToken } = await issued(f);
    f.clock.t += 3601_000;
    await refusedAs(unwrapAccessToken(f.ctx, accessToken, PUBLIC_URL), 'token_expired');
  });

  it('refuses a tampered token: token_invalid', async () => {
    const f = fixture();
    const { accessToken } = await issued(f);
    const parts = accessToken.split('.');
    parts[3] = `${parts[3]?.slice(0, -2)}${parts[3]?.endsWith('AA') ? 'BB' : 'AA'}`;
    await refusedAs(unwrapAccessToken(f.ctx, parts.join('.'), PUBLIC_URL), 'token_invalid');
  });

  it('refuses a refresh token presented as an access token: token_invalid', async () => {
    const f = fixture();
    const { refreshToken } = await issued(f);
    await refusedAs(unwrapAccessToken(f.ctx, refreshToken, PUBLIC_URL), 'token_invalid');
  });

  it('refuses a token sealed under a key no longer in the ring: token_invalid', async () => {
    const retired = fixture();
    const { accessToken } = await issued(retired);
    await refusedAs(unwrapAccessToken(fixture().ctx, accessToken, PUBLIC_URL), 'token_invalid');
  });

  it('refuses an Entra token (a JWS) and garbage: token_invalid', async () => {
    const f = fixture();
    for (const t of ['eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln', 'a.b.c.d.e', '']) {
      await refusedAs(unwrapAccessToken(f.ctx, t, PUBLIC_URL), 'token_invalid');
    }
  });

  it('refuses a token issued for another MCP server sharing the key: token_bad_audience', async () => {
    const key = new Uint8Array(randomBytes(32));
    const other = fixture({ key, publicUrl: 'https://other.contoso.example/mcp' });
    const { accessToken } = await issued(other);
    const here = fixture({ key });
    await refusedAs(unwrapAccessToken(here.ctx, accessToken, PUBLIC_URL), 'token_bad_audience');
  });

  for (const [name, claims] of [
    ['another issuer', { iss: 'https://other.contoso.example', aud: PUBLIC_URL }],
    ['another audience', { iss: ISSUER, aud: 'https://mcp.contoso.example/other' }],
    ['no audience', { iss: ISSUER }],
  ] as const) {
    it(`refuses a token with ${name}: token_bad_audience`, async () => {
      const f = fixture();
      const sealed = await f.keys.seal('access-token', { ...claims, cid: 'c', at: 'entra' }, f.nowSec() + 60);
      await refusedAs(unwrapAccessToken(f.ctx, sealed, PUBLIC_URL), 'token_bad_audience');
    });
  }

  for (const [name, claims] of [
    ['no Entra token', { cid: 'c' }],
    ['no client id', { at: 'entra' }],
    ['a non-string Entra token', { cid: 'c', at: 42 }],
  ] as const) {
    it(`refuses a token with ${name}: token_invalid`, async () => {
      const f = fixture();
      const sealed = await f.keys.seal(
        'access-token',
        { iss: ISSUER, aud: PUBLIC_URL, ...claims },
        f.nowSec() + 60,
      );
      await refusedAs(unwrapAccessToken(f.ctx, sealed, PUBLIC_URL), 'token_invalid');
    });
  }

  it('answers MetadataUnavailableError when the keys cannot be loaded', async () => {
    const f = fixture();
    const { accessToken } = await issued(f);
    const down = new Error('Key Vault is unreachable');
    const ctx = { settings: f.ctx.settings, keys: () => Promise.reject(down) };
    await assert.rejects(unwrapAccessToken(ctx, accessToken, PUBLIC_URL), (error: unknown) => {
      assert.ok(error instanceof MetadataUnavailableError, String(error));
      assert.equal(error.cause, down);
      return true;
    });
  });
});

describe('token: authorization_code', () => {
  it('answers the wrapped tokens, never cached', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const response = await token(
      f.ctx,
      ...post(redeemForm(clientId, await code(f, clientId, { ate: f.nowSec() + 1234 }))),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const json = (await response.json()) as Record<string, unknown>;
    assert.equal(json.token_type, 'Bearer');
    assert.equal(json.expires_in, 1234);
    assert.equal(json.scope, SCOPE);
    assert.equal(String(json.refresh_token).split('.').length, 5);
    assert.ok(!JSON.stringify(json).includes('entra-refresh-token'), 'the Entra refresh token stays sealed');
  });

  it('issues no refresh token when Entra gave none', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const json = await tokenJson(f, redeemForm(clientId, await code(f, clientId, { rt: undefined })));
    assert.equal('refresh_token' in json, false);
  });

  it('redeems a code once', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const c = await code(f, clientId);
    await tokenJson(f, redeemForm(clientId, c));
    await rejectsWith(token(f.ctx, ...post(redeemForm(clientId, c))), 'invalid_grant', /already been used/);
  });

  it('refuses a wrong code_verifier, without burning the code', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const c = await code(f, clientId);
    await rejectsWith(
      token(f.ctx, ...post(redeemForm(clientId, c, { code_verifier: pkce().verifier }))),
      'invalid_grant',
      /PKCE/,
    );
    await tokenJson(f, redeemForm(clientId, c));
  });

  for (const [name, verifier] of [
    ['too short', 'a'.repeat(42)],
    ['with characters outside RFC 7636', `${'a'.repeat(42)}+`],
  ] as const) {
    it(`refuses a code_verifier ${name}`, async () => {
      const f = fixture();
      const clientId = await registeredClient(f);
      const c = await code(f, clientId, { cc: createHash('sha256').update(verifier).digest('base64url') });
      await rejectsWith(
        token(f.ctx, ...post(redeemForm(clientId, { ...c, verifier }))),
        'invalid_grant',
        /PKCE/,
      );
    });
  }

  it('refuses a code issued to another client', async () => {
    const f = fixture();
    const [mine, theirs] = [await registeredClient(f), await registeredClient(f)];
    const c = await code(f, theirs);
    await rejectsWith(token(f.ctx, ...post(redeemForm(mine, c))), 'invalid_grant', /another client/);
  });

  it('refuses another redirect_uri than the authorization request', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const c = await code(f, clientId);
    await rejectsWith(
      token(f.ctx, ...post(redeemForm(clientId, c, { redirect_uri: 'http://127.0.0.1:60000/callback' }))),
      'invalid_grant',
      /redirect_uri/,
    );
  });

  it('refuses an expired code', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const c = await code(f, clientId);
    f.clock.t += 61_000;
    await rejectsWith(
      token(f.ctx, ...post(redeemForm(clientId, c))),
      'invalid_grant',
      /not valid or has expired/,
    );
  });

  it('refuses a state (another sealed type) presented as a code', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const state = await f.keys.seal('state', { cidh: digest(clientId), ru: REDIRECT }, f.nowSec() + 60);
    await rejectsWith(
      token(f.ctx, ...post(redeemForm(clientId, { code: state, verifier: pkce().verifier }))),
      'invalid_grant',
    );
  });

  it('refuses a code whose Entra token has already expired: server_error', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const c = await code(f, clientId, { ate: f.nowSec() });
    await rejectsWith(token(f.ctx, ...post(redeemForm(clientId, c))), 'server_error');
  });

  it('accepts resource when it is this MCP server, and refuses another: invalid_target', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    await tokenJson(f, redeemForm(clientId, await code(f, clientId), { resource: PUBLIC_URL }));
    await rejectsWith(
      token(
        f.ctx,
        ...post(redeemForm(clientId, await code(f, clientId), { resource: 'https://evil.example/mcp' })),
      ),
      'invalid_target',
    );
  });

  it('refuses an unknown client: invalid_client', async () => {
    const f = fixture();
    const clientId = await registeredClient(f);
    const c = await code(f, clientId);
    await rejectsWith(token(f.ctx, ...post(redeemForm(`${clientId}x`, c))), 'invalid_client');
  });

  for (const name of ['code', 'redirect_uri', 'code_verifier', 'client_id']) {
    it(`refuses a request without ${name}: invalid_request`, async () => {
      const f = fixture();
      const clientId = await registeredClient(f);
      const form: Record<string, string> = redeemForm(clientId, await code(f, clientId));
      delete form[name];
      await rejectsWith(token(f.ctx, ...post(form)), 'invalid_request', new RegExp(name));
    });
  }

  it('refuses a request without grant_type: invalid_request', async () => {
    await rejectsWith(token(fixture().ctx, ...post({ client_id: 'x' })), 'invalid_request', /grant_type/);
  });

  for (const grant of ['client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
    it(`refuses grant_type ${grant}: unsupported_grant_type`, async () => {
      await rejectsWith(
        token(fixture().ctx, ...post({ grant_type: grant, client_id: 'x' })),
        'unsupported_grant_type',
      );
    });
  }
});

describe('token: refresh_token', () => {
  it('redeems the Entra refresh token inside and wraps the rotated one', async () => {
    const f = fixture();
    const { clientId, refreshToken } = await issued(f);
    const first = await tokenJson(f, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refreshToken,
    });
    assert.deepEqual(f.signIn.refreshed, ['entra-refresh-token']);
    const unwrapped = await unwrapAccessToken(f.ctx, String(first.access_token), PUBLIC_URL);
    assert.match(unwrapped.entraToken, /^entra-at-/);
    assert.equal(unwrapped.clientId, clientId);
    assert.notEqual(first.refresh_token, refreshToken);
    await tokenJson(f, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: String(first.refresh_token),
    });
    assert.match(
      f.signIn.refreshed[1] ?? '',
      /^entra-rt-/,
      'the second refresh uses the rotated Entra token',
    );
  });

  it('keeps the Entra refresh token in hand when Entra does not rotate it', async () => {
    const f = fixture();
    const { clientId, refreshToken } = await issued(f);
    f.signIn.next = () => ({
      accessToken: 'entra-at-2',
      expiresAt: f.nowSec() + 3600,
      refreshToken: undefined,
    });
    const next = await tokenJson(f, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refreshToken,
    });
    await tokenJson(f, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: String(next.refresh_token),
    });
    assert.deepEqual(f.signIn.refreshed, ['entra-refresh-token', 'entra-refresh-token']);
  });

  it('refuses a refresh token presented by another client, without asking Entra', async () => {
    const f = fixture();
    const { refreshToken } = await issued(f);
    const other = await registeredClient(f);
    await rejectsWith(
      token(f.ctx, ...post({ grant_type: 'refresh_token', client_id: other, refresh_token: refreshToken })),
      'invalid_grant',
      /another client/,
    );
    assert.deepEqual(f.signIn.refreshed, []);
  });

  it('refuses an access token presented as a refresh token', async () => {
    const f = fixture();
    const { clientId, accessToken } = await issued(f);
    await rejectsWith(
      token(f.ctx, ...post({ grant_type: 'refresh_token', client_id: clientId, refresh_token: accessToken })),
      'invalid_grant',
    );
  });

  it('accepts the granted scope again and refuses another: invalid_scope', async () => {
    const f = fixture();
    const { clientId, refreshToken } = await issued(f);
    const form = { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken };
    await tokenJson(f, { ...form, scope: `${SCOPE} offline_access` });
    await rejectsWith(
      token(f.ctx, ...post({ ...form, scope: 'https://management.azure.com/.default' })),
      'invalid_scope',
    );
  });

  it('refuses a refresh whose new Entra token ARM wants a stronger sign-in for: invalid_grant', async () => {
    const f = fixture();
    const { clientId, refreshToken } = await issued(f);
    f.signIn.next = () => ({
      accessToken: 'entra-at-weak',
      expiresAt: f.nowSec() + 3600,
      refreshToken: 'rt-2',
    });
    f.stepUp.tokens.add('entra-at-weak');
    await rejectsWith(
      token(
        f.ctx,
        ...post({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }),
      ),
      'invalid_grant',
      /stronger sign-in/,
    );
  });
});
