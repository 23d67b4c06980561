// `azure-obo-mcp doctor` against fake servers (each bad-metadata case) and as a child process (exit codes).
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Socket } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ensureCa, issueServerCert } from '../../emulator/ca.js';
import { doctorLines, entraV2Issuer, runDoctor, scopeUnderResource } from '../../cli/doctor.js';
import type { CheckId, DoctorReport } from '../../cli/doctor.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { terminalControls } from '../helpers/terminal-controls.js';
import { runCli } from './run-cli.js';

const TENANT = '7a1c2b3d-0e4f-4a5b-8c6d-9e0f1a2b3c4d';
const CLIENT = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';

/** One answer of the fake server. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

let server: Server;
let base: string;
// Another https host (another origin): counts every request that reaches it.
let bystander: Server;
let bystanderPort: number;
let bystanderHits = 0;
let caCertPath: string;
let routes: Map<string, () => Answer>;

const mcpUrl = () => `${base}/mcp`;
const issuer = () => `${base}/${TENANT}/v2.0`;
const metadata = (over: Record<string, unknown> = {}) => ({
  resource: mcpUrl(),
  authorization_servers: [issuer()],
  scopes_supported: [`${mcpUrl()}/execute`],
  bearer_methods_supported: ['header'],
  ...over,
});
const challenge = (
  params = `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="${mcpUrl()}/execute"`,
) => ({ status: 401, headers: { 'WWW-Authenticate': `Bearer ${params}` }, body: '' }) satisfies Answer;

/** A server that does everything right: MCP endpoint, both metadata URLs, and the Entra issuer. */
function aligned(): Map<string, () => Answer> {
  return new Map<string, () => Answer>([
    ['POST /mcp', () => challenge()],
    ['GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: metadata() })],
    ['GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: metadata() })],
    [
      `GET /${TENANT}/v2.0/.well-known/openid-configuration`,
      () => ({
        status: 200,
        body: { issuer: issuer(), token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token` },
      }),
    ],
  ]);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const route = routes.get(`${req.method} ${new URL(req.url ?? '/', base).pathname}`);
  const answer = route ? route() : { status: 404, body: { error: 'not found' } };
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
  res.writeHead(answer.status, {
    'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
    ...answer.headers,
  });
  res.end(body);
}

const statusOf = (report: DoctorReport, id: CheckId) => report.checks.find((c) => c.id === id)?.status;
const checkOf = (report: DoctorReport, id: CheckId) => {
  const check = report.checks.find((c) => c.id === id);
  assert.ok(check, `no check ${id}`);
  return check;
};
const doctor = () => runDoctor(mcpUrl(), { timeoutMs: 5_000, authorityHost: base });

before(async () => {
  const ca = await ensureCa(process.env.EMULATOR_CA_DIR ?? '.cache/emulator-ca');
  caCertPath = ca.certPath;
  const leaf = await issueServerCert(ca);
  server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  bystander = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    bystanderHits++;
    req.resume();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => bystander.listen(0, '127.0.0.1', resolve));
  bystanderPort = (bystander.address() as { port: number }).port;
});
after(async () => {
  await new Promise((resolve) => bystander.close(resolve));
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => (routes = aligned()));

describe('doctor against fake servers', () => {
  it('passes every check on an aligned https server (exit 0)', async () => {
    const report = await doctor();
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.equal(report.exitCode, ExitCode.ok);
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.status]),
      [
        ['transport', 'pass'],
        ['challenge', 'pass'],
        ['metadata_path', 'pass'],
        ['metadata_root', 'pass'],
        ['resource', 'pass'],
        ['scopes', 'pass'],
        ['authorization_server', 'pass'],
        ['openid_configuration', 'pass'],
      ],
    );
  });

  it('a scope under api:// fails with AADSTS9010010, the clients it breaks, and the fix', async () => {
    const scoped = metadata({ scopes_supported: [`api://${CLIENT}/execute`] });
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: scoped }));
    routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: scoped }));
    const report = await doctor();
    assert.equal(report.exitCode, ExitCode.doctor);
    const scopes = checkOf(report, 'scopes');
    assert.equal(scopes.status, 'fail');
    assert.match(scopes.summary, new RegExp(`api://${CLIENT}/execute`));
    assert.match(scopes.summary, /AADSTS9010010/);
    for (const client of [
      'Claude Code',
      'Claude Desktop',
      'MCP SDK OAuth client',
      'mcp-remote',
      'MCP Inspector',
    ])
      assert.ok(scopes.summary.includes(client), client);
    assert.ok(scopes.fix?.includes(`ENTRA_APP_ID_URI = MCP_PUBLIC_URL = ${mcpUrl()}`), scopes.fix);
    assert.match(scopes.fix ?? '', /Application ID URI to the MCP URL/);
  });

  it('a challenge scope outside resource fails too, though scopes_supported is fine', async () => {
    routes.set('POST /mcp', () =>
      challenge(
        `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="api://${CLIENT}/execute"`,
      ),
    );
    const report = await doctor();
    assert.equal(statusOf(report, 'challenge'), 'pass');
    assert.equal(statusOf(report, 'scopes'), 'fail');
  });

  it('no 401 for an unauthenticated POST fails the challenge check', async () => {
    routes.set('POST /mcp', () => ({ status: 200, body: { jsonrpc: '2.0', id: 0, result: {} } }));
    const report = await doctor();
    const check = checkOf(report, 'challenge');
    assert.equal(check.status, 'fail');
    assert.match(check.summary, /answered HTTP 200, not 401; no WWW-Authenticate header/);
    assert.match(check.fix ?? '', /resource_metadata=/);
    assert.equal(report.exitCode, ExitCode.doctor);
  });

  it('a challenge without resource_metadata or scope, or not Bearer, fails', async () => {
    routes.set('POST /mcp', () => challenge('realm="mcp"'));
    let check = checkOf(await doctor(), 'challenge');
    assert.equal(check.status, 'fail');
    assert.match(check.summary, /no resource_metadata parameter; no scope parameter/);
    routes.set('POST /mcp', () => ({ status: 401, headers: { 'WWW-Authenticate': 'Basic realm="x"' } }));
    check = checkOf(await doctor(), 'challenge');
    assert.match(check.summary, /not a Bearer challenge/);
  });

  it('a missing root metadata document fails; the path-inserted one still counts', async () => {
    routes.delete('GET /.well-known/oauth-protected-resource');
    const report = await doctor();
    assert.equal(statusOf(report, 'metadata_path'), 'pass');
    const root = checkOf(report, 'metadata_root');
    assert.equal(root.status, 'fail');
    assert.match(root.summary, /oauth-protected-resource: .*(404|does not implement)/);
    assert.equal(statusOf(report, 'resource'), 'pass');
  });

  it('metadata documents that disagree fail, naming the differing fields', async () => {
    routes.set('GET /.well-known/oauth-protected-resource', () => ({
      status: 200,
      body: metadata({ scopes_supported: [`${mcpUrl()}/other`] }),
    }));
    const root = checkOf(await doctor(), 'metadata_root');
    assert.equal(root.status, 'fail');
    assert.match(root.summary, /differs from .* in scopes_supported$/);
  });

  it('metadata that is not JSON, or not valid RFC 9728 metadata, fails with the reason', async () => {
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: 'hello' }));
    let check = checkOf(await doctor(), 'metadata_path');
    assert.equal(check.status, 'fail');
    assert.match(check.summary, /not JSON/);
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({
      status: 200,
      body: { scopes_supported: ['x'] },
    }));
    check = checkOf(await doctor(), 'metadata_path');
    assert.match(check.summary, /not valid protected resource metadata \(resource: /);
  });

  it('a challenge naming another metadata URL is checked, and that document is the one that counts', async () => {
    routes.set('POST /mcp', () =>
      challenge(`resource_metadata="${base}/meta.json", scope="${mcpUrl()}/execute"`),
    );
    routes.set('GET /meta.json', () => ({ status: 200, body: metadata({ resource: `${base}/elsewhere` }) }));
    const report = await doctor();
    assert.equal(statusOf(report, 'metadata_challenge'), 'fail');
    assert.match(checkOf(report, 'metadata_challenge').summary, /differs .* in resource/);
    assert.equal(statusOf(report, 'resource'), 'fail');
  });

  for (const [what, target] of [
    [
      'a link-local (cloud instance metadata) URL',
      () => 'http://169.254.169.254/metadata/identity/oauth2/token',
    ],
    [
      'another https host',
      () => `https://127.0.0.1:${bystanderPort}/.well-known/oauth-protected-resource/mcp`,
    ],
    ['plain http on the same host', () => `http://127.0.0.1:${bystanderPort}/meta.json`],
    ['a file: URL', () => 'file:///etc/passwd'],
  ] as const) {
    it(`a challenge naming ${what} as resource_metadata is a failed check naming it, never fetched`, async () => {
      bystanderHits = 0;
      routes.set('POST /mcp', () =>
        challenge(`resource_metadata="${target()}", scope="${mcpUrl()}/execute"`),
      );
      const started = Date.now();
      const report = await doctor();
      const check = checkOf(report, 'metadata_challenge');
      assert.equal(check.status, 'fail');
      assert.ok(check.summary.startsWith(`${target()}: not fetched: it is `), check.summary);
      assert.match(check.fix ?? '', /only from the server's own origin/);
      assert.equal(bystanderHits, 0, 'nothing reached the other host');
      assert.ok(Date.now() - started < 4_000, 'no connection attempt to wait for');
      // The server's own documents are still checked.
      assert.equal(statusOf(report, 'metadata_path'), 'pass');
      assert.equal(report.exitCode, ExitCode.doctor);
    });
  }

  it('issuer metadata is fetched only from the configured authority host; another host fails, not fetched', async () => {
    bystanderHits = 0;
    const foreign = `https://127.0.0.1:${bystanderPort}/${TENANT}/v2.0`;
    const doc = metadata({ authorization_servers: [foreign] });
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: doc }));
    routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: doc }));
    const report = await doctor();
    assert.equal(statusOf(report, 'authorization_server'), 'pass');
    const check = checkOf(report, 'openid_configuration');
    assert.equal(check.status, 'fail');
    assert.equal(
      check.summary,
      `${foreign}/.well-known/openid-configuration: not fetched: it is not on the configured authority host ${base} (ENTRA_AUTHORITY_HOST / --authority-host)`,
    );
    assert.match(check.fix ?? '', /--authority-host/);
    assert.equal(bystanderHits, 0);
    // The same issuer passes once the authority host is that host.
    const trusted = await runDoctor(mcpUrl(), {
      timeoutMs: 5_000,
      authorityHost: `https://127.0.0.1:${bystanderPort}`,
    });
    assert.equal(statusOf(trusted, 'openid_configuration'), 'fail');
    assert.equal(bystanderHits, 1, 'fetched from the configured host');
  });

  it('an answer over 1 MiB is not read: the check fails saying so', async () => {
    const huge = { ...metadata(), padding: 'x'.repeat(1_100_000) };
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: huge }));
    const check = checkOf(await doctor(), 'metadata_path');
    assert.equal(check.status, 'fail');
    assert.match(check.summary, /larger than 1 MiB; not read/);
  });

  it('control characters the server chose never reach the terminal', async () => {
    const evil = metadata({ scopes_supported: ['\u001b[2J\u001b]0;pwned\u0007x\u202e\u009b31m\n✓ fake'] });
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: evil }));
    routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: evil }));
    const report = await doctor();
    assert.equal(statusOf(report, 'scopes'), 'fail');
    const lines = doctorLines(report);
    assert.deepEqual(terminalControls(lines.join('\n')), []);
    assert.ok(
      lines.some((l) => l.startsWith('✗ scopes under resource: x ✓ fake is not under ')),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => l.startsWith('✓ fake')), 'no line of its own');
  });

  it('resource other than the server URL fails (RFC 9728 §3.3); a trailing slash is the same URL', async () => {
    const wrong = metadata({ resource: `${base}/other` });
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: wrong }));
    routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: wrong }));
    const check = checkOf(await doctor(), 'resource');
    assert.equal(check.status, 'fail');
    assert.match(check.fix ?? '', /MCP_PUBLIC_URL/);
    const slash = metadata({ resource: `${mcpUrl()}/`, scopes_supported: [`${mcpUrl()}/execute`] });
    routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: slash }));
    routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: slash }));
    assert.equal(statusOf(await doctor(), 'resource'), 'pass');
  });

  for (const [what, issuer] of [
    ['common', (b: string) => `${b}/common/v2.0`],
    ['a v1 issuer', (b: string) => `${b}/${TENANT}`],
    ['a tenant domain', (b: string) => `${b}/contoso.onmicrosoft.com/v2.0`],
    ['another host', () => `http://127.0.0.1:1/${TENANT}/v2.0`],
  ] as const) {
    it(`authorization_servers must be a v2 issuer of a tenant GUID: ${what} fails`, async () => {
      const doc = metadata({ authorization_servers: [issuer(base)] });
      routes.set('GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: doc }));
      routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: doc }));
      const report = await doctor();
      const check = checkOf(report, 'authorization_server');
      assert.equal(check.status, 'fail');
      assert.match(check.fix ?? '', /<tenant-guid>\/v2\.0/);
      assert.equal(statusOf(report, 'openid_configuration'), 'skip');
    });
  }

  it('an issuer whose OpenID configuration is missing or names another issuer fails', async () => {
    routes.set(`GET /${TENANT}/v2.0/.well-known/openid-configuration`, () => ({
      status: 200,
      body: { issuer: `https://login.microsoftonline.com/${TENANT}/v2.0` },
    }));
    let check = checkOf(await doctor(), 'openid_configuration');
    assert.equal(check.status, 'fail');
    assert.match(
      check.summary,
      /names issuer "https:\/\/login\.microsoftonline\.com\/.*", not https:\/\/127/,
    );
    routes.delete(`GET /${TENANT}/v2.0/.well-known/openid-configuration`);
    check = checkOf(await doctor(), 'openid_configuration');
    assert.match(check.summary, /answered HTTP 404/);
  });

  it('an unreachable server exits 5, every later check skipped', async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const report = await runDoctor(`http://127.0.0.1:${port}/mcp`, { timeoutMs: 5_000, authorityHost: base });
    assert.equal(report.exitCode, ExitCode.serverUnreachable);
    assert.match(checkOf(report, 'challenge').summary, /ECONNREFUSED/);
    assert.ok(report.checks.slice(2).every((c) => c.status === 'skip'));
  });

  it('--timeout bounds every request: a server that never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const r = await runCli(['doctor', '--server', `http://127.0.0.1:${port}/mcp`, '--timeout', '0.5'], {});
      assert.equal(r.code, ExitCode.serverUnreachable, r.stdout + r.stderr);
      assert.match(r.stdout, /✗ 401 challenge: cannot reach .* \(timed out\)/);
      assert.ok(Date.now() - started < 15_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('plain http to another machine fails the transport check', async () => {
    const report = await runDoctor('http://192.0.2.1/mcp', { timeoutMs: 200, authorityHost: base });
    const check = checkOf(report, 'transport');
    assert.equal(check.status, 'fail');
    assert.match(check.summary, /unencrypted/);
  });

  it('as a command: one ✓/✗ line per check, --json with every check, exit 7 on a failure', async () => {
    const env = { NODE_EXTRA_CA_CERTS: caCertPath, ENTRA_AUTHORITY_HOST: base };
    const good = await runCli(['doctor', '--server', mcpUrl()], env);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.equal(good.stdout.split('\n').filter((l) => l.startsWith('✓ ')).length, 9);
    assert.match(good.stdout, /✓ All checks passed\./);
    routes.set('GET /.well-known/oauth-protected-resource', () => ({ status: 500, body: {} }));
    const bad = await runCli(['doctor', '--server', mcpUrl(), '--json'], env);
    assert.equal(bad.code, 7, bad.stdout + bad.stderr);
    const doc = JSON.parse(bad.stdout) as DoctorReport & { command: string };
    assert.equal(doc.command, 'doctor');
    assert.equal(doc.ok, false);
    assert.equal(doc.exitCode, 7);
    assert.equal(doc.checks.length, 8);
    assert.equal(doc.checks.find((c) => c.id === 'metadata_root')?.status, 'fail');
  });
});

