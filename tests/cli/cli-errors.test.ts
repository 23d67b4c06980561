// The CLI's failures end to end: exit codes, tool errors, Ctrl-C, unreachable servers, usage errors and
// misconfigured apps and servers, each with its cause and fix.
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { cliFixture } from './cli-fixture.js';
import { clientEnv, closedPort, runCli, show, startCli } from './run-cli.js';

const fx = cliFixture();

describe('client CLI failures', () => {
  it('a tool error exits 6 with the tool message; bad JSON arguments exit 2', async () => {
    const cache = join(fx.newDir(), 'c.json');
    const bob = fx.emulator.users[1]!;
    const r = await fx.cli(
      cache,
      'call',
      'list_resource_groups',
      JSON.stringify({ subscriptionId: bob.subscriptions[0]!.subscriptionId }),
    );
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /Tool list_resource_groups returned an error: .*\[arm_forbidden\]/);
    assert.match(
      r.stderr,
      /Fix: You have no Azure RBAC role there: ask an owner .* for one, such as Reader\./,
    );
    assert.doesNotMatch(r.stderr, /--help lists the tools/, "the code's own fix, not the usage");
    const j = await fx.cli(cache, '--json', 'call', 'list_resource_groups', '{"subscriptionId":"nope"}');
    assert.equal(j.code, 6, show(j));
    assert.equal((JSON.parse(j.stdout) as { error: { kind: string } }).error.kind, 'tool');
    const bad = await fx.cli(cache, 'call', 'list_resource_groups', '{not json');
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /not valid JSON/);
  });

  it('an unknown tool is a tool error (exit 6), not "not an MCP endpoint (HTTP 405)"', async () => {
    // The SDK's background GET stream is answered 405 by the stateless server; that is no endpoint error.
    const r = await fx.cli(join(fx.newDir(), 'c.json'), 'call', 'no_such_tool');
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, /no_such_tool/);
    assert.doesNotMatch(r.stderr, /not an MCP endpoint/);
    const j = await fx.cli(join(fx.newDir(), 'c.json'), '--json', 'call', 'no_such_tool');
    assert.equal(j.code, 6, show(j));
    assert.equal((JSON.parse(j.stdout) as { error: { kind: string } }).error.kind, 'tool');
  });

  it('Ctrl-C (SIGINT) with --json prints the interrupted error document and exits 130', async () => {
    // A server that accepts connections and never answers: the CLI waits in scope discovery.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const run = startCli(
        [
          '--yes',
          '--json',
          '--server',
          `http://127.0.0.1:${port}/mcp`,
          '--cache',
          join(fx.newDir(), 'c.json'),
        ],
        fx.env,
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
    const r = await runCli(['--yes', '--server', server, '--cache', join(fx.newDir(), 'c.json')], fx.env);
    assert.equal(r.code, 5, show(r));
    assert.match(
      r.stderr,
      new RegExp(`✗ Cannot reach the MCP server at ${server.replace(/[/.]/g, '\\$&')} \\(ECONNREFUSED\\)`),
    );
    assert.match(r.stderr, /Fix: Is the server running \(npm run serve, or func start\)\? Check --server\./);
    // Reported before signing in: no device code for a server that is not there.
    assert.doesNotMatch(r.stdout, /Acquiring Azure token/);
    assert.equal(fx.emulator.counts()['entra.devicecode'] ?? 0, 0);
    const wrongPath = await runCli(
      ['--yes', '--server', fx.host.url + '/nope', '--cache', join(fx.newDir(), 'c.json')],
      fx.env,
    );
    assert.equal(wrongPath.code, 5, show(wrongPath));
    assert.match(wrongPath.stderr, /is not an MCP endpoint \(HTTP 404\)/);
  });

  it('https:// against the plain http dev host: a protocol mismatch, not "is the server running?"', async () => {
    const server = fx.host.mcpUrl.replace(/^http:/, 'https:');
    const r = await runCli(['--yes', '--server', server, '--cache', join(fx.newDir(), 'c.json')], fx.env);
    assert.equal(r.code, 5, show(r));
    assert.match(
      r.stderr,
      /✗ The server at https:\/\/127\.0\.0\.1:\d+\/mcp does not speak TLS \(ERR_SSL_[A-Z_]+\): it answers plain http, not https\./,
    );
    assert.match(
      r.stderr,
      /Fix: Use http:\/\/ for a plain http server \(npm run serve: --server http:\/\/127\.0\.0\.1:\d+\/mcp\)/,
    );
    assert.doesNotMatch(r.stderr, /Is the server running/);
  });

  it('logout --cache <folder>: a clear usage error, the folder untouched', async () => {
    const folder = fx.newDir();
    mkdirSync(folder, { recursive: true });
    const r = await runCli(['logout', '--cache', folder], fx.env);
    assert.equal(r.code, 2, show(r));
    assert.match(
      r.stderr,
      /is a folder, not the token cache file; nothing removed\.\n {2}Fix: --cache names the cache file itself/,
    );
    assert.doesNotMatch(r.stderr, /EISDIR/);
    assert.ok(statSync(folder).isDirectory());
  });

  it('usage errors exit 2: missing client id, unknown flag', async () => {
    const noClient = { ...fx.env };
    delete noClient.ENTRA_CLIENT_ID;
    const r = await runCli(['--yes', '--server', fx.host.mcpUrl], noClient);
    assert.equal(r.code, 2, show(r));
    assert.match(
      r.stderr,
      /Missing the app registration \(client\) id[\s\S]*Set ENTRA_CLIENT_ID \(the API app\)[\s\S]*ENTRA_CLI_CLIENT_ID, or pass --client-id/,
    );
    const u = await runCli(['--bogus'], fx.env);
    assert.equal(u.code, 2, show(u));
    assert.match(u.stderr, /^✗ Unknown option '--bogus'\.$/m);
    const g = await runCli(['--yes', '--client-id', 'abc'], fx.env);
    assert.equal(g.code, 2, show(g));
    assert.match(g.stderr, /--client-id must be an application \(client\) id, a GUID/);
    const h = await runCli(['--help'], fx.env);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Exit codes:/);
  });
});

