// mcp-remote (npm), a real third-party MCP client, against a default configuration with the OAuth proxy on: it
// discovers this server as its authorization server, registers (DCR), prints the authorization URL; the "browser"
// approves the consent page and follows Entra ID back to mcp-remote's own callback; then JSON-RPC over its stdio
// lists the tools and calls get_subscriptions. mcp-remote checks the issuer and RFC 9207 `iss` strictly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import type { DevHost } from '../helpers/dev-host.js';
import { freePort, startProxyHost } from '../helpers/oauth-proxy.js';
import { ScriptedBrowser } from '../helpers/scripted-browser.js';

const MCP_REMOTE = createRequire(import.meta.url).resolve('mcp-remote/dist/proxy.js');

let emulator: Emulator;
let host: DevHost;
let configDir: string;
let remote: ChildProcessWithoutNullStreams | undefined;
let stderr = '';

before(async () => {
  emulator = await startEmulator();
  host = await startProxyHost(emulator);
  configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
});

after(async () => {
  remote?.kill('SIGTERM');
  await host?.stop();
  await emulator?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

function waitFor<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > ms)
        return reject(new Error(`${what} did not happen within ${ms} ms:\n${stderr}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe('mcp-remote through the OAuth proxy', () => {
  it('signs in (DCR, consent, Entra ID) and calls get_subscriptions over its stdio', async () => {
    const callbackPort = await freePort();
    remote = spawn(
      process.execPath,
      [
        MCP_REMOTE,
        host.mcpUrl,
        String(callbackPort),
        '--host',
        '127.0.0.1',
        '--allow-http',
        '--transport',
        'http-only',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: configDir,
          MCP_REMOTE_CONFIG_DIR: configDir,
          // No desktop here: `open` falls back to $BROWSER, which does nothing; the test is the browser.
          BROWSER: '/bin/true',
          NODE_EXTRA_CA_CERTS: emulator.caCertPath,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    remote.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let stdout = '';
    remote.stdout.on('data', (d: Buffer) => (stdout += d.toString()));

    const authorization = await waitFor(
      'mcp-remote asking for authorization',
      30_000,
      () => /Please authorize this client by visiting:\s*\n(\S+)/.exec(stderr)?.[1],
    );
    const origin = new URL(host.mcpUrl).origin;
    assert.ok(authorization.startsWith(`${origin}/oauth/authorize?`), authorization);
    assert.equal(new URL(authorization).searchParams.get('resource'), host.mcpUrl);

    // Its callback server may start after the URL is printed; a browser arriving first would find nobody.
    await waitFor('mcp-remote listening for the callback', 30_000, () =>
      stderr.includes(`OAuth callback server running at http://127.0.0.1:${callbackPort}`) ? true : undefined,
    );
    const callback = `http://127.0.0.1:${callbackPort}/oauth/callback`;
    const browser = new ScriptedBrowser();
    const atCallback = (u: URL) => u.toString().startsWith(callback);
    const opened = await browser.open(authorization, atCallback);
    assert.ok(opened.page, 'the consent page');
    assert.match(opened.page.body, /Unverified client/);
    const decided = await browser.decide(opened.page, 'approve', atCallback);
    assert.ok(decided.stoppedAt, `not sent back to mcp-remote: ${decided.page?.body.slice(0, 300) ?? ''}`);
    assert.equal(decided.stoppedAt.searchParams.get('iss'), origin);
    // The last hop: mcp-remote's own callback server receives the code.
    const landed = await browser.request(decided.stoppedAt.toString());
    assert.equal(landed.status, 200, landed.body.slice(0, 200));

    await waitFor('the proxy to the server', 30_000, () =>
      /Proxy established successfully|Connected to remote server/i.test(stderr) ? true : undefined,
    );
    const send = (message: object) => remote!.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
    });
    await waitFor('initialize answered', 20_000, () => (/"id":1/.test(stdout) ? true : undefined));
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'get_subscriptions', arguments: {} },
    });
    const answers = await waitFor('tools answered', 20_000, () => {
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id?: number; result?: unknown });
      const list = lines.find((l) => l.id === 2);
      const call = lines.find((l) => l.id === 3);
      return list && call ? { list, call } : undefined;
    });
    const tools = (answers.list.result as { tools: { name: string }[] }).tools.map((t) => t.name).sort();
    assert.deepEqual(tools, ['get_subscriptions', 'get_user_info', 'list_resource_groups', 'list_resources']);
    const result = answers.call.result as { isError?: boolean; structuredContent?: { count: number } };
    assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.equal(result.structuredContent?.count, 3);
    assert.match(host.logs(), /tools\/call get_subscriptions by client registered:/);
  });
});
