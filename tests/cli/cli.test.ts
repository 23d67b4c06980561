// The client CLI as a child process against the dev host (child process) and the emulated Entra ID / ARM.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { clientEnv, runCli, startCli } from './run-cli.js';
import type { CliRun } from './run-cli.js';

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./;
let emulator: Emulator;
let host: DevHost;
let home: string;
let env: Record<string, string>;
let dirs = 0;

const alice = () => emulator.users[0]!;
const newDir = () => join(home, `run-${++dirs}`);
const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The CLI with --yes, the dev host and a cache file. */
function cli(cache: string, ...args: string[]): Promise<CliRun> {
  return runCli(['--yes', '--server', host.mcpUrl, '--cache', cache, ...args], env);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  emulator = await startEmulator({ autoApproveDeviceCode: 'alice@contoso.example' });
  host = await startDevHost(emulator.env('keyvault'));
  home = await mkdtemp(join(tmpdir(), 'obo-client-test-'));
  env = clientEnv(emulator, home);
});

after(async () => {
  await host?.stop();
  await emulator?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

beforeEach(() => emulator.resetCounts());

describe('client CLI against the dev host', () => {
  it('signs in with a device code, then silently from the 0600 cache on the second run', async () => {
    const dir = join(newDir(), 'nested');
    const cache = join(dir, 'token-cache.json');
    const first = await cli(cache);
    assert.equal(first.code, 0, show(first));
    assert.equal(emulator.counts()['entra.devicecode'], 1);
    assert.match(first.stdout, /^Starting Azure OBO MCP Client$/m);
    assert.match(first.stdout, /✓ Token acquired with device code sign-in/);
    assert.match(
      first.stderr,
      /To sign in, use a web browser to open the page https:\/\/127\.0\.0\.1:\d+\/devicelogin and enter the code/,
    );
    assert.ok(!first.stdout.includes('devicelogin'), 'device code instructions go to stderr');
    assert.equal(statSync(cache).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);

    const second = await cli(cache);
    assert.equal(second.code, 0, show(second));
    assert.equal(emulator.counts()['entra.devicecode'], 1, 'no second device code request');
    assert.equal(emulator.counts()['entra.token.device_code'], 1);
    assert.match(second.stdout, /✓ Token acquired silently from cache/);
    assert.equal(second.stderr.trim(), '');
    assert.equal(statSync(cache).mode & 0o777, 0o600);

    // The demo's expected output, line by line.
    for (const line of [
      'Acquiring Azure token...',
      `Connecting to MCP server: ${host.mcpUrl}`,
      '✓ Connected to MCP server successfully',
      '✓ Server responded to ping',
      "Available tools: ['get_subscriptions', 'get_user_info', 'list_resource_groups', 'list_resources']",
      `✓ User: ${alice().upn}`,
      `✓ Name: ${alice().name}`,
      `✓ Tenant: ${emulator.tenantId}`,
      '✓ Scopes: execute',
      `✓ Found ${alice().subscriptions.length} subscriptions`,
      'Azure Subscriptions:',
      '─'.repeat(80),
    ]) {
      assert.ok(second.stdout.split('\n').includes(line), `missing line: ${line}\n${second.stdout}`);
    }
    for (const s of alice().subscriptions) {
      assert.match(
        second.stdout,
        new RegExp(
          `Name: ${s.displayName.replace('/', '\\/')}\\n   ID: ${s.subscriptionId}\\n   State: ${s.state}\\n   Tenant: ${emulator.tenantId}`,
        ),
      );
    }
    // The token is only shown redacted.
    assert.match(second.stdout, /Bearer token: eyJ[A-Za-z0-9_-]{9}… \(expires \d{4}-/);
    assert.doesNotMatch(second.stdout + second.stderr, JWT);
  });

  it('--json prints one JSON document with the subscriptions, and no token', async () => {
    const r = await cli(join(newDir(), 'c.json'), '--json');
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(doc.ok, true);
    assert.equal(doc.scope, `api://${emulator.clientId}/execute`);
    assert.equal(doc.scopeSource, 'metadata');
    assert.equal((doc.token as { source: string }).source, 'device_code');
    assert.equal((doc.user as { upn: string }).upn, alice().upn);
    const subs = doc.subscriptions as { subscriptionId: string; displayName: string }[];
    assert.equal(doc.count, alice().subscriptions.length);
    assert.deepEqual(
      subs.map((s) => s.subscriptionId).sort(),
      alice()
        .subscriptions.map((s) => s.subscriptionId)
        .sort(),
    );
    assert.doesNotMatch(r.stdout + r.stderr, JWT);
  });

  it('--show-token prints the full token', async () => {
    const r = await cli(join(newDir(), 'c.json'), '--show-token');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Full Bearer Token: eyJ/);
    assert.match(r.stdout, JWT);
  });

  it('keeps the cache in $XDG_CACHE_HOME/azure-obo-mcp by default', async () => {
    const xdg = newDir();
    const r = await runCli(['--yes', '--server', host.mcpUrl], { ...env, XDG_CACHE_HOME: xdg });
    assert.equal(r.code, 0, show(r));
    const file = join(xdg, 'azure-obo-mcp', 'token-cache.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(xdg, 'azure-obo-mcp')).mode & 0o777, 0o700);
    const out = await runCli(['logout'], { ...env, XDG_CACHE_HOME: xdg });
    assert.equal(out.code, 0, show(out));
    assert.ok(!existsSync(file));
  });

  it('renews an expired access token silently with the cached refresh token', async () => {
    emulator.update({ tokenLifetimeSec: 120 }); // within MSAL's 5-minute renewal window: always "expired"
    try {
      const cache = join(newDir(), 'c.json');
      assert.equal((await cli(cache)).code, 0);
      emulator.resetCounts();
      const r = await cli(cache);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /✓ Token refreshed silently \(refresh token from cache\)/);
      assert.equal(emulator.counts()['entra.devicecode'] ?? 0, 0);
      assert.equal(emulator.counts()['entra.token.refresh_token'], 1);
    } finally {
      emulator.update({ tokenLifetimeSec: 3600 });
    }
  });

  it('logout removes the cache; the next run signs in with a device code again', async () => {
    const cache = join(newDir(), 'c.json');
    assert.equal((await cli(cache)).code, 0);
    const out = await runCli(['logout', '--cache', cache], env);
    assert.equal(out.code, 0, show(out));
    assert.match(out.stdout, /Signed out: removed the token cache/);
    assert.ok(!existsSync(cache));
    const again = await runCli(['logout', '--cache', cache], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to remove/);
    emulator.resetCounts();
    assert.equal((await cli(cache, '--json')).code, 0);
    assert.equal(emulator.counts()['entra.devicecode'], 1);
  });

  it('--clear-cache forces a new sign-in', async () => {
    const cache = join(newDir(), 'c.json');
    assert.equal((await cli(cache)).code, 0);
    emulator.resetCounts();
    const r = await cli(cache, '--clear-cache');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Removed the token cache/);
    assert.equal(emulator.counts()['entra.devicecode'], 1);
  });

  it('a corrupt cache is a sign-in failure (exit 3) that says to log out', async () => {
    const dir = newDir();
    const cache = join(dir, 'c.json');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    writeFileSync(cache, '{ not json', { mode: 0o600 });
    const r = await cli(cache);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /token cache .* is unreadable or corrupt/);
    assert.match(r.stderr, /Fix: Run "azure-obo-mcp logout" \(or delete /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --verbose');
  });

  it('calls any tool with JSON arguments (call <tool> <json> and --tool/--args)', async () => {
    const cache = join(newDir(), 'c.json');
    const sub = alice().subscriptions[0]!;
    const r = await cli(
      cache,
      'call',
      'list_resource_groups',
      JSON.stringify({ subscriptionId: sub.subscriptionId }),
    );
    assert.equal(r.code, 0, show(r));
    for (const rg of sub.resourceGroups ?? [])
      assert.match(r.stdout, new RegExp(`- ${rg.name} \\(${rg.location}\\)`));

    const j = await cli(
      cache,
      '--json',
      '--tool',
      'list_resources',
      '--args',
      JSON.stringify({ subscriptionId: sub.subscriptionId, resourceGroup: 'rg-web' }),
    );
    assert.equal(j.code, 0, show(j));
    const doc = JSON.parse(j.stdout) as {
      ok: boolean;
      tool: string;
      result: { structuredContent: { resources: { name: string }[] } };
    };
    assert.equal(doc.tool, 'list_resources');
    assert.deepEqual(
      doc.result.structuredContent.resources.map((x) => x.name).sort(),
      ['aliceweb', 'alicewebplan', 'alicestore01'].sort(),
    );
  });

  it('a tool error exits 6 with the tool message; bad JSON arguments exit 2', async () => {
    const cache = join(newDir(), 'c.json');
    const bob = emulator.users[1]!;
    const r = await cli(
      cache,
      'call',
      'list_resource_groups',
      JSON.stringify({ subscriptionId: bob.subscriptions[0]!.subscriptionId }),
    );
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /Tool list_resource_groups returned an error: .*\[arm_(forbidden|not_found)\]/);
    const j = await cli(cache, '--json', 'call', 'list_resource_groups', '{"subscriptionId":"nope"}');
    assert.equal(j.code, 6, show(j));
    assert.equal((JSON.parse(j.stdout) as { error: { kind: string } }).error.kind, 'tool');
    const bad = await cli(cache, 'call', 'list_resource_groups', '{not json');
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /not valid JSON/);
  });

  it('an unknown tool is a tool error (exit 6), not "not an MCP endpoint (HTTP 405)"', async () => {
    // The SDK's background GET stream is answered 405 by the stateless server; that is no endpoint error.
    const r = await cli(join(newDir(), 'c.json'), 'call', 'no_such_tool');
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /no_such_tool/);
    assert.doesNotMatch(r.stderr, /not an MCP endpoint/);
    const j = await cli(join(newDir(), 'c.json'), '--json', 'call', 'no_such_tool');
    assert.equal(j.code, 6, show(j));
    assert.equal((JSON.parse(j.stdout) as { error: { kind: string } }).error.kind, 'tool');
  });

  it('without a tenant id, says the tenant was taken from the server metadata', async () => {
    const noTenant = { ...env };
    delete noTenant.ENTRA_TENANT_ID;
    const r = await runCli(
      ['--yes', '--server', host.mcpUrl, '--cache', join(newDir(), 'c.json'), '--tool', 'get_user_info'],
      noTenant,
    );
    assert.equal(r.code, 0, show(r));
    assert.ok(
      r.stderr.includes(
        `Note: tenant ${emulator.tenantId} taken from the server's protected resource metadata (authorization server ${emulator.entraUrl}/${emulator.tenantId}/v2.0)`,
      ),
      r.stderr,
    );
  });

  it('Ctrl-C (SIGINT) with --json prints the interrupted error document and exits 130', async () => {
    // A server that accepts connections and never answers: the CLI waits in scope discovery.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const run = startCli(
        ['--yes', '--json', '--server', `http://127.0.0.1:${port}/mcp`, '--cache', join(newDir(), 'c.json')],
        env,
      );
      const deadline = Date.now() + 20_000;
      while (sockets.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(sockets.size > 0, 'the CLI connected to the server');
      run.child.kill('SIGINT');
      const r = await run.done;
      assert.equal(r.code, 130, show(r));
      const doc = JSON.parse(r.stdout) as { ok: boolean; error: { kind: string; exitCode: number } };
      assert.deepEqual([doc.ok, doc.error.kind, doc.error.exitCode], [false, 'interrupted', 130]);
      assert.match(r.stderr, /Interrupted\./);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('an unreachable server exits 5 and asks whether npm run serve is running', async () => {
    const server = `http://127.0.0.1:${await closedPort()}/mcp`;
    const r = await runCli(['--yes', '--server', server, '--cache', join(newDir(), 'c.json')], env);
    assert.equal(r.code, 5, show(r));
    assert.match(
      r.stderr,
      new RegExp(`✗ Cannot reach the MCP server at ${server.replace(/[/.]/g, '\\$&')} \\(ECONNREFUSED\\)`),
    );
    assert.match(r.stderr, /Fix: Is the server running \(npm run serve, or func start\)\? Check --server\./);
    // Reported before signing in: no device code for a server that is not there.
    assert.doesNotMatch(r.stdout, /Acquiring Azure token/);
    assert.equal(emulator.counts()['entra.devicecode'] ?? 0, 0);
    const wrongPath = await runCli(
      ['--yes', '--server', host.url + '/nope', '--cache', join(newDir(), 'c.json')],
      env,
    );
    assert.equal(wrongPath.code, 5, show(wrongPath));
    assert.match(wrongPath.stderr, /is not an MCP endpoint \(HTTP 404\)/);
  });

  it('without --yes and without a terminal, stops before contacting the server (exit 0)', async () => {
    emulator.resetCounts();
    const r = await runCli(['--server', host.mcpUrl, '--cache', join(newDir(), 'c.json')], env);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stderr,
      /Stopped before sending the token to the MCP server: stdin is not a terminal; pass --yes/,
    );
    assert.doesNotMatch(r.stdout, /Connecting to MCP server/);
    assert.equal(emulator.counts()['entra.token.obo'] ?? 0, 0);
  });

  it('usage errors exit 2: missing client id, unknown flag', async () => {
    const noClient = { ...env };
    delete noClient.ENTRA_CLIENT_ID;
    const r = await runCli(['--yes', '--server', host.mcpUrl], noClient);
    assert.equal(r.code, 2, show(r));
    assert.match(
      r.stderr,
      /Missing the app registration \(client\) id[\s\S]*Set ENTRA_CLIENT_ID \(the API app\)[\s\S]*ENTRA_CLI_CLIENT_ID, or pass --client-id/,
    );
    const u = await runCli(['--bogus'], env);
    assert.equal(u.code, 2, show(u));
    const h = await runCli(['--help'], env);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Exit codes:/);
  });
});