describe('client CLI against misconfigured apps and servers', () => {
  let other: DevHost;
  const otherClientId = '0badc0de-0000-4000-8000-000000000000';

  before(async () => {
    // A server whose app registration is another one: it advertises api://<other>/execute and rejects
    // tokens for the fx.emulator's app.
    other = await startDevHost({ ...fx.emulator.env('secret'), ENTRA_CLIENT_ID: otherClientId });
  });
  after(async () => other?.stop());

  it('a 401 from the server exits 4 with the challenge error and scope', async () => {
    const scope = `api://${fx.emulator.clientId}/execute`;
    const r = await runCli(
      ['--yes', '--server', other.mcpUrl, '--scope', scope, '--cache', join(fx.newDir(), 'c.json')],
      fx.env,
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
      ['--yes', '--json', '--server', other.mcpUrl, '--scope', scope, '--cache', join(fx.newDir(), 'c.json')],
      fx.env,
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

  it("ignores a server's scope of another app, and sends the default scope's token only to a server tied to it", async () => {
    // The other server advertises api://<other>/execute: a server must not choose which API the token is for.
    const r = await runCli(
      ['--yes', '--server', other.mcpUrl, '--cache', join(fx.newDir(), 'c.json')],
      fx.env,
    );
    assert.ok(
      r.stderr.includes(
        `Note: using the default scope api://${fx.emulator.clientId}/execute: the server asked for api://${otherClientId}/execute, which is neither a scope of app ${fx.emulator.clientId} nor under ${other.mcpUrl}`,
      ),
      r.stderr,
    );
    assert.match(r.stderr, /pass it explicitly with --scope/);
    // Nothing ties that server to the API: no sign-in, no token (a look-alike could replay it).
    assert.equal(r.code, 2, show(r));
    assert.ok(
      r.stderr.includes(
        `✗ Not signing in for the default scope api://${fx.emulator.clientId}/execute to send the token to ${other.mcpUrl}: nothing ties that server to the API app ${fx.emulator.clientId}.`,
      ),
      r.stderr,
    );
    assert.match(
      r.stderr,
      /Fix: If .* is a server of that API, say so: add it to ENTRA_API_SERVER_URLS .*or pass --scope api:\/\//,
    );
    assert.equal(fx.emulator.counts()['entra.devicecode'] ?? 0, 0);
    // Tied by the setting, the token for the CLI's own app goes there and is rejected by that server.
    const tied = await runCli(['--yes', '--server', other.mcpUrl, '--cache', join(fx.newDir(), 'c.json')], {
      ...fx.env,
      ENTRA_API_SERVER_URLS: `${fx.host.mcpUrl}, ${other.mcpUrl}/`,
    });
    assert.ok(tied.stdout.includes(`Scope: api://${fx.emulator.clientId}/execute (default)`), tied.stdout);
    assert.equal(tied.code, 4, show(tied));
    assert.equal(fx.emulator.counts()['entra.devicecode'], 1);
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
        join(fx.newDir(), 'c.json'),
      ],
      fx.env,
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
        `Add the scope api://${fx.emulator.clientId}/execute under App Registration → Expose an API`,
      ),
      r.stderr,
    );
  });

  it('a scope the API does not expose (AADSTS650053) exits 3 and says to expose it', async () => {
    const r = await fx.cli(join(fx.newDir(), 'c.json'), '--scope', `api://${fx.emulator.clientId}/admin`);
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
        ['--yes', '--server', wideHost.mcpUrl, '--scope', scope, '--cache', join(fx.newDir(), 'c.json')],
        clientEnv(wide, fx.home),
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
    fx.emulator.update({ publicClientFlowsEnabled: false });
    try {
      const r = await fx.cli(join(fx.newDir(), 'c.json'));
      assert.equal(r.code, 3, show(r));
      assert.match(
        r.stderr,
        /✗ Entra ID refused the public client sign-in \(AADSTS7000218 invalid_client\): public client flows are disabled/,
      );
      assert.match(r.stderr, /Fix: Enable public client flows in App Registration → Authentication/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      const v = await fx.cli(join(fx.newDir(), 'c.json'), '--verbose');
      assert.equal(v.code, 3);
      assert.match(v.stderr, /Caused by: /, 'stack traces with --verbose');
    } finally {
      fx.emulator.update({ publicClientFlowsEnabled: true });
    }
  });
});
