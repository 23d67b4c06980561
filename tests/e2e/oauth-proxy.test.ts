// End to end with the MCP TypeScript SDK's own OAuth client against a default configuration (scopes under
// api://<client-id>) with MCP_OAUTH_PROXY=on: the client has no pre-registered id and registers (DCR), or names a
// client metadata document (CIMD); the person approves the consent page; the proxy signs them in at the emulated
// Entra ID as the API app; the client gets the proxy's tokens and calls tools; refresh works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runDoctor } from '../../cli/doctor.js';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { textOf } from '../helpers/mcp-client.js';
import {
  ProxyClientProvider,
  newProxyKey,
  startDocumentServer,
  startProxyHost,
} from '../helpers/oauth-proxy.js';

let emulator: Emulator;
let host: DevHost;

before(async () => {
  emulator = await startEmulator();
  host = await startProxyHost(emulator);
});

after(async () => {
  await host?.stop();
  await emulator?.stop();
});

/** Signs in through the proxy with `provider` (the SDK drives discovery, registration, PKCE and the code). */
async function signIn(provider: ProxyClientProvider): Promise<void> {
  const transport = new StreamableHTTPClientTransport(new URL(host.mcpUrl), { authProvider: provider });
  await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError);
  const code = provider.callback?.searchParams.get('code');
  assert.ok(code, `no code at the client's redirect URI: ${provider.callback?.toString() ?? 'none'}`);
  await transport.finishAuth(code);
}

async function connected(provider: ProxyClientProvider): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(host.mcpUrl), { authProvider: provider }));
  return client;
}

function subscriptionIds(result: object): string[] {
  const out = (result as { structuredContent?: { subscriptions: { subscriptionId: string }[] } })
    .structuredContent;
  return (out?.subscriptions ?? []).map((s) => s.subscriptionId).sort();
}

const ALICE_SUBSCRIPTIONS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];

