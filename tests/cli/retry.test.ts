// The CLI after a 401: Conditional Access step-up (fake server and the dev host with emulated MFA on ARM),
// invalid_token on a cached token; and a FIFO at the cache path.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CLI_CLIENT_ID, startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { decodeClaims } from '../../cli/cli.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { cliFixture } from './cli-fixture.js';
import { clientEnv, JWT, runCli, show } from './run-cli.js';

const fx = cliFixture((e) => ({
  ...e.env('secret'),
  ENTRA_ALLOWED_CLIENT_IDS: `${e.clientId},${DEFAULT_CLI_CLIENT_ID}`,
}));

/** The CLI's arguments to call `tool` on `url` with this app's scope and a token cache (a fresh one by default). */
function callArgs(url: string, tool: string, cache = fx.newCache()): string[] {
  return [
    '--yes',
    '--server',
    url,
    '--scope',
    `api://${fx.emulator.clientId}/execute`,
    '--cache',
    cache,
    'call',
    tool,
  ];
}

/** A stateless MCP server for retry tests: answers tools/call according to `decide(token)`. */
function fakeMcp(decide: (claims: Record<string, unknown>) => string | undefined): {
  server: Server;
  url: () => string;
  toolCalls: () => number;
} {
  let calls = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const auth = req.headers.authorization ?? '';
      const token = auth.replace(/^Bearer /, '');
      const meta = `resource_metadata="${url()}/.well-known/oauth-protected-resource/mcp"`;
      if (!token) {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer ${meta}` }).end();
        return;
      }
      const msg = JSON.parse(body) as { id?: number; method: string };
      if (msg.id === undefined) return void res.writeHead(202).end();
      const reply = (result: unknown) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      };
      if (msg.method === 'initialize')
        return reply({
          protocolVersion: '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'fake', version: '1' },
        });
      calls++;
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const challenge = decide(payload);
      if (challenge) {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer ${challenge}, ${meta}` }).end();
        return;
      }
      reply({ content: [{ type: 'text', text: `hello ${String(payload.preferred_username)}` }] });
    });
  });
  const url = () => `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, url: () => `${url()}/mcp`, toolCalls: () => calls };
}

describe('401 retries', () => {
  const CLAIMS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
  const stepUp = `error="insufficient_claims", error_description="Multi-factor authentication is required", claims="${Buffer.from(CLAIMS).toString('base64')}"`;
  const hasMfa = (c: Record<string, unknown>) => Array.isArray(c.amr) && c.amr.includes('mfa');

  async function listen(server: Server): Promise<void> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }

  it('decodeClaims reads standard and url-safe base64 of a JSON object only', () => {
    assert.equal(decodeClaims(Buffer.from(CLAIMS).toString('base64')), CLAIMS);
    assert.equal(decodeClaims(Buffer.from(CLAIMS).toString('base64url')), CLAIMS);
    assert.equal(decodeClaims(Buffer.from('[1]').toString('base64')), undefined);
    assert.equal(decodeClaims('%%%'), undefined);
  });

  it('step-up: insufficient_claims with claims → device code sign-in with those claims, one retry, success', async () => {
    const fake = fakeMcp((c) => (hasMfa(c) ? undefined : stepUp));
    await listen(fake.server);
    try {
      const r = await runCli([...callArgs(fake.url(), 'get_user_info'), '--json'], fx.env);
      assert.equal(r.code, 0, show(r));
      assert.match(
        r.stderr,
        /The server asks for a stronger sign-in \(Conditional Access: Multi-factor authentication is required\)/,
      );
      assert.equal(fx.emulator.counts()['entra.devicecode'], 2, 'the step-up is a new interactive sign-in');
      assert.equal(fake.toolCalls(), 2);
      const doc = JSON.parse(r.stdout) as { renewed: string; result: { text: string } };
      assert.equal(doc.renewed, 'step_up');
      assert.match(doc.result.text, /hello alice@contoso\.example/);
    } finally {
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });

  it('step-up with the browser carries the claims in the authorize request', async () => {
    const fake = fakeMcp((c) => (hasMfa(c) ? undefined : stepUp));
    await listen(fake.server);
    try {
      const r = await runCli(
        ['--auth', 'browser', ...callArgs(fake.url(), 'get_user_info')],
        fx.browserEnv(),
      );
      assert.equal(r.code, 0, show(r));
      const urls = [...r.stderr.matchAll(/(https:\/\/\S+\/authorize\?\S+)/g)].map((m) => new URL(m[1]!));
      assert.equal(urls.length, 2);
      assert.equal(
        (JSON.parse(urls[0]!.searchParams.get('claims') ?? '{}') as { access_token?: unknown }).access_token,
        undefined,
      );
      assert.deepEqual(
        (JSON.parse(urls[1]!.searchParams.get('claims') ?? '{}') as { access_token?: unknown }).access_token,
        (JSON.parse(CLAIMS) as { access_token: unknown }).access_token,
      );
    } finally {
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });

  it('a second 401 after the retry is reported (exit 4), not retried again', async () => {
    const fake = fakeMcp(() => stepUp);
    await listen(fake.server);
    try {
      const r = await runCli(callArgs(fake.url(), 'x'), fx.env);
      assert.equal(r.code, 4, show(r));
      assert.match(r.stderr, /rejected the token \(401 Unauthorized\): insufficient_claims/);
      assert.equal(fake.toolCalls(), 2);
      assert.equal(fx.emulator.counts()['entra.devicecode'], 2);
    } finally {
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });

  it('invalid_token on a cached token → one fresh token (refresh), retry, success', async () => {
    let notBefore = 0;
    const fake = fakeMcp((c) =>
      Number(c.iat) < notBefore
        ? 'error="invalid_token", error_description="The token was revoked"'
        : undefined,
    );
    await listen(fake.server);
    try {
      const args = callArgs(fake.url(), 'x', fx.newCache());
      assert.equal((await runCli(args, fx.env)).code, 0);
      notBefore = Math.floor(Date.now() / 1000) + 1;
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      fx.emulator.resetCounts();
      const r = await runCli(args, fx.env);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /✓ Token acquired silently from cache[\s\S]*✓ Token refreshed silently/);
      assert.match(r.stderr, /rejected the cached token \(invalid_token\); getting a fresh one/);
      assert.equal(fx.emulator.counts()['entra.token.refresh_token'], 1);
      assert.equal(fx.emulator.counts()['entra.devicecode'] ?? 0, 0);
    } finally {
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });

  it('invalid_token on a token just signed in for is not retried (exit 4)', async () => {
    const fake = fakeMcp(() => 'error="invalid_token", error_description="nope"');
    await listen(fake.server);
    try {
      const r = await runCli(callArgs(fake.url(), 'x'), fx.env);
      assert.equal(r.code, 4, show(r));
      assert.equal(fake.toolCalls(), 1);
    } finally {
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });
});

describe('Conditional Access step-up through the dev fx.host (emulated MFA on ARM)', () => {
  let mfaEmulator: Emulator;
  let mfaHost: DevHost;
  before(async () => {
    mfaEmulator = await startEmulator({ autoApproveDeviceCode: 'alice@contoso.example' });
    mfaEmulator.users[0]!.armMfaRequired = true;
    mfaHost = await startDevHost(mfaEmulator.env('secret'));
  });
  after(async () => {
    await mfaHost?.stop();
    await mfaEmulator?.stop();
  });

  it('401 insufficient_claims from the server → sign-in with the claims → get_subscriptions succeeds', async () => {
    const r = await runCli(
      ['--yes', '--server', mfaHost.mcpUrl, '--cache', fx.newCache(), '--json', 'call', 'get_subscriptions'],
      { ...clientEnv(mfaEmulator, fx.home), ENTRA_API_SERVER_URLS: mfaHost.mcpUrl },
    );
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /The server asks for a stronger sign-in \(Conditional Access: /);
    const doc = JSON.parse(r.stdout) as {
      renewed: string;
      token: { source: string };
      result: { structuredContent: { subscriptions: unknown[] } };
    };
    assert.equal(doc.renewed, 'step_up');
    assert.equal(doc.token.source, 'device_code');
    assert.equal(
      doc.result.structuredContent.subscriptions.length,
      mfaEmulator.users[0]!.subscriptions.length,
    );
    assert.equal(mfaEmulator.counts()['entra.devicecode'], 2);
    assert.doesNotMatch(r.stdout + r.stderr, JWT);
  });
});

describe('token cache path', () => {
  it('a FIFO at the cache path fails fast (exit 3) with a clear message', async () => {
    const cache = fx.newCache();
    execFileSync('mkfifo', [cache]);
    const started = Date.now();
    const r = await runCli(['--yes', '--server', fx.host.mcpUrl, '--cache', cache], fx.env, 20_000);
    assert.equal(r.code, 3, show(r));
    assert.ok(
      r.stderr.includes(`✗ The token cache ${cache} is a named pipe (FIFO), not a regular file.`),
      r.stderr,
    );
    assert.match(r.stderr, /Fix: Remove .* or pass another --cache path/);
    assert.ok(Date.now() - started < 15_000);
  });
});