/** A server that is its own authorization server (MCP_OAUTH_PROXY=on) and does everything right. */
function proxied(asMetadata: Record<string, unknown> = {}): Map<string, () => Answer> {
  const api = `api://${CLIENT}/execute`;
  const prm = metadata({ authorization_servers: [base], scopes_supported: [api] });
  return new Map<string, () => Answer>([
    [
      'POST /mcp',
      () => challenge(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="${api}"`),
    ],
    ['GET /.well-known/oauth-protected-resource/mcp', () => ({ status: 200, body: prm })],
    ['GET /.well-known/oauth-protected-resource', () => ({ status: 200, body: prm })],
    [
      'GET /.well-known/oauth-authorization-server',
      () => ({
        status: 200,
        body: {
          issuer: base,
          authorization_endpoint: `${base}/oauth/authorize`,
          token_endpoint: `${base}/oauth/token`,
          registration_endpoint: `${base}/oauth/register`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
          client_id_metadata_document_supported: true,
          authorization_response_iss_parameter_supported: true,
          ...asMetadata,
        },
      }),
    ],
    ['GET /oauth/callback', () => ({ status: 400, body: 'This sign-in link is not valid' })],
  ]);
}

describe('doctor against an OAuth proxy (the server is its own authorization server)', () => {
  it('passes: api:// scopes are fine, the AS metadata, CIMD and DCR, and the callback are checked', async () => {
    routes = proxied();
    const report = await doctor();
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.status]),
      [
        ['transport', 'pass'],
        ['challenge', 'pass'],
        ['metadata_path', 'pass'],
        ['metadata_root', 'pass'],
        ['resource', 'pass'],
        ['scopes', 'pass'],
        ['authorization_server', 'pass'],
        ['openid_configuration', 'skip'],
        ['authorization_server_metadata', 'pass'],
        ['client_registration', 'pass'],
        ['callback', 'pass'],
      ],
    );
    assert.match(checkOf(report, 'client_registration').summary, /CIMD.*dynamic registration/);
  });

  for (const [what, over, pattern] of [
    ['an issuer other than its origin', { issuer: `${'https://127.0.0.1:1'}` }, /issuer .* is not/],
    ['no PKCE S256', { code_challenge_methods_supported: ['plain'] }, /lacks S256/],
    ['no public clients', { token_endpoint_auth_methods_supported: ['client_secret_basic'] }, /lacks none/],
    [
      'a token endpoint on another origin',
      { token_endpoint: 'https://elsewhere.example/token' },
      /token_endpoint/,
    ],
  ] as const) {
    it(`AS metadata with ${what} fails`, async () => {
      routes = proxied(over);
      const check = checkOf(await doctor(), 'authorization_server_metadata');
      assert.equal(check.status, 'fail');
      assert.match(check.summary, pattern);
    });
  }

  it('neither CIMD nor DCR fails client_registration; a missing callback (404) fails callback', async () => {
    routes = proxied({ client_id_metadata_document_supported: false, registration_endpoint: undefined });
    routes.delete('GET /oauth/callback');
    const report = await doctor();
    assert.equal(statusOf(report, 'client_registration'), 'fail');
    assert.equal(statusOf(report, 'callback'), 'fail');
    assert.equal(report.exitCode, ExitCode.doctor);
  });

  it('no AS metadata at all fails, the checks that need it skipped', async () => {
    routes = proxied();
    routes.delete('GET /.well-known/oauth-authorization-server');
    const report = await doctor();
    assert.equal(statusOf(report, 'authorization_server_metadata'), 'fail');
    assert.equal(statusOf(report, 'client_registration'), 'skip');
    assert.equal(statusOf(report, 'callback'), 'skip');
  });
});

describe('doctor helpers', () => {
  it('scopeUnderResource: <resource>/<one segment>', () => {
    assert.equal(scopeUnderResource('https://a.example/mcp/execute', 'https://a.example/mcp'), true);
    assert.equal(scopeUnderResource('https://a.example/mcp/execute', 'https://a.example/mcp/'), true);
    assert.equal(scopeUnderResource('https://a.example/mcpx/execute', 'https://a.example/mcp'), false);
    assert.equal(scopeUnderResource('https://a.example/mcp/a/b', 'https://a.example/mcp'), false);
    assert.equal(scopeUnderResource('https://a.example/mcp/', 'https://a.example/mcp'), false);
    assert.equal(scopeUnderResource(`api://${CLIENT}/execute`, 'https://a.example/mcp'), false);
  });

  it('entraV2Issuer: reads host and tenant of https://<host>/<tenant guid>/v2.0', () => {
    assert.deepEqual(entraV2Issuer(`https://login.microsoftonline.com/${TENANT}/v2.0`), {
      host: 'https://login.microsoftonline.com',
      tenantId: TENANT,
    });
  });

  for (const [what, bad] of [
    ['a v1 issuer', `https://sts.windows.net/${TENANT}/`],
    ['a trailing slash', `https://login.microsoftonline.com/${TENANT}/v2.0/`],
    ['a tenant alias', `https://login.microsoftonline.com/organizations/v2.0`],
    ['plain http', `http://login.microsoftonline.com/${TENANT}/v2.0`],
    ['not a URL', 'not a url'],
  ] as const) {
    it(`entraV2Issuer: nothing for ${what}`, () => {
      assert.equal(entraV2Issuer(bad), undefined);
    });
  }
});
