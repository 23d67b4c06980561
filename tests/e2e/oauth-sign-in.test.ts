// End to end with the MCP TypeScript SDK's own OAuth client: StreamableHTTPClientTransport + OAuthClientProvider
// (a pre-registered public client) → dev host (401 + RFC 9728 metadata) → emulated Entra ID (OpenID discovery,
// authorize with PKCE and RFC 8707 `resource`, authorization_code grant) → tools via OBO against emulated ARM.
// The browser step is a fetch of the authorization URL that reads the redirect instead of following it.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { DEFAULT_CLIENT_ID } from '../../emulator/defaults.js';
import { DEFAULT_THIRD_PARTY_CLIENT_ID, startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { textOf } from '../helpers/mcp-client.js';

const REDIRECT = 'http://localhost:53682/callback';

/** An MCP client's OAuth state for one sign-in; the "browser" records where Entra sent it back to. */
class BrowserlessProvider implements OAuthClientProvider {
  authorizationUrl: URL | undefined;
  callback: URL | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';

  get redirectUrl(): string {
    return REDIRECT;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'azure-obo-mcp e2e',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    return 'e2e-state';
  }

  clientInformation() {
    return { client_id: DEFAULT_THIRD_PARTY_CLIENT_ID };
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrl = url;
    const res = await fetch(url, { redirect: 'manual' });
    await res.body?.cancel();
    const location = res.headers.get('location');
    assert.equal(res.status, 302, `authorize answered ${res.status}`);
    assert.ok(location);
    this.callback = new URL(location);
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    return this.#verifier;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function connect(
  url: string,
  provider: OAuthClientProvider,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  const client = new Client({ name: 'azure-obo-mcp-oauth-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

let emulator: Emulator;
let alignedPort: number;
let alignedMcpUrl: string;

before(async () => {
  alignedPort = await freePort();
  alignedMcpUrl = `http://127.0.0.1:${alignedPort}/mcp`;
  emulator = await startEmulator({
    identifierUris: [`api://${DEFAULT_CLIENT_ID}`, alignedMcpUrl],
  });
});

after(async () => {
  await emulator?.stop();
});

describe('default configuration (scopes under api://<client-id>)', () => {
  let host: DevHost;
  before(async () => {
    host = await startDevHost({
      ...emulator.env('secret'),
      ENTRA_ALLOWED_CLIENT_IDS: DEFAULT_THIRD_PARTY_CLIENT_ID,
    });
  });
  after(async () => {
    await host?.stop();
  });

  it('sign-in fails at Entra with invalid_target AADSTS9010010: the SDK sends resource=<server URL>', async () => {
    const provider = new BrowserlessProvider();
    await assert.rejects(connect(host.mcpUrl, provider), UnauthorizedError);

    const sent = provider.authorizationUrl?.searchParams;
    assert.ok(sent, 'the SDK started an authorization');
    assert.equal(
      provider.authorizationUrl?.origin + provider.authorizationUrl!.pathname,
      `${emulator.entraUrl}/${emulator.tenantId}/oauth2/v2.0/authorize`,
    );
    assert.equal(sent.get('resource'), host.mcpUrl);
    assert.equal(sent.get('scope'), `api://${emulator.clientId}/execute`);
    assert.equal(sent.get('code_challenge_method'), 'S256');
    assert.equal(sent.get('client_id'), DEFAULT_THIRD_PARTY_CLIENT_ID);

    // What the MCP client's callback receives instead of a code.
    const back = provider.callback?.searchParams;
    assert.equal(provider.callback?.origin + provider.callback!.pathname, 'http://localhost:53682/callback');
    assert.equal(back?.get('error'), 'invalid_target');
    assert.match(
      back?.get('error_description') ?? '',
      /^AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes\./,
    );
    assert.equal(back?.get('state'), 'e2e-state');
    assert.equal(back?.get('code'), null);
    assert.equal(provider.tokens(), undefined);
  });
});

describe('aligned configuration (ENTRA_APP_ID_URI = MCP_PUBLIC_URL = the server URL)', () => {
  let host: DevHost;
  before(async () => {
    host = await startDevHost({
      ...emulator.env('secret'),
      PORT: String(alignedPort),
      MCP_PUBLIC_URL: alignedMcpUrl,
      ENTRA_APP_ID_URI: alignedMcpUrl,
      ENTRA_ALLOWED_CLIENT_IDS: DEFAULT_THIRD_PARTY_CLIENT_ID,
    });
    assert.equal(host.mcpUrl, alignedMcpUrl);
  });
  after(async () => {
    await host?.stop();
  });

  for (const version of [2, 1] as const) {
    it(`signs in with resource (v${version} token) and get_subscriptions returns the user's subscriptions`, async () => {
      emulator.update({ userTokenVersion: version });
      try {
        emulator.resetCounts();
        const provider = new BrowserlessProvider();
        // The transport that meets the 401 keeps the metadata URL and scope; it redeems the code afterwards.
        const transport = new StreamableHTTPClientTransport(new URL(alignedMcpUrl), {
          authProvider: provider,
        });
        await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError);
        assert.equal(provider.authorizationUrl?.searchParams.get('resource'), alignedMcpUrl);
        assert.equal(provider.authorizationUrl?.searchParams.get('scope'), `${alignedMcpUrl}/execute`);
        const code = provider.callback?.searchParams.get('code');
        assert.ok(code, `no code: ${provider.callback?.toString() ?? ''}`);
        assert.equal(provider.callback?.searchParams.get('state'), 'e2e-state');

        await transport.finishAuth(code);
        const tokens = provider.tokens();
        assert.ok(tokens?.access_token);
        const claims = JSON.parse(
          Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString(),
        ) as Record<string, unknown>;
        assert.equal(claims.aud, version === 2 ? emulator.clientId : alignedMcpUrl);
        assert.equal(version === 2 ? claims.azp : claims.appid, DEFAULT_THIRD_PARTY_CLIENT_ID);
        const redeemed = emulator.tokenRequests.find((r) => r.grantType === 'authorization_code');
        assert.ok(redeemed?.ok);
        assert.ok(
          redeemed.paramNames.includes('resource'),
          'the SDK sends resource to the token endpoint too',
        );

        const { client } = await connect(alignedMcpUrl, provider);
        const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
        assert.equal(result.isError, undefined, textOf(result));
        const out = result.structuredContent as {
          count: number;
          subscriptions: { subscriptionId: string }[];
        };
        const user = emulator.users[0]!;
        assert.deepEqual(
          out.subscriptions.map((s) => s.subscriptionId).sort(),
          user.subscriptions.map((s) => s.subscriptionId).sort(),
        );
        assert.equal(emulator.counts()['entra.token.obo'], 1);
        await client.close();
      } finally {
        emulator.update({ userTokenVersion: 2 });
      }
    });
  }
});