describe('MCP SDK OAuth client through the proxy, default api:// configuration', () => {
  it("registers (DCR), signs in after consent, and get_subscriptions returns the user's subscriptions", async () => {
    emulator.resetCounts();
    const provider = new ProxyClientProvider('http://127.0.0.1:53712/callback', { name: 'DCR e2e client' });
    await signIn(provider);

    // The SDK found this server as its authorization server and registered with it.
    const origin = new URL(host.mcpUrl).origin;
    assert.equal(
      provider.authorizationUrl?.origin + provider.authorizationUrl!.pathname,
      `${origin}/oauth/authorize`,
    );
    const sent = provider.authorizationUrl!.searchParams;
    assert.equal(sent.get('resource'), host.mcpUrl);
    assert.equal(sent.get('scope'), `api://${emulator.clientId}/execute`);
    assert.equal(sent.get('code_challenge_method'), 'S256');
    assert.ok(provider.clientInformation()?.client_id);
    assert.match(provider.consentPage ?? '', /DCR e2e client/);
    assert.match(provider.consentPage ?? '', /Unverified client/);

    // Back at the client: its state and this issuer (RFC 9207).
    assert.equal(provider.callback?.searchParams.get('state'), 'proxy-e2e-state');
    assert.equal(provider.callback?.searchParams.get('iss'), origin);

    // The proxy's own Entra sign-in: the API app, confidential, with its secret and PKCE.
    const redeemed = emulator.tokenRequests.find((r) => r.grantType === 'authorization_code');
    assert.ok(redeemed?.ok, JSON.stringify(emulator.tokenRequests));
    assert.equal(redeemed.clientAuth, 'secret');
    assert.ok(redeemed.paramNames.includes('code_verifier'));
    assert.ok(!redeemed.paramNames.includes('resource'), 'no resource upstream');

    // The client holds the proxy's tokens, never Entra's.
    const tokens = provider.tokens();
    assert.ok(tokens?.access_token && tokens.refresh_token);
    assert.equal(tokens.access_token.split('.').length, 5, 'a JWE');
    assert.equal(tokens.refresh_token.split('.').length, 5, 'a JWE');

    const client = await connected(provider);
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(subscriptionIds(result), ALICE_SUBSCRIPTIONS);
    assert.equal(emulator.counts()['entra.token.obo'], 1);
    await client.close();
    assert.match(host.logs(), /mcp: tools\/call get_subscriptions by client registered:/);
  });

  it('refreshes: an unusable access token is replaced through the refresh token, without a new sign-in', async () => {
    const provider = new ProxyClientProvider('http://127.0.0.1:53713/callback');
    await signIn(provider);
    const first = provider.tokens()!;
    emulator.resetCounts();
    // What an expired token looks like to the client: rejected with 401 invalid_token.
    provider.saveTokens({ ...first, access_token: 'not-a-token' });
    const client = await connected(provider);
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(subscriptionIds(result), ALICE_SUBSCRIPTIONS);
    const refreshed = emulator.tokenRequests.filter((r) => r.grantType === 'refresh_token');
    assert.equal(refreshed.length, 1);
    assert.equal(refreshed[0]?.clientAuth, 'secret', 'the proxy redeems with its credential');
    const second = provider.tokens()!;
    assert.notEqual(second.refresh_token, first.refresh_token, 'the refresh token is rotated');
    assert.equal(emulator.counts()['entra.token.authorization_code'] ?? 0, 0, 'no new sign-in');
    await client.close();
  });

  it("with a client metadata document (CIMD): signs in as the document's client and calls tools", async () => {
    const docs = await startDocumentServer(emulator.caDir);
    try {
      const clientId = `${docs.origin}/oauth/client-metadata.json`;
      const redirect = 'http://127.0.0.1:53714/callback';
      docs.routes.set('/oauth/client-metadata.json', {
        body: {
          client_id: clientId,
          client_name: 'CIMD e2e client',
          redirect_uris: [redirect],
          token_endpoint_auth_method: 'none',
        },
        headers: { 'cache-control': 'max-age=300' },
      });
      const provider = new ProxyClientProvider(redirect, { clientMetadataUrl: clientId });
      await signIn(provider);
      assert.equal(
        provider.authorizationUrl?.searchParams.get('client_id'),
        clientId,
        'the URL is the client id',
      );
      assert.match(provider.consentPage ?? '', /CIMD e2e client/);
      assert.match(
        provider.consentPage ?? '',
        new RegExp(`published at <strong>${new URL(clientId).host}</strong>`),
      );
      // Fetched once for the authorize request; the token request is answered from the cache.
      assert.deepEqual(docs.requests, ['/oauth/client-metadata.json']);

      const client = await connected(provider);
      const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
      assert.equal(result.isError, undefined, textOf(result));
      assert.deepEqual(subscriptionIds(result), ALICE_SUBSCRIPTIONS);
      await client.close();
      assert.match(host.logs(), new RegExp(`by client ${clientId.replace(/[.]/g, '\\.')}`));
    } finally {
      await docs.stop();
    }
  });

  it('doctor passes on the proxy-mode server: AS metadata, CIMD and DCR, the callback', async () => {
    const report = await runDoctor(host.mcpUrl, { timeoutMs: 10_000, authorityHost: emulator.entraUrl });
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 2));
    for (const id of ['authorization_server_metadata', 'client_registration', 'callback'] as const)
      assert.equal(report.checks.find((c) => c.id === id)?.status, 'pass', id);
  });

  it('remembers an approval in this browser: the same client signing in again skips the consent page', async () => {
    const first = new ProxyClientProvider('http://127.0.0.1:53715/callback');
    await signIn(first);
    assert.ok(first.consentPage);
    emulator.resetCounts();
    const again = new ProxyClientProvider('http://127.0.0.1:53715/callback', {
      browser: first.browser,
      client: first.clientInformation(),
    });
    await signIn(again);
    assert.equal(again.consentPage, undefined, 'no consent page the second time');
    assert.equal(emulator.counts()['entra.authorize'], 1);
    // Another client (a new registration with the same name and redirect URI) is asked again.
    const other = new ProxyClientProvider('http://127.0.0.1:53715/callback', { browser: first.browser });
    await signIn(other);
    assert.ok(other.consentPage, 'consent is per client');
  });

  it('a denial at the consent page goes back as access_denied, and Entra ID is never asked', async () => {
    emulator.resetCounts();
    const provider = new ProxyClientProvider('http://127.0.0.1:53716/callback');
    provider.decision = 'deny';
    const transport = new StreamableHTTPClientTransport(new URL(host.mcpUrl), { authProvider: provider });
    await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError);
    const back = provider.callback!.searchParams;
    assert.equal(back.get('error'), 'access_denied');
    assert.equal(back.get('state'), 'proxy-e2e-state');
    assert.equal(back.get('iss'), new URL(host.mcpUrl).origin);
    assert.equal(back.get('code'), null);
    assert.equal(emulator.counts()['entra.authorize'] ?? 0, 0);
  });

  it('Conditional Access on ARM (MFA): the sign-in goes back to Entra ID with the claims challenge, then tools work', async () => {
    const user = emulator.users[0]!;
    user.armMfaRequired = true;
    try {
      emulator.resetCounts();
      const provider = new ProxyClientProvider('http://127.0.0.1:53719/callback');
      await signIn(provider);
      const toEntra = provider.browser.hops.filter((h) => h.url.startsWith(`${emulator.entraUrl}/`));
      assert.equal(toEntra.length, 2, 'two trips to Entra ID');
      const claims = new URL(toEntra[1]!.url).searchParams.get('claims');
      assert.ok(claims, 'the second carries the claims challenge');
      assert.match(claims, /capolids/);
      const client = await connected(provider);
      const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
      assert.equal(result.isError, undefined, textOf(result));
      assert.deepEqual(subscriptionIds(result), ALICE_SUBSCRIPTIONS);
      await client.close();
    } finally {
      delete user.armMfaRequired;
    }
  });

  for (const [signInError, error, aadsts] of [
    ['consent_declined', 'consent_required', 'AADSTS65004'],
    ['conditional_access', 'access_denied', 'AADSTS53003'],
  ] as const) {
    it(`an Entra ID sign-in failure (${signInError}) reaches the client as ${error} naming ${aadsts}`, async () => {
      const user = emulator.users[0]!;
      user.signInError = signInError;
      try {
        const provider = new ProxyClientProvider('http://127.0.0.1:53717/callback');
        const transport = new StreamableHTTPClientTransport(new URL(host.mcpUrl), { authProvider: provider });
        await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError);
        const back = provider.callback!.searchParams;
        assert.equal(back.get('error'), error);
        assert.match(back.get('error_description') ?? '', new RegExp(`^Entra ID: ${aadsts}: `));
        assert.doesNotMatch(back.get('error_description') ?? '', /Trace ID/);
        assert.equal(back.get('state'), 'proxy-e2e-state');
        assert.equal(back.get('code'), null);
      } finally {
        delete user.signInError;
      }
    });
  }
});

