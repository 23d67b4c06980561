// Unit tests of the client's pieces: arguments, challenge parsing, scope discovery, error mapping, cache file, output.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it, mock } from 'node:test';
import type { AccountInfo, TokenCacheContext } from '@azure/msal-node';
import { DEFAULT_SERVER, MAX_TIMEOUT_MS, parseCliArgs } from '../../cli/args.js';
import {
  defaultCachePath,
  fileCachePlugin,
  removeCache,
  writeFileAtomic,
} from '../../cli/cache-plugin.js';
import { ClientError, ExitCode } from '../../cli/exit-codes.js';
import { McpSession } from '../../cli/mcp-session.js';
import { RULE, redactToken, subscriptionLines, tokenLine } from '../../cli/output.js';
import { confirm } from '../../cli/prompt.js';
import { discoverScope, metadataUrlAllowed, parseBearerChallenge } from '../../cli/scope-discovery.js';
import { explainEntraError } from '../../cli/sign-in-errors.js';
import { pickAccount, signIn } from '../../cli/sign-in.js';

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

  it('--client-id, else ENTRA_CLI_CLIENT_ID, else ENTRA_CLIENT_ID signs in; the API stays ENTRA_CLIENT_ID', () => {
    const CLI = '11111111-2222-4333-8444-555555555555';
    const single = parseCliArgs([], { ENTRA_CLIENT_ID: CLIENT });
    assert.deepEqual([single.clientId, single.apiClientId], [CLIENT, CLIENT]);
    const split = parseCliArgs([], { ENTRA_CLIENT_ID: CLIENT, ENTRA_CLI_CLIENT_ID: CLI });
    assert.deepEqual([split.clientId, split.apiClientId], [CLI, CLIENT]);
    const flag = parseCliArgs(['--client-id', 'f'], { ENTRA_CLIENT_ID: CLIENT, ENTRA_CLI_CLIENT_ID: CLI });
    assert.deepEqual([flag.clientId, flag.apiClientId], ['f', CLIENT]);
    const flagOnly = parseCliArgs(['--client-id', 'f'], {});
    assert.deepEqual([flagOnly.clientId, flagOnly.apiClientId], ['f', 'f']);
  });

  it('--auth device (default) or browser; doctor takes --server, --json and plain http anywhere', () => {
    assert.equal(parseCliArgs([], {}).auth, 'device');
    assert.equal(parseCliArgs(['--auth', 'browser'], {}).auth, 'browser');
    assert.match(
      usage(() => parseCliArgs(['--auth', 'popup'], {})).message,
      /--auth must be device or browser/,
    );
    const d = parseCliArgs(['doctor', '--server', 'http://mcp.example.com/mcp', '--json'], {});
    assert.deepEqual([d.command, d.server, d.json], ['doctor', 'http://mcp.example.com/mcp', true]);
    usage(() => parseCliArgs(['doctor', 'extra'], {}));
    usage(() => parseCliArgs(['doctor', '--server', 'ftp://x/mcp'], {}));
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

  it('--timeout is between 1 ms and 2^31-1 ms', () => {
    assert.equal(parseCliArgs(['--timeout', '0.001'], {}).timeoutMs, 1);
    assert.equal(parseCliArgs(['--timeout', String(MAX_TIMEOUT_MS / 1000)], {}).timeoutMs, MAX_TIMEOUT_MS);
    for (const bad of [
      '0.0001',
      '-1',
      '',
      ' ',
      'abc',
      'Infinity',
      '1e9',
      String(MAX_TIMEOUT_MS / 1000 + 0.001),
    ])
      assert.match(usage(() => parseCliArgs([`--timeout=${bad}`], {})).message, /--timeout must be/, bad);
  });

  it('refuses plain http to another machine unless --insecure; loopback http is fine', () => {
    for (const server of ['http://localhost:7071/mcp', 'http://127.0.0.1:1/mcp', 'http://[::1]:7071/mcp'])
      assert.equal(parseCliArgs(['--server', server], {}).server, server);
    const e = usage(() => parseCliArgs(['--server', 'http://mcp.example.com/mcp'], {}));
    assert.match(e.message, /plain http/);
    assert.match(e.fix ?? '', /--insecure/);
    usage(() => parseCliArgs(['call', 'x', '--server', 'http://10.0.0.5/mcp'], {}));
    const o = parseCliArgs(['--server', 'http://mcp.example.com/mcp', '--insecure'], {});
    assert.deepEqual([o.server, o.insecure], ['http://mcp.example.com/mcp', true]);
    assert.equal(parseCliArgs(['--server', 'https://mcp.example.com/mcp'], {}).insecure, false);
    assert.equal(parseCliArgs(['logout', '--server', 'http://mcp.example.com/mcp'], {}).command, 'logout');
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
  let challengeScope = '';
  let resource: (base: string) => unknown = (b) => `${b}/mcp`;
  let authorizationServer = 'https://login.example/contoso-tenant/v2.0';
  before(async () => {
    server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/mcp') {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"${challengeScope ? `, scope="${challengeScope}"` : ''}`,
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

  it("never takes another API's scope from the server; falls back and says to pass --scope", async () => {
    reset();
    for (const foreign of [
      'https://management.azure.com/user_impersonation',
      'api://0badc0de-0000-4000-8000-000000000000/execute',
      `api://${CLIENT}-evil/execute`,
      `api://${CLIENT}/`,
    ]) {
      metadataScopes = [foreign];
      challengeScope = foreign;
      const d = await discoverScope(`${base}/mcp`, opts);
      assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/execute`, 'fallback'], foreign);
      const note = d.notes?.join(' ') ?? '';
      assert.ok(note.includes(foreign), note);
      assert.match(note, /is neither a scope of app .* nor under .* pass it explicitly with --scope/);
    }
    // Nor a scope under another URL than the server's, or a nested path under it.
    for (const foreign of [`${base}/mcpx/execute`, `${base}/mcp/a/b`, `https://evil.example/mcp/execute`]) {
      metadataScopes = [foreign];
      challengeScope = '';
      const d = await discoverScope(`${base}/mcp`, opts);
      assert.deepEqual([d.scope, d.source], [`api://${CLIENT}/execute`, 'fallback'], foreign);
    }
    // The challenge's scope counts when it is of this app.
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

  it('ignores metadata whose resource is not the server (RFC 9728 §3.3), tenant included', async () => {
    reset();
    for (const wrong of [
      () => 'https://other.example/mcp',
      (b: string) => `${b}/other`,
      () => undefined,
      () => 42,
    ]) {
      resource = wrong;
      metadataScopes = [`api://${CLIENT}/read`];
      const d = await discoverScope(`${base}/mcp`, opts);
      assert.deepEqual([d.scope, d.source, d.tenantId], [`api://${CLIENT}/execute`, 'fallback', undefined]);
      assert.match(d.notes?.[0] ?? '', /ignored the protected resource metadata .* is not .*RFC 9728/);
    }
  });

  it('fetches a challenge resource_metadata over http only for a loopback http server', () => {
    const meta = 'http://metadata.example/.well-known/oauth-protected-resource/mcp';
    assert.equal(metadataUrlAllowed(meta, 'http://127.0.0.1:7071/mcp'), true);
    assert.equal(metadataUrlAllowed(meta, 'http://localhost:7071/mcp'), true);
    assert.equal(metadataUrlAllowed(meta, 'https://mcp.example/mcp'), false);
    assert.equal(metadataUrlAllowed(meta, 'http://mcp.example/mcp'), false);
    assert.equal(metadataUrlAllowed('https://m.example/x', 'https://mcp.example/mcp'), true);
    assert.equal(metadataUrlAllowed('file:///etc/passwd', 'http://127.0.0.1/mcp'), false);
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

  it('removes the temp file when writing fails, not only when the rename fails', async () => {
    const file = join(dir, 'failing.json');
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = mock.method(proto, 'sync', () => Promise.reject(new Error('EIO: simulated')));
    try {
      await assert.rejects(writeFileAtomic(file, '{"a":1}'), /simulated/);
    } finally {
      sync.mock.restore();
    }
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('failing')),
      [],
    );
  });

  it('logout removes the cache and leftover <cache>.*.tmp files, nothing else', async () => {
    const d = join(dir, 'logout');
    mkdirSync(d);
    const file = join(d, 'c.json');
    writeFileSync(join(d, 'c.json.1234.abcdef012345.tmp'), '{}');
    writeFileSync(join(d, 'keep.json.1.tmp'), '{}');
    writeFileSync(join(d, 'c.json.bak'), '{}');
    assert.equal(await removeCache(file), true, 'a leftover alone is removed too');
    assert.deepEqual(readdirSync(d).sort(), ['c.json.bak', 'keep.json.1.tmp']);
    writeFileSync(file, '{}');
    writeFileSync(join(d, 'c.json.99.ffffffffffff.tmp'), '{}');
    assert.equal(await removeCache(file), true);
    assert.deepEqual(readdirSync(d).sort(), ['c.json.bak', 'keep.json.1.tmp']);
    assert.equal(await removeCache(file), false);
    assert.equal(await removeCache(join(dir, 'no-such-dir', 'c.json')), false);
  });

  it('refuses a symlink, a non-regular file, and a file of another user', async () => {
    const ctx = { tokenCache: { deserialize: () => undefined } } as unknown as TokenCacheContext;
    const isCorrupt = (reason: RegExp) => (e: unknown) =>
      e instanceof ClientError &&
      e.exitCode === ExitCode.signIn &&
      /unreadable or corrupt/.test(e.message) &&
      reason.test(e.message);
    const target = join(dir, 'target.json');
    writeFileSync(target, '{}', { mode: 0o600 });
    const link = join(dir, 'link.json');
    symlinkSync(target, link);
    await assert.rejects(fileCachePlugin(link).beforeCacheAccess(ctx), isCorrupt(/symbolic link/));
    const sub = join(dir, 'a-directory.json');
    mkdirSync(sub);
    await assert.rejects(
      fileCachePlugin(sub).beforeCacheAccess(ctx),
      (e: unknown) =>
        e instanceof ClientError &&
        e.exitCode === ExitCode.signIn &&
        e.message === `The token cache ${sub} is a directory, not a regular file.`,
    );
    if (process.getuid?.() === 0) {
      const foreign = join(dir, 'foreign.json');
      writeFileSync(foreign, '{}', { mode: 0o644 });
      chownSync(foreign, 4242, 4242);
      await assert.rejects(fileCachePlugin(foreign).beforeCacheAccess(ctx), isCorrupt(/owned by uid 4242/));
      assert.equal(statSync(foreign).mode & 0o777, 0o644, 'not touched');
    }
  });

  it('a FIFO at the cache path fails at once with a clear message instead of blocking the open', async () => {
    const ctx = { tokenCache: { deserialize: () => undefined } } as unknown as TokenCacheContext;
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    await assert.rejects(
      fileCachePlugin(fifo).beforeCacheAccess(ctx),
      (e: unknown) =>
        e instanceof ClientError &&
        e.exitCode === ExitCode.signIn &&
        e.message === `The token cache ${fifo} is a named pipe (FIFO), not a regular file.` &&
        /another --cache path/.test(e.fix ?? ''),
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it('a character device at the cache path is refused, not read', async () => {
    const ctx = { tokenCache: { deserialize: () => undefined } } as unknown as TokenCacheContext;
    await assert.rejects(
      fileCachePlugin('/dev/null').beforeCacheAccess(ctx),
      (e: unknown) => e instanceof ClientError && /is a device, not a regular file/.test(e.message),
    );
  });

  it('refuses a --cache folder others can write (read and write), tightens only the default folder', async () => {
    const ctx = {
      tokenCache: { deserialize: () => undefined, serialize: () => '{}' },
      cacheHasChanged: true,
    } as unknown as TokenCacheContext;
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const file = join(shared, 'c.json');
    const unsafe = (e: unknown) =>
      e instanceof ClientError &&
      e.exitCode === ExitCode.signIn &&
      e.message === `The token cache folder ${shared} is not safe for ${file}: writable by other users.` &&
      /chmod go-w/.test(e.fix ?? '');
    await assert.rejects(fileCachePlugin(file).beforeCacheAccess(ctx), unsafe);
    await assert.rejects(fileCachePlugin(file).afterCacheAccess(ctx), unsafe);
    assert.ok(!existsSync(file), 'nothing written into the unsafe folder');
    chmodSync(shared, 0o775);
    await assert.rejects(
      fileCachePlugin(file).beforeCacheAccess(ctx),
      (e: unknown) => e instanceof ClientError && /writable by its group/.test(e.message),
    );
    assert.equal(statSync(shared).mode & 0o777, 0o775, 'a --cache folder is not changed');
    await fileCachePlugin(file, { isDefault: true }).afterCacheAccess(ctx);
    assert.equal(statSync(shared).mode & 0o777, 0o700, 'the default folder is tightened');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(shared, 4242, 4242);
      chmodSync(shared, 0o700);
      await assert.rejects(
        fileCachePlugin(file).beforeCacheAccess(ctx),
        (e: unknown) => e instanceof ClientError && /owned by uid 4242, not by you/.test(e.message),
      );
    }
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

describe('silent sign-in', () => {
  const TENANT = '7a1c2b3d-0e4f-4a5b-8c6d-9e0f1a2b3c4d';
  const OID = '11111111-2222-4333-8444-555555555555';
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  /** An MSAL cache as MSAL writes it after a public-cloud sign-in: everything under login.windows.net. */
  function publicCloudCache(scope: string): string {
    const env = 'login.windows.net';
    const home = `${OID}.${TENANT}`;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: CLIENT,
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: 'Alice',
      oid: OID,
      preferred_username: 'alice@contoso.example',
      sub: 'subject',
      tid: TENANT,
      ver: '2.0',
    };
    return JSON.stringify({
      Account: {
        [`${home}-${env}-${TENANT}`]: {
          home_account_id: home,
          environment: env,
          realm: TENANT,
          local_account_id: OID,
          username: 'alice@contoso.example',
          authority_type: 'MSSTS',
          name: 'Alice',
        },
      },
      IdToken: {
        [`${home}-${env}-idtoken-${CLIENT}-${TENANT}---`]: {
          home_account_id: home,
          environment: env,
          credential_type: 'IdToken',
          client_id: CLIENT,
          secret: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.sig`,
          realm: TENANT,
        },
      },
      AccessToken: {
        [`${home}-${env}-accesstoken-${CLIENT}-${TENANT}-${scope}--`]: {
          home_account_id: home,
          environment: env,
          credential_type: 'AccessToken',
          client_id: CLIENT,
          secret: 'cached-access-token',
          realm: TENANT,
          target: scope,
          cached_at: String(now),
          expires_on: String(now + 3600),
          extended_expires_on: String(now + 7200),
          token_type: 'Bearer',
        },
      },
      RefreshToken: {},
      AppMetadata: {},
    });
  }

  it('uses the account MSAL cached under login.windows.net for https://login.microsoftonline.com', async () => {
    const scope = `api://${CLIENT}/execute`;
    const cachePath = join(dir, 'public-cloud.json');
    writeFileSync(cachePath, publicCloudCache(scope), { mode: 0o600 });
    const requests: string[] = [];
    const fetchMock = mock.method(globalThis, 'fetch', (url: unknown) => {
      requests.push(String(url));
      return Promise.reject(new Error('no network in this test'));
    });
    const deviceCodes: string[] = [];
    try {
      const r = await signIn({
        clientId: CLIENT,
        tenantId: TENANT,
        authorityHost: 'https://login.microsoftonline.com',
        scope,
        cachePath,
        cacheIsDefault: false,
        verbose: false,
        onDeviceCode: (message) => deviceCodes.push(message),
      });
      assert.deepEqual(
        [r.source, r.accessToken, r.username],
        ['cache', 'cached-access-token', 'alice@contoso.example'],
      );
    } finally {
      fetchMock.mock.restore();
    }
    assert.deepEqual(deviceCodes, [], 'no device code sign-in');
    assert.deepEqual(requests, [], 'no network request at all');
  });

  it('pickAccount prefers the tenant, then the latest sign-in; any account otherwise', () => {
    const account = (id: string, tenantId: string, iat?: number, environment = 'login.windows.net') =>
      ({
        homeAccountId: id,
        environment,
        tenantId,
        username: id,
        localAccountId: id,
        ...(iat === undefined ? {} : { idTokenClaims: { iat } }),
      }) as AccountInfo;
    const other = account('other', 'another-tenant', 999);
    const older = account('older', TENANT, 100);
    const newer = account('newer', TENANT.toUpperCase(), 200, 'login.microsoftonline.com');
    assert.equal(pickAccount([other, older, newer], TENANT)?.homeAccountId, 'newer');
    assert.equal(pickAccount([other, older], TENANT)?.homeAccountId, 'older');
    assert.equal(pickAccount([other], 'contoso.onmicrosoft.com')?.homeAccountId, 'other');
    assert.equal(pickAccount([], TENANT), undefined);
  });
});

describe('confirm', () => {
  it('Ctrl-C at the prompt is an interrupted ClientError (exit 130)', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    setTimeout(() => (input as unknown as PassThrough).write('\x03'), 20);
    await assert.rejects(
      confirm('Continue? ', input, output),
      (e: unknown) => e instanceof ClientError && e.kind === 'interrupted' && e.exitCode === 130,
    );
  });

  it('y/yes is yes, anything else no; no terminal is no-tty', async () => {
    const ask = async (answer: string) => {
      const input = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
      setTimeout(() => (input as unknown as PassThrough).write(`${answer}\n`), 20);
      return confirm('Continue? ', input, new PassThrough());
    };
    assert.equal(await ask('y'), 'yes');
    assert.equal(await ask(' YES '), 'yes');
    assert.equal(await ask('n'), 'no');
    assert.equal(await confirm('?', new PassThrough() as unknown as NodeJS.ReadStream), 'no-tty');
  });
});

/**
 * A minimal stateless MCP endpoint: answers initialize, hands other POSTed messages to `onMessage`
 * (which answers or leaves the response hanging), and GET with `onGet`.
 */
async function fakeMcpServer(
  onMessage: (message: { id?: number; method: string }, res: ServerResponse) => void,
  onGet: (res: ServerResponse) => void = (res) => res.writeHead(405, { Allow: 'POST' }).end(),
): Promise<{ url: string; close: () => Promise<void> }> {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    if (req.method === 'GET') return onGet(res);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const message = JSON.parse(body) as { id?: number; method: string };
      if (message.method !== 'initialize') return onMessage(message, res);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: message.id,
          result: {
            protocolVersion: '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'fake', version: '1' },
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('McpSession', () => {
  it('--timeout also bounds the notifications/initialized POST', async () => {
    let notified = 0;
    // Never answers the initialized notification.
    const fake = await fakeMcpServer((message) => {
      if (message.method === 'notifications/initialized') notified++;
    });
    try {
      const started = Date.now();
      const outcome = await Promise.race([
        McpSession.connect(fake.url, 'token', 300).then(
          async (session) => {
            await session.close();
            return 'connected';
          },
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
      ]);
      assert.ok(outcome instanceof ClientError, String(outcome));
      assert.equal(outcome.exitCode, ExitCode.serverUnreachable);
      assert.match(outcome.message, /did not answer in time/);
      assert.ok(Date.now() - started < 3_000);
      assert.equal(notified, 1, 'the notification was sent');
    } finally {
      await fake.close();
    }
  });

  it("a tool's JSON-RPC error is a tool failure (exit 6) though the SDK's GET stream got 405", async () => {
    let gets = 0;
    const fake = await fakeMcpServer(
      (message, res) => {
        if (message.method === 'notifications/initialized') return void res.writeHead(202).end();
        // Answer after the GET's 405 has arrived.
        setTimeout(() => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: message.id,
              error: { code: -32602, message: 'Tool no_such_tool not found' },
            }),
          );
        }, 300);
      },
      (res) => {
        gets++;
        setTimeout(() => res.writeHead(405, { Allow: 'POST' }).end(), 100);
      },
    );
    try {
      const session = await McpSession.connect(fake.url, 'token', 5_000);
      try {
        await assert.rejects(session.callTool('no_such_tool', {}), (e: unknown) => {
          assert.ok(e instanceof ClientError);
          assert.doesNotMatch(e.message, /not an MCP endpoint/);
          assert.match(e.message, /Tool no_such_tool failed: .*not found/);
          assert.equal(e.exitCode, ExitCode.tool);
          return true;
        });
      } finally {
        await session.close();
      }
      assert.equal(gets, 1, 'the SDK opened its GET stream');
    } finally {
      await fake.close();
    }
  });
});
