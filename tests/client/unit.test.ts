// Unit tests of the client's pieces: arguments, challenge parsing, scope discovery, error mapping, cache file, output.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TokenCacheContext } from '@azure/msal-node';
import { DEFAULT_SERVER, parseCliArgs } from '../../src/client/args.js';
import { defaultCachePath, fileCachePlugin, writeFileAtomic } from '../../src/client/cache-plugin.js';
import { ClientError, ExitCode } from '../../src/client/exit-codes.js';
import { RULE, redactToken, subscriptionLines, tokenLine } from '../../src/client/output.js';
import { discoverScope, parseBearerChallenge } from '../../src/client/scope-discovery.js';
import { explainEntraError } from '../../src/client/sign-in-errors.js';

const CLIENT = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'obo-client-unit-'))));
after(async () => rm(dir, { recursive: true, force: true }));

function usage(fn: () => unknown): ClientError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ClientError);
    assert.equal(error.exitCode, ExitCode.usage);
    return error;
  }
  throw new Error('expected a usage error');
}

describe('parseCliArgs', () => {
  it('defaults, environment and flags', () => {
    const o = parseCliArgs([], { ENTRA_CLIENT_ID: CLIENT, ENTRA_TENANT_ID: 'contoso.onmicrosoft.com' });
    assert.equal(o.command, 'run');
    assert.equal(o.server, DEFAULT_SERVER);
    assert.equal(o.clientId, CLIENT);
    assert.equal(o.tenantId, 'contoso.onmicrosoft.com');
    assert.equal(o.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(o.authorityHostExplicit, false);
    assert.equal(o.yes, false);
    const f = parseCliArgs(
      [
        '--client-id',
        'x',
        '--tenant-id',
        't',
        '--authority-host',
        'https://login.example/',
        '-y',
        '--json',
        '--server',
        'https://h/mcp',
        '--timeout',
        '2.5',
      ],
      { ENTRA_CLIENT_ID: CLIENT },
    );
    assert.deepEqual(
      [
        f.clientId,
        f.tenantId,
        f.authorityHost,
        f.authorityHostExplicit,
        f.yes,
        f.json,
        f.server,
        f.timeoutMs,
      ],
      ['x', 't', 'https://login.example', true, true, true, 'https://h/mcp', 2500],
    );
  });

  it('call <tool> <json>, --tool/--args, logout, help', () => {
    const c = parseCliArgs(['call', 'list_resource_groups', '{"subscriptionId":"s"}'], {});
    assert.deepEqual(
      [c.command, c.tool, c.toolArgs],
      ['call', 'list_resource_groups', { subscriptionId: 's' }],
    );
    const t = parseCliArgs(['--tool', 'get_subscriptions'], {});
    assert.deepEqual([t.command, t.tool, t.toolArgs], ['call', 'get_subscriptions', {}]);
    assert.equal(parseCliArgs(['logout'], {}).command, 'logout');
    assert.equal(parseCliArgs(['-h'], {}).command, 'help');
  });

  it('rejects what it cannot use', () => {
    usage(() => parseCliArgs(['--nope'], {}));
    usage(() => parseCliArgs(['frobnicate'], {}));
    usage(() => parseCliArgs(['call'], {}));
    usage(() => parseCliArgs(['call', 't', '[1]'], {}));
    assert.match(usage(() => parseCliArgs(['call', 't', '{x'], {})).message, /not valid JSON/);
    usage(() => parseCliArgs(['--args', '{}'], {}));
    usage(() => parseCliArgs(['--server', 'ftp://x/mcp'], {}));
    usage(() => parseCliArgs(['--authority-host', 'http://login.example'], {}));
    usage(() => parseCliArgs(['--timeout', '0'], {}));
  });
});

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
  before(async () => {
    server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/mcp') {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="api://from-challenge/execute"`,
        });
        res.end();
        return;
      }
      if (req.url === '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            scopes_supported: metadataScopes,
            authorization_servers: ['https://login.example/contoso-tenant/v2.0'],
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
  const opts = { clientId: CLIENT, authorityHost: 'https://login.example', timeoutMs: 5000 };

  it('follows the 401 challenge to scopes_supported, and reads the tenant of the authorization server', async () => {
    metadataScopes = ['api://from-metadata/execute'];
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.deepEqual(d, {
      scope: 'api://from-metadata/execute',
      source: 'metadata',
      reachable: true,
      tenantId: 'contoso-tenant',
    });
  });

  it('never takes a first-party API scope from the server (token would be sent to it)', async () => {
    metadataScopes = ['https://management.azure.com/user_impersonation'];
    const d = await discoverScope(`${base}/mcp`, opts);
    assert.equal(d.scope, 'api://from-challenge/execute');
    assert.equal(d.source, 'challenge');
  });

  it('falls back to api://<client-id>/execute when the server is not there', async () => {
    const d = await discoverScope(`${base}/other`, opts);
    assert.equal(d.scope, `api://${CLIENT}/execute`);
    assert.equal(d.source, 'fallback');
    const gone = await discoverScope('http://127.0.0.1:9/mcp', opts);
    assert.equal(gone.reachable, false);
    assert.equal(gone.scope, `api://${CLIENT}/execute`);
  });
});

