// The CLI's main flow as a child process against the dev host and the emulated Entra ID / ARM: device code
// sign-in, the demo's output, --json, calling tools.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fakeMcpServer, replyResult } from '../helpers/fake-mcp.js';
import { terminalControls } from '../helpers/terminal-controls.js';
import { cliFixture } from './cli-fixture.js';
import { JWT, runCli, show } from './run-cli.js';

const fx = cliFixture();

describe('client CLI against the dev host', () => {
  it('signs in with a device code, then silently from the 0600 cache on the second run', async () => {
    const dir = join(fx.newDir(), 'nested');
    const cache = join(dir, 'token-cache.json');
    const first = await fx.cli(cache);
    assert.equal(first.code, 0, show(first));
    assert.equal(fx.emulator.counts()['entra.devicecode'], 1);
    assert.match(first.stdout, /^Starting Azure OBO MCP Client$/m);
    assert.match(first.stdout, /✓ Token acquired with device code sign-in/);
    assert.match(
      first.stderr,
      /To sign in, use a web browser to open the page https:\/\/127\.0\.0\.1:\d+\/devicelogin and enter the code/,
    );
    assert.ok(!first.stdout.includes('devicelogin'), 'device code instructions go to stderr');
    assert.equal(statSync(cache).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);

    const second = await fx.cli(cache);
    assert.equal(second.code, 0, show(second));
    assert.equal(fx.emulator.counts()['entra.devicecode'], 1, 'no second device code request');
    assert.equal(fx.emulator.counts()['entra.token.device_code'], 1);
    assert.match(second.stdout, /✓ Token acquired silently from cache/);
    assert.equal(second.stderr.trim(), '');
    assert.equal(statSync(cache).mode & 0o777, 0o600);

    // The demo's expected output, line by line.
    for (const line of [
      'Acquiring Azure token...',
      `Connecting to MCP server: ${fx.host.mcpUrl}`,
      '✓ Connected to MCP server successfully',
      '✓ Server responded to ping',
      "Available tools: ['get_subscriptions', 'get_user_info', 'list_resource_groups', 'list_resources']",
      `✓ User: ${fx.alice().upn}`,
      `✓ Name: ${fx.alice().name}`,
      `✓ Tenant: ${fx.emulator.tenantId}`,
      '✓ Scopes: execute',
      `✓ Found ${fx.alice().subscriptions.length} subscriptions`,
      'Azure Subscriptions:',
      '─'.repeat(80),
    ]) {
      assert.ok(second.stdout.split('\n').includes(line), `missing line: ${line}\n${second.stdout}`);
    }
    for (const s of fx.alice().subscriptions) {
      assert.match(
        second.stdout,
        new RegExp(
          `Name: ${s.displayName.replace('/', '\\/')}\\n   ID: ${s.subscriptionId}\\n   State: ${s.state}\\n   Tenant: ${fx.emulator.tenantId}`,
        ),
      );
    }
    // The token is only shown redacted.
    assert.match(second.stdout, /Bearer token: eyJ[A-Za-z0-9_-]{9}… \(expires \d{4}-/);
    assert.doesNotMatch(second.stdout + second.stderr, JWT);
  });

  it('--json prints one JSON document with the subscriptions, and no token', async () => {
    const r = await fx.cli(join(fx.newDir(), 'c.json'), '--json');
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(doc.ok, true);
    assert.equal(doc.scope, `api://${fx.emulator.clientId}/execute`);
    assert.equal(doc.scopeSource, 'metadata');
    assert.equal((doc.token as { source: string }).source, 'device_code');
    assert.equal((doc.user as { upn: string }).upn, fx.alice().upn);
    const subs = doc.subscriptions as { subscriptionId: string; displayName: string }[];
    assert.equal(doc.count, fx.alice().subscriptions.length);
    assert.deepEqual(
      subs.map((s) => s.subscriptionId).sort(),
      fx
        .alice()
        .subscriptions.map((s) => s.subscriptionId)
        .sort(),
    );
    assert.doesNotMatch(r.stdout + r.stderr, JWT);
  });

  it('--show-token prints the full token', async () => {
    const r = await fx.cli(join(fx.newDir(), 'c.json'), '--show-token');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Full Bearer Token: eyJ/);
    assert.match(r.stdout, JWT);
  });

  it('calls any tool with JSON arguments (call <tool> <json> and --tool/--args)', async () => {
    const cache = join(fx.newDir(), 'c.json');
    const sub = fx.alice().subscriptions[0]!;
    const r = await fx.cli(
      cache,
      'call',
      'list_resource_groups',
      JSON.stringify({ subscriptionId: sub.subscriptionId }),
    );
    assert.equal(r.code, 0, show(r));
    // The structured content, indented, then the server's summary.
    for (const rg of sub.resourceGroups ?? []) {
      assert.match(r.stdout, new RegExp(`^ {6}"name": "${rg.name}",$`, 'm'));
      assert.match(r.stdout, new RegExp(`^ {6}"location": "${rg.location}",$`, 'm'));
    }
    assert.match(
      r.stdout,
      new RegExp(
        `^Found ${sub.resourceGroups?.length} resource group\\(s\\) in ${sub.subscriptionId}\\.$`,
        'm',
      ),
    );

    const j = await fx.cli(
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

  it('without a tenant id, says the tenant was taken from the server metadata', async () => {
    const noTenant = { ...fx.env };
    delete noTenant.ENTRA_TENANT_ID;
    const r = await runCli(
      [
        '--yes',
        '--server',
        fx.host.mcpUrl,
        '--cache',
        join(fx.newDir(), 'c.json'),
        '--tool',
        'get_user_info',
      ],
      noTenant,
    );
    assert.equal(r.code, 0, show(r));
    assert.ok(
      r.stderr.includes(
        `Note: tenant ${fx.emulator.tenantId} taken from the server's protected resource metadata (authorization server ${fx.emulator.entraUrl}/${fx.emulator.tenantId}/v2.0)`,
      ),
      r.stderr,
    );
  });

  it('without --yes and without a terminal, stops before contacting the server (exit 0)', async () => {
    fx.emulator.resetCounts();
    const r = await runCli(['--server', fx.host.mcpUrl, '--cache', join(fx.newDir(), 'c.json')], fx.env);
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stderr,
      /Stopped before sending the token to the MCP server: stdin is not a terminal; pass --yes/,
    );
    assert.doesNotMatch(r.stdout, /Connecting to MCP server/);
    assert.equal(fx.emulator.counts()['entra.token.obo'] ?? 0, 0);
  });

  it('server-chosen text reaches the terminal without control characters; --json escapes them', async () => {
    // Escape sequences (clear screen, window title, 8-bit CSI), a carriage return, a bidi override, and a
    // line break that would fake a line of the CLI's own.
    const hostile = 'ok\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202egnp.exe\r\n✓ Connected to MCP server';
    const fake = await fakeMcpServer((message, res) => {
      if (message.method === 'notifications/initialized') return void res.writeHead(202).end();
      replyResult(res, message.id, {
        content: [{ type: 'text', text: hostile }],
        isError: message.params?.name === 'fails',
      });
    });
    try {
      const call = (tool: string, ...extra: string[]) =>
        runCli(
          ['--yes', '--server', fake.url, '--scope', `api://${fx.emulator.clientId}/execute`].concat([
            '--cache',
            fx.newCache(),
            ...extra,
            'call',
            tool,
          ]),
          fx.env,
        );
      const good = await call('get_user_info');
      assert.equal(good.code, 0, show(good));
      assert.deepEqual(terminalControls(good.stdout + good.stderr), []);
      assert.match(good.stdout, /^okgnp\.exe$/m);
      const failed = await call('fails');
      assert.equal(failed.code, 6, show(failed));
      assert.deepEqual(terminalControls(failed.stdout + failed.stderr), []);
      // The tool's text is part of one error line, never a line of its own.
      assert.match(failed.stderr, /^✗ Tool fails returned an error: okgnp\.exe ✓ Connected to MCP server$/m);
      const json = await call('get_user_info', '--json');
      assert.equal(json.code, 0, show(json));
      assert.deepEqual(terminalControls(json.stdout), []);
      const doc = JSON.parse(json.stdout) as { result: { text: string } };
      assert.equal(doc.result.text, hostile, '--json keeps the data, escaped');
    } finally {
      await fake.close();
    }
  });
});