describe('the proxy in both credential modes, with its key in Key Vault', () => {
  for (const mode of ['managed-identity', 'keyvault'] as const) {
    it(`OBO_CREDENTIAL=${mode}: the proxy redeems Entra's code with the app's ${mode === 'keyvault' ? 'secret from Key Vault' : 'federated assertion'}`, async () => {
      const key = newProxyKey();
      emulator.setVaultSecret('mcp-oauth-proxy-key', key);
      emulator.resetCounts();
      const modeHost = await startProxyHost(
        emulator,
        { MCP_OAUTH_PROXY_KEY: '', MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'mcp-oauth-proxy-key' },
        mode,
      );
      try {
        const provider = new ProxyClientProvider('http://127.0.0.1:53718/callback');
        const transport = new StreamableHTTPClientTransport(new URL(modeHost.mcpUrl), {
          authProvider: provider,
        });
        await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError);
        await transport.finishAuth(provider.callback!.searchParams.get('code')!);
        const redeemed = emulator.tokenRequests.find((r) => r.grantType === 'authorization_code');
        assert.equal(redeemed?.clientAuth, mode === 'keyvault' ? 'secret' : 'assertion');
        assert.ok(redeemed.ok);
        const client = new Client({ name: 'e2e', version: '1' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(modeHost.mcpUrl), { authProvider: provider }),
        );
        const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
        assert.equal(result.isError, undefined, textOf(result));
        await client.close();
        assert.ok((emulator.counts()['keyvault.secret'] ?? 0) >= 1, JSON.stringify(emulator.counts()));
      } finally {
        await modeHost.stop();
      }
    });
  }
});

describe('MCP_OAUTH_PROXY=off (the default)', () => {
  let plain: DevHost;
  before(async () => {
    plain = await startDevHost(emulator.env('secret'));
  });
  after(async () => {
    await plain?.stop();
  });

  it('names Entra ID as the authorization server, and the proxy endpoints do not exist', async () => {
    const prm = (await (await fetch(`${plain.url}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    assert.deepEqual(prm.authorization_servers, [`${emulator.entraUrl}/${emulator.tenantId}/v2.0`]);
    for (const [method, path] of [
      ['GET', '/.well-known/oauth-authorization-server'],
      ['POST', '/oauth/register'],
      ['GET', '/oauth/authorize'],
      ['POST', '/oauth/token'],
      ['GET', '/oauth/callback'],
    ]) {
      const res = await fetch(`${plain.url}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  });
});