describe('explainEntraError', () => {
  const ctx = {
    clientId: CLIENT,
    tenantId: 't',
    authorityHost: 'https://login.example',
    scope: `api://${CLIENT}/execute`,
    cachePath: '/c.json',
  };
  const info = (error: string, code: number) => ({
    error,
    codes: [code],
    description: `AADSTS${code}: ...`,
    endpoint: '/t/oauth2/v2.0/token',
  });
  it('maps the failure table of the demo', () => {
    const cases: [string, number, RegExp][] = [
      ['invalid_client', 7000218, /Enable public client flows in App Registration → Authentication/],
      [
        'invalid_resource',
        500011,
        /api:\/\/3f2e1d0c-9b8a-4765-8432-10fedcba9876\/execute under App Registration → Expose an API/,
      ],
      ['invalid_client', 650053, /Expose an API/],
      ['invalid_grant', 65005, /Expose an API/],
      ['invalid_grant', 9002313, /azure-obo-mcp logout" \(or delete \/c\.json\)/],
      ['unauthorized_client', 700016, /ENTRA_CLIENT_ID/],
      ['invalid_tenant', 90002, /ENTRA_TENANT_ID/],
      ['expired_token', 70019, /before the code expires/],
      ['invalid_grant', 65001, /admin consent/],
    ];
    for (const [error, code, fix] of cases) {
      const e = explainEntraError(info(error, code), ctx);
      assert.equal(e.exitCode, ExitCode.signIn);
      assert.match(e.message, new RegExp(`AADSTS${code}`));
      assert.match(e.fix ?? '', fix, `${code}`);
    }
  });
});

describe('token cache file', () => {
  it('writes atomically with mode 0600 and leaves no temp file', async () => {
    const file = join(dir, 'atomic.json');
    await writeFileAtomic(file, '{"a":1}');
    await writeFileAtomic(file, '{"a":2}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('atomic')),
      ['atomic.json'],
    );
  });

  it('tightens a loosened cache file and rejects a corrupt one', async () => {
    const file = join(dir, 'loose.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    chmodSync(file, 0o644);
    let loaded = '';
    const ctx = { tokenCache: { deserialize: (t: string) => (loaded = t) } } as unknown as TokenCacheContext;
    await fileCachePlugin(file).beforeCacheAccess(ctx);
    assert.equal(loaded, '{}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, 'garbage');
    await assert.rejects(
      fileCachePlugin(file).beforeCacheAccess(ctx),
      (e: unknown) =>
        e instanceof ClientError && e.exitCode === ExitCode.signIn && /logout/.test(e.fix ?? ''),
    );
  });

  it('lives in $XDG_CACHE_HOME or ~/.cache', () => {
    assert.equal(defaultCachePath({ XDG_CACHE_HOME: '/x' }), '/x/azure-obo-mcp/token-cache.json');
    assert.match(defaultCachePath({}), /\.cache\/azure-obo-mcp\/token-cache\.json$/);
  });
});

describe('output', () => {
  it('redacts the token unless asked', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(200)}.sig`;
    assert.equal(redactToken(token), 'eyJhbGciOiJS…');
    assert.ok(!tokenLine(token, new Date(0), false).includes(token));
    assert.match(tokenLine(token, new Date(0), false), /expires 1970-01-01T00:00:00.000Z/);
    assert.ok(tokenLine(token, null, true).includes(token));
  });

  it('prints subscriptions like the Python demo', () => {
    const lines = subscriptionLines(
      [{ subscriptionId: 'id1', displayName: 'Inity', state: 'Enabled', tenantId: 'tid' }],
      false,
    );
    assert.deepEqual(lines, [
      '✓ Found 1 subscription',
      'Azure Subscriptions:',
      RULE,
      'Name: Inity',
      '   ID: id1',
      '   State: Enabled',
      '   Tenant: tid',
      RULE,
    ]);
    assert.equal(RULE.length, 80);
  });
});