describe('client CLI against misconfigured apps and servers', () => {
  let other: DevHost;
  const otherClientId = '0badc0de-0000-4000-8000-000000000000';

  before(async () => {
    // A server whose app registration is another one: it advertises api://<other>/execute and rejects
    // tokens for the emulator's app.
    other = await startDevHost({ ...emulator.env('secret'), ENTRA_CLIENT_ID: otherClientId });
  });
  after(async () => other?.stop());

  it('a 401 from the server exits 4 with the challenge error and scope', async () => {
    const scope = `api://${emulator.clientId}/execute`;
    const r = await runCli(
      ['--yes', '--server', other.mcpUrl, '--scope', scope, '--cache', join(newDir(), 'c.json')],
      env,
    );
    assert.equal(r.code, 4, show(r));
    assert.match(
      r.stderr,
      /✗ The MCP server rejected the token \(401 Unauthorized\): invalid_token: The access token was issued for another API/,
    );
    assert.ok(
      r.stderr.includes(`Request the scope the server names (api://${otherClientId}/execute)`),
      r.stderr,
    );
    const j = await runCli(
      ['--yes', '--json', '--server', other.mcpUrl, '--scope', scope, '--cache', join(newDir(), 'c.json')],
      env,
    );
    assert.equal(j.code, 4);
    const doc = JSON.parse(j.stdout) as {
      error: { kind: string; exitCode: number; details: { status: number; error: string; scope: string } };
    };
    assert.deepEqual(
      [doc.error.kind, doc.error.exitCode, doc.error.details.status, doc.error.details.error],
      ['server_auth', 4, 401, 'invalid_token'],
    );
    assert.equal(doc.error.details.scope, `api://${otherClientId}/execute`);
  });

  it("ignores a server's scope of another app, falls back to its own, and says to pass --scope", async () => {
    // The other server advertises api://<other>/execute: a server must not choose which API the token is for.
    const r = await runCli(['--yes', '--server', other.mcpUrl, '--cache', join(newDir(), 'c.json')], env);
    assert.ok(
      r.stderr.includes(
        `Note: using the default scope api://${emulator.clientId}/execute: the server asked for api://${otherClientId}/execute, which is neither a scope of app ${emulator.clientId} nor under ${other.mcpUrl}`,
      ),
      r.stderr,
    );
    assert.match(r.stderr, /pass it explicitly with --scope/);
    assert.ok(r.stdout.includes(`Scope: api://${emulator.clientId}/execute (default)`), r.stdout);
    // The token for the CLI's own app is then rejected by that server.
    assert.equal(r.code, 4, show(r));
    assert.equal(emulator.counts()['entra.devicecode'], 1);
  });

  it('a scope the tenant does not know (AADSTS500011) exits 3 and says to expose the API', async () => {
    const r = await runCli(
      [
        '--yes',
        '--server',
        other.mcpUrl,
        '--scope',
        `api://${otherClientId}/execute`,
        '--cache',
        join(newDir(), 'c.json'),
      ],
      env,
    );
    assert.equal(r.code, 3, show(r));
    assert.ok(
      r.stderr.includes(
        `✗ The scope api://${otherClientId}/execute is not available (AADSTS500011 invalid_resource)`,
      ),
      r.stderr,
    );
    assert.ok(
      r.stderr.includes(
        `Add the scope api://${emulator.clientId}/execute under App Registration → Expose an API`,
      ),
      r.stderr,
    );
  });

  it('a scope the API does not expose (AADSTS650053) exits 3 and says to expose it', async () => {
    const r = await cli(join(newDir(), 'c.json'), '--scope', `api://${emulator.clientId}/admin`);
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /is not available \(AADSTS650053 invalid_client\)/);
    assert.match(r.stderr, /Expose an API/);
  });

  it('a 403 insufficient_scope from the server exits 4 and names the scope to request', async () => {
    // An app that also exposes "read": a token with only that scope passes Entra ID but not the server.
    const wide = await startEmulator({
      autoApproveDeviceCode: 'alice@contoso.example',
      exposedScopes: ['execute', 'read'],
    });
    const wideHost = await startDevHost(wide.env('secret'));
    try {
      const scope = `api://${wide.clientId}/read`;
      const r = await runCli(
        ['--yes', '--server', wideHost.mcpUrl, '--scope', scope, '--cache', join(newDir(), 'c.json')],
        clientEnv(wide, home),
      );
      assert.equal(r.code, 4, show(r));
      assert.match(
        r.stderr,
        /✗ The MCP server refused \(403 Forbidden\): insufficient_scope: The access token lacks the required scope/,
      );
      assert.ok(
        r.stderr.includes(`Request the scope the server names (api://${wide.clientId}/execute)`),
        r.stderr,
      );
    } finally {
      await wideHost.stop();
      await wide.stop();
    }
  });

  it('public client flows disabled: exit 3 with AADSTS7000218 and how to enable them', async () => {
    emulator.update({ publicClientFlowsEnabled: false });
    try {
      const r = await cli(join(newDir(), 'c.json'));
      assert.equal(r.code, 3, show(r));
      assert.match(
        r.stderr,
        /✗ Entra ID refused the public client sign-in \(AADSTS7000218 invalid_client\): public client flows are disabled/,
      );
      assert.match(r.stderr, /Fix: Enable public client flows in App Registration → Authentication/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      const v = await cli(join(newDir(), 'c.json'), '--verbose');
      assert.equal(v.code, 3);
      assert.match(v.stderr, /Caused by: /, 'stack traces with --verbose');
    } finally {
      emulator.update({ publicClientFlowsEnabled: true });
    }
  });
});
