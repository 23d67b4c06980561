import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { discoverScope, parseBearerChallenge } from '../../cli/scope-discovery.js';
import { serverTie } from '../../cli/server-tie.js';

const CLIENT = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';

describe('parseBearerChallenge', () => {
  it("reads the server's challenge", () => {
    const c = parseBearerChallenge(
      'Bearer error="invalid_token", error_description="The access token was issued for another API; request the scope in scope=...", resource_metadata="http://h/.well-known/oauth-protected-resource/mcp", scope="api://x/execute"',
    );
    assert.deepEqual(c, {
      error: 'invalid_token',
      errorDescription: 'The access token was issued for another API; request the scope in scope=...',
      scope: 'api://x/execute',
      resourceMetadata: 'http://h/.well-known/oauth-protected-resource/mcp',
    });
    assert.equal(parseBearerChallenge('Basic realm="x"'), undefined);
    assert.equal(parseBearerChallenge(null), undefined);
  });
});

describe('discoverScope', () => {
  let server: Server;
  let base: string;
  let metadataScopes: string[] = [];
  let challengeScope = '';
  let resource: (base: string) => unknown = (b) => `${b}/mcp`;
  let authorizationServer = 'https://login.example/contoso-tenant/v2.0';
  let challengeMetadata: string | undefined;
  before(async () => {
    server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/mcp') {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer resource_metadata="${challengeMetadata ?? `${base}/.well-known/oauth-protected-resource/mcp`}"${challengeScope ? `, scope="${challengeScope}"` : ''}`,
        });
        res.end();
        return;
      }
      if (req.url === '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            resource: resource(base),
            scopes_supported: metadataScopes,
            authorization_servers: [authorizationServer],
          }),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const opts = { apiClientId: CLIENT, authorityHost: 'https://login.example', timeoutMs: 5000 };
  const reset = () => {
    metadataScopes = [];
    challengeScope = '';
    resource = (b) => `${b}/mcp`;
    authorizationServer = 'https://login.example/contoso-tenant/v2.0';
  };

  it('follows the 401 challenge to scopes_supported, and reads the tenant of the authorization server', async () => {
    reset();
    metadataScopes = ['https://graph.microsoft.com/.default', `api://${CLIENT}/execute`];
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual(d, {
      scope: `api://${CLIENT}/execute`,
      source: 'metadata',
      reachable: true,
      notes: [],
      tenantId: 'contoso-tenant',
      tenantSource: 'https://login.example/contoso-tenant/v2.0',
    });
    // The metadata's resource may differ by a trailing slash; the GUID by case.
    resource = (b) => `${b}/mcp/`;
    metadataScopes = [`API://${CLIENT.toUpperCase()}/execute`];
    const upper = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([upper.scope, upper.source], [`API://${CLIENT.toUpperCase()}/execute`, 'metadata']);
  });

  for (const foreign of [
    'https://management.azure.com/user_impersonation',
    'api://0badc0de-0000-4000-8000-000000000000/execute',
    `api://${CLIENT}-evil/execute`,
    `api://${CLIENT}/`,
  ]) {
    it(`never takes another API's scope from the server (${foreign}); falls back and says to pass --scope`, async () => {
      reset();
      metadataScopes = [foreign];
      challengeScope = foreign;
      const d = await discoverScope(`${base}/mcp`, opts);
      assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/execute`, 'fallback']);
      const note = d.notes?.join(' ') ?? '';
      assert.ok(note.includes(foreign), note);
      assert.match(note, /is neither a scope of app .* nor under .* pass it explicitly with --scope/);
    });
  }

  // Nor a scope under another URL than the server's, or a nested path under it.
  for (const [what, foreign] of [
    ['another path', (b: string) => `${b}/mcpx/execute`],
    ['a nested path', (b: string) => `${b}/mcp/a/b`],
    ['another host', () => 'https://evil.example/mcp/execute'],
  ] as const) {
    it(`never takes a scope under ${what} than the server URL`, async () => {
      reset();
      metadataScopes = [foreign(base)];
      challengeScope = '';
      const d = await discoverScope(`${base}/mcp`, opts);
      assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/execute`, 'fallback']);
    });
  }

  it("takes the challenge's scope when it is of this app and the metadata's is not", async () => {
    reset();
    metadataScopes = ['https://management.azure.com/user_impersonation'];
    challengeScope = `api://${CLIENT}/read`;
    const c = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([c.scope, c.source], [`api://${CLIENT}/read`, 'challenge']);
  });

  it('takes a scope under the server URL when the server is aligned (Application ID URI = MCP URL)', async () => {
    reset();
    metadataScopes = [`${base}/mcp/execute`];
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([d.scope, d.source], [`${base}/mcp/execute`, 'metadata']);
    // Also with a separate CLI app: the scope belongs to the server, not to the app signing in.
    const other = await discoverScope(`${base}/mcp`, { ...opts, apiClientId: undefined });
    assert.deepEqual([other.scope, other.source], [`${base}/mcp/execute`, 'metadata']);
    // From the challenge, when the metadata is not usable.
    resource = () => 'https://other.example/mcp';
    challengeScope = `${base}/mcp/execute`;
    const c = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([c.scope, c.source], [`${base}/mcp/execute`, 'challenge']);
  });

  for (const [what, wrong] of [
    ['another host', () => 'https://other.example/mcp'],
    ['another path', (b: string) => `${b}/other`],
    ['missing', () => undefined],
    ['not a string', () => 42],
  ] as const) {
    it(`ignores metadata whose resource is ${what} (RFC 9728 §3.3), tenant included`, async () => {
      reset();
      resource = wrong;
      metadataScopes = [`api://${CLIENT}/read`];
      const d = await discoverScope(`${base}/mcp`, opts);
      assert.deepEqual([d.scope, d.source, d.tenantId], [`api://${CLIENT}/execute`, 'fallback', undefined]);
      assert.match(d.notes?.[0] ?? '', /ignored the protected resource metadata .* is not .*RFC 9728/);
    });
  }

  for (const [what, url] of [
    ['a link-local (cloud instance metadata) URL', 'http://169.254.169.254/metadata/instance'],
    ['another host', 'https://metadata.example/.well-known/oauth-protected-resource/mcp'],
    ['a file: URL', 'file:///etc/passwd'],
  ] as const) {
    it(`never fetches a challenge's resource_metadata on ${what}: it says so and reads the server's own`, async () => {
      reset();
      metadataScopes = [`api://${CLIENT}/read`];
      challengeMetadata = url;
      try {
        const d = await discoverScope(`${base}/mcp`, opts);
        assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/read`, 'metadata']);
        assert.match(
          d.notes?.[0] ?? '',
          new RegExp(`ignored the challenge's resource_metadata .* \\(not fetched\\): it is `),
        );
      } finally {
        challengeMetadata = undefined;
      }
    });
  }

  it('a server that is its own authorization server (OAuth proxy): its scope still counts, no tenant read', async () => {
    reset();
    metadataScopes = [`api://${CLIENT}/execute`];
    authorizationServer = base;
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([d.scope, d.source, d.tenantId], [`api://${CLIENT}/execute`, 'metadata', undefined]);
    // The tie does not depend on the authorization server either (cli/server-tie.ts): the scope is api://.
    assert.equal(serverTie(d, `${base}/mcp`, []), undefined);
    assert.equal(serverTie(d, `${base}/mcp`, [`${base}/mcp`]), 'setting');
  });

  it('takes no scope with control characters or quotes in its name', async () => {
    reset();
    metadataScopes = [`api://${CLIENT}/exe\u001b[2Jcute`, `api://${CLIENT}/"x"`];
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/execute`, 'fallback']);
  });

  it('ignores metadata over 1 MiB without reading it all', async () => {
    reset();
    metadataScopes = [`api://${CLIENT}/read`, 'x'.repeat(1_100_000)];
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/execute`, 'fallback']);
    assert.match(d.notes?.join(' ') ?? '', /larger than 1 MiB/);
  });

  it('falls back to api://<client-id>/execute when the server is not there', async () => {
    reset();
    const d = await discoverScope(`${base}/other`, opts);
    assert.equal(d.scope, `api://${CLIENT}/execute`);
    assert.equal(d.source, 'fallback');
    const gone = await discoverScope('http://127.0.0.1:9/mcp', opts);
    assert.equal(gone.reachable, false);
    assert.ok(gone.failure, 'says why');
    assert.equal(gone.scope, `api://${CLIENT}/execute`);
  });
});
