// A real third-party client: the MCP Inspector CLI, against the dev host and the emulator.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';

let emulator: Emulator;
let host: DevHost;
let home: string;

function inspector(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // npx resolves the pinned devDependency from node_modules/.bin; HOME is a scratch dir (it keeps state there).
  const child = spawn('npx', ['--no-install', '@modelcontextprotocol/inspector', '--cli', ...args], {
    env: { ...process.env, HOME: home, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'inspector-home-'));
  emulator = await startEmulator();
  host = await startDevHost(emulator.env('secret'));
});

after(async () => {
  await host?.stop();
  await emulator?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Inspector CLI arguments for `url` over Streamable HTTP with the user's bearer token. */
function withBearer(token: string, ...method: string[]): string[] {
  return [
    host.mcpUrl,
    '--transport',
    'http',
    '--header',
    `Authorization: Bearer ${token}`,
    ...method,
    '--stored-auth-only',
  ];
}

describe('MCP Inspector CLI', () => {
  it('lists the tools with a bearer header', async () => {
    const token = await emulator.issueUserToken({});
    const { code, stdout, stderr } = await inspector(withBearer(token, '--method', 'tools/list'));
    assert.equal(code, 0, stderr);
    const names = (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['get_subscriptions', 'get_user_info', 'list_resource_groups', 'list_resources']);
  });

  it('calls get_subscriptions on behalf of the user', async () => {
    const token = await emulator.issueUserToken({});
    const { code, stdout, stderr } = await inspector(
      withBearer(token, '--method', 'tools/call', '--tool-name', 'get_subscriptions'),
    );
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { structuredContent: { count: number } };
    assert.equal(result.structuredContent.count, emulator.users[0]!.subscriptions.length);
  });

  it('fails with the server challenge when no token is sent', async () => {
    const { code } = await inspector([
      host.mcpUrl,
      '--transport',
      'http',
      '--method',
      'tools/list',
      '--stored-auth-only',
    ]);
    assert.notEqual(code, 0);
  });
});
