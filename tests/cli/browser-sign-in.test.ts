// The CLI's sign-in paths end to end: browser sign-in (authorization code + PKCE through MSAL's loopback
// listener), a separate CLI app, aligned servers (Application ID URI = MCP URL) and doctor against the dev host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CLI_CLIENT_ID } from '../../emulator/index.js';
import { browserCommand } from '../../cli/browser.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { cliFixture } from './cli-fixture.js';
import { closedPort, JWT, runCli, show } from './run-cli.js';

const fx = cliFixture((e) => ({
  ...e.env('secret'),
  ENTRA_ALLOWED_CLIENT_IDS: `${e.clientId},${DEFAULT_CLI_CLIENT_ID}`,
}));

describe('browser sign-in (--auth browser)', () => {
  it('signs in through the authorize endpoint and the loopback listener, then silently from the cache', async () => {
    const cache = fx.newCache();
    const r = await runCli(
      ['--yes', '--auth', 'browser', '--server', fx.host.mcpUrl, '--cache', cache, '--tool', 'get_user_info'],
      fx.browserEnv(),
    );
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /✓ Token acquired with browser sign-in/);
    assert.match(
      r.stderr,
      /To sign in, open this URL in a browser \(trying to open it for you\): https:\/\/127\.0\.0\.1:\d+\/[^/]+\/oauth2\/v2\.0\/authorize\?/,
    );
    const url = new URL(/(https:\/\/\S+\/authorize\?\S+)/.exec(r.stderr)![1]!);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('response_mode'), 'form_post');
    assert.match(url.searchParams.get('redirect_uri') ?? '', /^http:\/\/localhost:\d+$/);
    assert.equal(url.searchParams.get('resource'), null, 'no RFC 8707 resource: the scope names the API');
    assert.match(r.stdout, /alice@contoso\.example/);
    assert.equal(fx.emulator.counts()['entra.authorize'], 1);
    assert.equal(fx.emulator.counts()['entra.token.authorization_code'], 1);
    assert.equal(fx.emulator.counts()['entra.devicecode'] ?? 0, 0);
    assert.doesNotMatch(r.stdout + r.stderr, JWT);

    const again = await runCli(
      ['--yes', '--auth', 'browser', '--server', fx.host.mcpUrl, '--cache', cache, '--tool', 'get_user_info'],
      fx.browserEnv(),
    );
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /✓ Token acquired silently from cache/);
    assert.equal(fx.emulator.counts()['entra.authorize'], 1, 'no second browser sign-in');
  });

  it('signs in with a separate CLI app (ENTRA_CLI_CLIENT_ID) for the API of ENTRA_CLIENT_ID', async () => {
    const r = await runCli(
      ['--yes', '--auth', 'browser', '--server', fx.host.mcpUrl, '--cache', fx.newCache(), '--json'],
      { ...fx.browserEnv(), ENTRA_CLI_CLIENT_ID: DEFAULT_CLI_CLIENT_ID },
    );
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as { scope: string; token: { source: string } };
    assert.equal(doc.scope, `api://${fx.emulator.clientId}/execute`);
    assert.equal(doc.token.source, 'browser');
    const url = new URL(/(https:\/\/\S+\/authorize\?\S+)/.exec(r.stderr)![1]!);
    assert.equal(url.searchParams.get('client_id'), DEFAULT_CLI_CLIENT_ID);
  });

  it('a refused sign-in (client app without a loopback redirect URI) exits 3', async () => {
    const r = await runCli(
      ['--yes', '--auth', 'browser', '--server', fx.host.mcpUrl, '--cache', fx.newCache()],
      {
        ...fx.browserEnv(),
        ENTRA_CLI_CLIENT_ID: '0badc0de-0000-4000-8000-000000000000',
      },
    );
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /✗ Sign-in failed/);
  });

  it('BROWSER picks the command (%s or appended URL); otherwise the platform opener', () => {
    assert.deepEqual(browserCommand('https://x/?a=1&b=2', { BROWSER: 'firefox --new-tab' }, 'linux'), [
      'firefox',
      ['--new-tab', 'https://x/?a=1&b=2'],
    ]);
    assert.deepEqual(browserCommand('https://x/', { BROWSER: 'w3m %s -dump:lynx' }, 'linux'), [
      'w3m',
      ['https://x/', '-dump'],
    ]);
    assert.deepEqual(browserCommand('https://x/', {}, 'linux'), ['xdg-open', ['https://x/']]);
    assert.deepEqual(browserCommand('https://x/', {}, 'darwin'), ['open', ['https://x/']]);
  });
});

describe('aligned server (ENTRA_APP_ID_URI = MCP_PUBLIC_URL) and doctor against the dev fx.host', () => {
  let aligned: DevHost;
  let mcpUrl: string;
  before(async () => {
    const port = await closedPort();
    mcpUrl = `http://127.0.0.1:${port}/mcp`;
    fx.emulator.update({ identifierUris: [`api://${fx.emulator.clientId}`, mcpUrl] });
    aligned = await startDevHost({
      ...fx.emulator.env('secret'),
      PORT: String(port),
      MCP_PUBLIC_URL: mcpUrl,
      ENTRA_APP_ID_URI: mcpUrl,
    });
  });
  after(async () => {
    await aligned?.stop();
    fx.emulator.update({ identifierUris: [`api://${fx.emulator.clientId}`] });
  });

  it('doctor on the default api:// configuration: exit 7 with ✗ AADSTS9010010 and the fix', async () => {
    const r = await runCli(['doctor', '--server', fx.host.mcpUrl], fx.env);
    assert.equal(r.code, 7, show(r));
    const line = r.stdout.split('\n').find((l) => l.startsWith('✗ scopes under resource'));
    assert.ok(line, r.stdout);
    assert.match(line, /AADSTS9010010/);
    assert.match(line, /Claude Code/);
    assert.match(r.stdout, /Fix: Set the app registration's Application ID URI to the MCP URL/);
    assert.match(r.stdout, /Note: plain http is fine for local testing only/);
    for (const ok of [
      '401 challenge',
      'resource = server URL',
      'authorization server',
      'OpenID configuration',
    ])
      assert.ok(r.stdout.includes(`✓ ${ok}`), `${ok}\n${r.stdout}`);
  });

  it('doctor on the aligned configuration: every check passes, exit 0', async () => {
    const r = await runCli(['doctor', '--server', mcpUrl, '--json'], fx.env);
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; status: string }[] };
    assert.equal(doc.ok, true);
    assert.ok(
      doc.checks.every((c) => c.status !== 'fail'),
      r.stdout,
    );
  });

  it("the CLI requests the scope under the server's Application ID URI and calls tools", async () => {
    const r = await runCli(['--yes', '--server', mcpUrl, '--cache', fx.newCache(), '--json'], fx.env);
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as { scope: string; scopeSource: string; count: number };
    assert.deepEqual([doc.scope, doc.scopeSource], [`${mcpUrl}/execute`, 'metadata']);
    assert.equal(doc.count, fx.emulator.users[0]!.subscriptions.length);
  });

  it('and with the browser', async () => {
    const r = await runCli(
      [
        '--yes',
        '--auth',
        'browser',
        '--server',
        mcpUrl,
        '--cache',
        fx.newCache(),
        '--tool',
        'get_subscriptions',
      ],
      fx.browserEnv(),
    );
    assert.equal(r.code, 0, show(r));
    const url = new URL(/(https:\/\/\S+\/authorize\?\S+)/.exec(r.stderr)![1]!);
    assert.ok(url.searchParams.get('scope')?.split(' ').includes(`${mcpUrl}/execute`));
  });
});
