// A real third-party client: the MCP Inspector's CLI, against the dev host and the emulator. Not a devDependency:
// Inspector 2.x declares Node >= 22.19 (and no Inspector version that takes a bearer header fits Node 20), so
// `npm ci` stays free of EBADENGINE warnings and the test runs the pinned version through npx, as the README does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';

/** The Inspector version the README shows. */
export const INSPECTOR = '@modelcontextprotocol/inspector@2.12.0';
const NPM_CACHE = process.env.npm_config_cache ?? join(homedir(), '.npm');
let emulator: Emulator;
let host: DevHost;
let home: string;

function inspector(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // HOME is a scratch dir (the Inspector keeps state there); npm's cache stays the user's, so npx fetches the
  // package once per machine.
  const child = spawn('npx', ['--yes', INSPECTOR, '--cli', ...args], {
    env: { ...process.env, HOME: home, CI: 'true', npm_config_cache: NPM_CACHE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    // The first run on a machine downloads the Inspector.
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
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
