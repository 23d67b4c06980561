// The OAuth proxy against hostile or broken clients, one case per test, through the dev host and the emulator:
// nothing is ever redirected to a URI the client did not register, and every refusal is the OAuth error the
// specifications name.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseProxyKeys } from '../../src/config/settings.js';
import { ProxyKeyRing } from '../../src/oauth/keys.js';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import type { DevHost } from '../helpers/dev-host.js';
import { startDevHost } from '../helpers/dev-host.js';
import { freePort, newProxyKey, startDocumentServer, startProxyHost } from '../helpers/oauth-proxy.js';
import { ScriptedBrowser, consentForm } from '../helpers/scripted-browser.js';

const REDIRECT = 'http://127.0.0.1:53800/callback';

let emulator: Emulator;
let host: DevHost & { key: string };
let origin: string;

before(async () => {
  emulator = await startEmulator();
  host = await startProxyHost(emulator);
  origin = new URL(host.mcpUrl).origin;
});

after(async () => {
  await host?.stop();
  await emulator?.stop();
});

async function register(body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${origin}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function registeredClient(redirectUris = [REDIRECT]): Promise<string> {
  const res = await register({ client_name: 'hostile test', redirect_uris: redirectUris });
  assert.equal(res.status, 201);
  return ((await res.json()) as { client_id: string }).client_id;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL(`${origin}/oauth/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function baseParams(clientId: string, challenge: string): Record<string, string> {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    resource: host.mcpUrl,
    scope: `api://${emulator.clientId}/execute`,
  };
}

const atClient = (u: URL) => u.toString().startsWith(REDIRECT);

/** Runs a whole sign-in in a scripted browser; the client's callback URL and the browser. */
async function signIn(
  clientId: string,
  challenge: string,
): Promise<{ callback: URL; browser: ScriptedBrowser }> {
  const browser = new ScriptedBrowser();
  const opened = await browser.open(authorizeUrl(baseParams(clientId, challenge)), atClient);
  assert.ok(opened.page, 'the consent page');
  const decided = await browser.decide(opened.page, 'approve', atClient);
  assert.ok(decided.stoppedAt, 'back at the client');
  return { callback: decided.stoppedAt, browser };
}

async function tokenRequest(
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function codeFor(clientId: string): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const { callback } = await signIn(clientId, challenge);
  const code = callback.searchParams.get('code');
  assert.ok(code);
  return { code, verifier };
}

function redeem(clientId: string, code: string, verifier: string, extra: Record<string, string> = {}) {
  return tokenRequest({
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT,
    resource: host.mcpUrl,
    ...extra,
  });
}

/** The answer is an error page of the proxy: HTML, no redirect anywhere. */
function assertErrorPage(res: { status: number; headers: Headers; body: string }, pattern: RegExp): void {
  assert.equal(res.status, 400, res.body.slice(0, 300));
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(res.body, pattern);
}

function keyRing(key: string, now?: () => number): ProxyKeyRing {
  return new ProxyKeyRing(parseProxyKeys(key)!, now);
}

describe('OAuth proxy: hostile requests', () => {
  it('an unregistered redirect URI gets an error page, never a redirect', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const res = await new ScriptedBrowser().request(
      authorizeUrl({ ...baseParams(clientId, challenge), redirect_uri: 'http://127.0.0.1:53800/other' }),
    );
    assertErrorPage(res, /not one the client registered/);
  });

  it('open-redirect attempts (another host, userinfo, a longer path, a lookalike scheme) get error pages', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    for (const redirect of [
      'https://evil.example/callback',
      'http://127.0.0.1:53800@evil.example/callback',
      'http://127.0.0.1:53800/callback/../../evil',
      'http://127.0.0.1:53800/callbackx',
      'http://localhost:53800/callback',
      'https://127.0.0.1:53800/callback',
    ]) {
      const res = await new ScriptedBrowser().request(
        authorizeUrl({ ...baseParams(clientId, challenge), redirect_uri: redirect }),
      );
      assertErrorPage(res, /not one the client registered/);
    }
  });

  it('javascript:, data: and fragment redirect URIs are refused at registration (invalid_redirect_uri)', async () => {
    for (const uri of [
      'javascript:alert(1)',
      'data:text/html,hi',
      'https://client.example/cb#frag',
      'http://client.example/cb',
      'myapp://callback',
    ]) {
      const res = await register({ client_name: 'x', redirect_uris: [uri] });
      assert.equal(res.status, 400, uri);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_redirect_uri', uri);
      assert.ok(body.error_description);
    }
  });

  it('PKCE missing or plain at authorize goes back as invalid_request; a wrong verifier is invalid_grant', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    for (const params of [
      { code_challenge: undefined, code_challenge_method: undefined },
      { code_challenge_method: 'plain' },
    ]) {
      const res = await new ScriptedBrowser().request(
        authorizeUrl({ ...baseParams(clientId, challenge), ...params }),
      );
      assert.equal(res.status, 302);
      const back = new URL(res.headers.get('location')!);
      assert.ok(back.toString().startsWith(REDIRECT));
      assert.equal(back.searchParams.get('error'), 'invalid_request');
      assert.equal(back.searchParams.get('state'), 'st-1');
      assert.equal(back.searchParams.get('iss'), origin);
    }
    const { code } = await codeFor(clientId);
    const wrong = await redeem(clientId, code, pkce().verifier);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
  });

  it('a code is redeemed once: the replay is invalid_grant', async () => {
    const clientId = await registeredClient();
    const { code, verifier } = await codeFor(clientId);
    const first = await redeem(clientId, code, verifier);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const replay = await redeem(clientId, code, verifier);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.match(String(replay.body.error_description), /already been used/);
  });

  it('a refresh token is used once (rotation), and the chain ends 90 days after the sign-in, not later', async () => {
    const clientId = await registeredClient();
    const { code, verifier } = await codeFor(clientId);
    const issued = await redeem(clientId, code, verifier);
    const first = String(issued.body.refresh_token);
    const refresh = (rt: string) =>
      tokenRequest({
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: rt,
        resource: host.mcpUrl,
      });
    const rotated = await refresh(first);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const replay = await refresh(first);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.match(String(replay.body.error_description), /already been used/);
    // The new refresh token ends when the first did: refreshing does not extend the sign-in.
    const ring = keyRing(host.key);
    const a = await ring.open<{ sat: number }>('refresh-token', first);
    const b = await ring.open<{ sat: number }>('refresh-token', String(rotated.body.refresh_token));
    assert.ok(a.ok && b.ok);
    assert.equal(b.claims.exp, a.claims.exp);
    assert.equal(b.claims.sat, a.claims.sat);
    assert.equal(a.claims.exp! - a.claims.sat, 90 * 24 * 3600);
  });

  it('expired or tampered codes, states, tokens and registrations are refused', async () => {
    const clientId = await registeredClient();
    const { code, verifier } = await codeFor(clientId);
    const past = keyRing(host.key, () => Date.now() - 3_600_000);
    const expiredCode = await past.seal('code', { jti: 'x' }, Math.floor(Date.now() / 1000) - 3000);
    const tampered = `${code.slice(0, -4)}AAAA`;
    for (const bad of [expiredCode, tampered]) {
      const res = await redeem(clientId, bad, verifier);
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_grant');
    }
    // An expired state at Entra's callback: an error page (nowhere trusted to go back to).
    const expiredState = await past.seal('state', { ru: REDIRECT }, Math.floor(Date.now() / 1000) - 3000);
    const callback = await new ScriptedBrowser().request(
      `${origin}/oauth/callback?code=x&state=${expiredState}`,
    );
    assertErrorPage(callback, /expired/);
    // An expired or tampered access token at /mcp: 401.
    for (const token of [
      await past.seal('access-token', { cid: clientId, at: 'x' }, Math.floor(Date.now() / 1000) - 3000),
      tampered,
    ]) {
      const res = await fetch(host.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: '{}',
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
    // A registration whose signature was altered is no client.
    const [h, p, s] = clientId.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ redirect_uris: ['https://evil.example/cb'], application_type: 'web', iat: 1 })).toString('base64url')}.${s}`;
    void p;
    const res = await new ScriptedBrowser().request(
      authorizeUrl({ ...baseParams(forged, pkce().challenge), redirect_uri: 'https://evil.example/cb' }),
    );
    assertErrorPage(res, /unknown here/);
  });

  it('a resource other than this server is invalid_target, at authorize and at the token endpoint', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const res = await new ScriptedBrowser().request(
      authorizeUrl({ ...baseParams(clientId, challenge), resource: 'https://management.azure.com/' }),
    );
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.get('location')!).searchParams.get('error'), 'invalid_target');
    const { code, verifier } = await codeFor(clientId);
    const token = await redeem(clientId, code, verifier, { resource: 'https://management.azure.com/' });
    assert.equal(token.status, 400);
    assert.equal(token.body.error, 'invalid_target');
  });

  it('a remembered approval is not used when another site starts the sign-in (Sec-Fetch-Site: cross-site)', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const { browser } = await signIn(clientId, challenge);
    const again = await browser.request(authorizeUrl(baseParams(clientId, challenge)), {
      headers: { 'sec-fetch-site': 'none' },
    });
    assert.equal(again.status, 302, 'remembered: straight to Entra ID');
    const fromElsewhere = await browser.request(authorizeUrl(baseParams(clientId, challenge)), {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(fromElsewhere.status, 200, 'the consent page again');
    assert.match(fromElsewhere.body, /button[^>]*value="approve"/);
  });

  it('the consent form is refused without its CSRF token or without the browser cookie', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const browser = new ScriptedBrowser();
    const page = await browser.request(authorizeUrl(baseParams(clientId, challenge)));
    assert.equal(page.status, 200);
    const form = consentForm(page.body, page.url);
    const noCsrf = await browser.request(form.action, {
      method: 'POST',
      form: { transaction: form.fields.transaction!, decision: 'approve' },
      origin,
    });
    assert.equal(noCsrf.status, 403);
    assert.equal(noCsrf.headers.get('location'), null);
    const otherBrowser = new ScriptedBrowser();
    const noCookie = await otherBrowser.request(form.action, {
      method: 'POST',
      form: { ...form.fields, decision: 'approve' },
      origin,
    });
    assert.equal(noCookie.status, 403);
    assert.equal(noCookie.headers.get('location'), null);
    const crossSite = await browser.request(form.action, {
      method: 'POST',
      form: { ...form.fields, decision: 'approve' },
      origin: 'https://evil.example',
    });
    assert.equal(crossSite.status, 403);
  });

  it('pages cannot be framed, run no script and are not cached; cookies are __Host-, Secure, HttpOnly, SameSite=Lax', async () => {
    const clientId = await registeredClient();
    const res = await new ScriptedBrowser().request(authorizeUrl(baseParams(clientId, pkce().challenge)));
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src|unsafe-inline/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(res.body, /<script/i);
    const cookie = res.headers.getSetCookie()[0] ?? '';
    assert.match(cookie, /^__Host-azure-obo-mcp-browser=/);
    for (const attribute of [/; Secure/i, /; HttpOnly/i, /; SameSite=Lax/i, /; Path=\//i])
      assert.match(cookie, attribute);
  });

  it('CORS as on Flex: the token endpoint answers with *, a preflight from an origin not allowed is refused', async () => {
    const preflight = await fetch(`${origin}/oauth/token`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://inspector.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const token = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { origin: 'https://inspector.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code',
    });
    assert.equal(token.status, 400);
    assert.equal(token.headers.get('access-control-allow-origin'), '*');
    const metadata = await fetch(`${origin}/.well-known/oauth-authorization-server`, { method: 'HEAD' });
    assert.equal(metadata.status, 200);
    assert.equal(await metadata.text(), '', 'HEAD: no body');
  });

  it('a CIMD document whose client_id differs from its URL is refused', async () => {
    const docs = await startDocumentServer(emulator.caDir);
    try {
      const clientId = `${docs.origin}/client.json`;
      docs.routes.set('/client.json', {
        body: { client_id: `${docs.origin}/other.json`, client_name: 'Impostor', redirect_uris: [REDIRECT] },
      });
      const res = await new ScriptedBrowser().request(authorizeUrl(baseParams(clientId, pkce().challenge)));
      assertErrorPage(res, /another client_id/);
      assert.doesNotMatch(res.body, /Impostor/);
    } finally {
      await docs.stop();
    }
  });

  it('a CIMD URL resolving to a loopback, private or metadata address is refused without a fetch', async () => {
    // A deployed server (its public URL not on loopback): the CIMD draft's loopback exception does not apply.
    const docs = await startDocumentServer(emulator.caDir);
    const port = await freePort();
    const deployed = await startDevHost({
      ...emulator.env('secret'),
      PORT: String(port),
      MCP_PUBLIC_URL: 'https://mcp.contoso.example/mcp',
      MCP_OAUTH_PROXY: 'on',
      MCP_OAUTH_PROXY_KEY: newProxyKey(),
    });
    try {
      docs.routes.set('/client.json', {
        body: { client_id: `${docs.origin}/client.json`, redirect_uris: [REDIRECT] },
      });
      for (const clientId of [
        `${docs.origin}/client.json`, // localhost: resolves to 127.0.0.1
        'https://10.1.2.3/client.json',
        'https://169.254.169.254/metadata/client.json',
        'https://[::1]/client.json',
        'https://168.63.129.16/client.json',
      ]) {
        const url = new URL(`${deployed.url}/oauth/authorize`);
        url.search = new URLSearchParams({ ...baseParams(clientId, pkce().challenge) }).toString();
        const res = await new ScriptedBrowser().request(url.toString());
        assertErrorPage(res, /not public/);
      }
      assert.deepEqual(docs.requests, [], 'nothing was fetched');
    } finally {
      await deployed.stop();
      await docs.stop();
    }
  });

  it('an oversized registration body is refused with 413 invalid_client_metadata', async () => {
    const res = await register({ client_name: 'x'.repeat(20_000), redirect_uris: [REDIRECT] });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client_metadata');
  });

  it('a refresh token presented by another client is invalid_grant', async () => {
    const clientA = await registeredClient();
    const clientB = await registeredClient();
    const { code, verifier } = await codeFor(clientA);
    const issued = await redeem(clientA, code, verifier);
    assert.equal(issued.status, 200);
    const stolen = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: clientB,
      refresh_token: String(issued.body.refresh_token),
    });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error, 'invalid_grant');
    assert.match(String(stolen.body.error_description), /another client/);
    // The same code presented by another client is refused too.
    const second = await codeFor(clientA);
    const other = await redeem(clientB, second.code, second.verifier);
    assert.equal(other.body.error, 'invalid_grant');
  });

  it('a token sealed under a retired key is refused once the key is gone from MCP_OAUTH_PROXY_KEY', async () => {
    const retired = newProxyKey();
    const current = newProxyKey();
    const port = await freePort();
    const base = {
      ...emulator.env('secret'),
      PORT: String(port),
      MCP_PUBLIC_URL: `http://127.0.0.1:${port}/mcp`,
      MCP_OAUTH_PROXY: 'on',
    };
    const now = Math.floor(Date.now() / 1000);
    const entra = await emulator.issueUserToken();
    const token = await keyRing(retired).seal(
      'access-token',
      {
        iss: `http://127.0.0.1:${port}`,
        aud: `http://127.0.0.1:${port}/mcp`,
        cid: 'https://client.example/c.json',
        at: entra,
      },
      now + 600,
    );
    const call = (mcpUrl: string) =>
      fetch(mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'get_user_info', arguments: {} },
        }),
      });
    // Rotation: the new key first, the old one still listed: the old token works.
    let rotating = await startDevHost({ ...base, MCP_OAUTH_PROXY_KEY: `${current},${retired}` });
    try {
      assert.equal((await call(rotating.mcpUrl)).status, 200);
    } finally {
      await rotating.stop();
    }
    // Retired: removed from the list.
    rotating = await startDevHost({ ...base, MCP_OAUTH_PROXY_KEY: current });
    try {
      const res = await call(rotating.mcpUrl);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    } finally {
      await rotating.stop();
    }
  });
});
