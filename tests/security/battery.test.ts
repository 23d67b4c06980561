// Security battery (issue 9): hostile tokens, upstream faults and a bounded fuzz run against the real dev host
// and the emulator; and (issue 17) the third hardening pass: credentials kept from installs and builds in the
// deploy workflow, doctor's fetch guard, the CLI's server tie and bounded, sanitised output, accepted token
// versions, least-privilege app registrations, bounded OBO throttling. Prints one summary line; every hostile
// token must get 401/403, never 200 or 5xx.
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { runDoctor } from '../../cli/doctor.js';
import { clientEnv, runCli } from '../cli/run-cli.js';
import { runDevHostExpectingFailure, startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { connect, textOf } from '../helpers/mcp-client.js';
import { rawExchange } from '../dev-host/raw-http.js';
import { deployRunning, deployWith, lintWorkflow } from '../helpers/lint-workflows.js';
import { terminalControls } from '../helpers/terminal-controls.js';

const OTHER_TENANT = '9b0c5e34-3c7a-4a8e-9d0c-2f1e6b7a8c9d';
const UNKNOWN_CLIENT = '5d2b1c3e-8f4a-4b6c-9e7d-0a1b2c3d4e5f';
const VS_CODE = 'aebc6443-996d-45c2-90f0-388ff96faa56';
const ARM_AUDIENCE = 'https://management.azure.com/';
const STACK = /\bat [^\n]*\.(?:m?[jt]s|node):\d+/;

let emulator: Emulator;
let host: DevHost;
const summary = { tokens: 0, rejected: 0, faults: 0, fuzz: 0, fuzz5xx: 0, fuzzResets: 0, hardening: 0 };

before(async () => {
  emulator = await startEmulator();
  host = await startDevHost({ ...emulator.env('secret'), UPSTREAM_TIMEOUT_MS: '1500' });
});
after(async () => {
  await host?.stop();
  await emulator?.stop();
  console.log(
    `security battery: ${summary.tokens} hostile tokens → ${summary.rejected} rejected (401/403); ` +
      `${summary.faults} fault cases ok; fuzz ${summary.fuzz} requests: ${summary.fuzz5xx} 5xx, ` +
      `${summary.fuzzResets} resets; ${summary.hardening} third-pass hardening cases ok`,
  );
});

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString()) as Record<string, unknown>;

async function post(token: string | undefined, headers: Record<string, string> = {}, at = host.mcpUrl) {
  const res = await fetch(at, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  return { status: res.status, body: await res.text(), challenge: res.headers.get('www-authenticate') ?? '' };
}

/** get_subscriptions through the MCP SDK client as `user` (a fresh token), against `at`. */
async function getSubscriptions(at: DevHost, user: string) {
  const client = await connect(at.mcpUrl, await emulator.issueUserToken({ user }));
  try {
    return await client.callTool({ name: 'get_subscriptions', arguments: {} });
  } finally {
    await client.close();
  }
}

/** The hostile tokens: each is a name and a token (or the Authorization header to send). */
async function hostileTokens(): Promise<[string, string, Record<string, string>?][]> {
  const e = emulator;
  const good = await e.issueUserToken({});
  const claims = payloadOf(good);
  const now = Math.floor(Date.now() / 1000);
  const user = (extraClaims: Record<string, unknown>, opts: Parameters<Emulator['issueUserToken']>[0] = {}) =>
    e.issueUserToken({ ...opts, extraClaims });
  const jwksUri = `${e.entraUrl}/${e.tenantId}/discovery/v2.0/keys`;
  const jwks = (await (await fetch(jwksUri)).json()) as { keys: Record<string, unknown>[] };
  const publicJwk = jwks.keys[0]!;
  const publicPem = createPublicKey({ key: publicJwk as never, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const own = await generateKeyPair('RS256', { extractable: true });
  const signOwn = (
    alg: string,
    header: Record<string, unknown>,
    key: CryptoKey | Uint8Array = own.privateKey,
  ) => new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
  // jose refuses to sign a header it would not accept itself; sign by hand.
  const signRaw = async (header: Record<string, unknown>) => {
    const input = `${b64url(header)}.${b64url(claims)}`;
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      own.privateKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  };
  const unsigned = (header: Record<string, unknown>) => `${b64url(header)}.${b64url(claims)}.`;
  const [h, p, s] = parts(good);
  const tampered = (change: Record<string, unknown>) => `${h}.${b64url({ ...claims, ...change })}.${s}`;
  const other = await e.issueUserToken({ user: e.users[1]?.oid });

  return [
    ['alg none', unsigned({ alg: 'none', typ: 'JWT' })],
    ['alg None', unsigned({ alg: 'None', typ: 'JWT' })],
    ['alg NONE with the real signature', `${b64url({ alg: 'NONE', typ: 'JWT' })}.${p}.${s}`],
    [
      'HS256 keyed with the public key PEM',
      await signOwn('HS256', { kid: e.keyId }, new TextEncoder().encode(publicPem)),
    ],
    [
      'HS256 keyed with the JWK modulus',
      await signOwn('HS256', { kid: e.keyId }, new TextEncoder().encode(String(publicJwk.n))),
    ],
    ['RS384', await signOwn('RS384', { kid: e.keyId }, (await generateKeyPair('RS384')).privateKey)],
    ['RS512', await signOwn('RS512', { kid: e.keyId }, (await generateKeyPair('RS512')).privateKey)],
    ['PS256', await signOwn('PS256', { kid: e.keyId }, (await generateKeyPair('PS256')).privateKey)],
    ['ES256', await signOwn('ES256', { kid: e.keyId }, (await generateKeyPair('ES256')).privateKey)],
    ['unknown kid', await signOwn('RS256', { kid: 'not-a-published-key' })],
    ['published kid, attacker key', await signOwn('RS256', { kid: e.keyId })],
    ['no kid, attacker key', await signOwn('RS256', {})],
    ['embedded jwk header', await signOwn('RS256', { jwk: await exportJWK(own.publicKey) })],
    [
      'jku header to an attacker',
      await signOwn('RS256', { kid: e.keyId, jku: 'https://attacker.example/keys' }),
    ],
    ['crit unknown extension', await signRaw({ alg: 'RS256', kid: e.keyId, crit: ['exp2'], exp2: 1 })],
    ['signature stripped', `${h}.${p}.`],
    ['payload tampered: scp', tampered({ scp: 'execute admin' })],
    ['payload tampered: oid', tampered({ oid: randomUUID() })],
    ["another user's signature spliced", `${h}.${p}.${parts(other)[2]}`],
    ['wrong issuer', await e.issueUserToken({ issuer: 'https://attacker.example/v2.0' })],
    [
      'issuer of another tenant, our tid',
      await e.issueUserToken({ issuer: `${e.entraUrl}/${OTHER_TENANT}/v2.0` }),
    ],
    ['other tenant', await e.issueUserToken({ tenantId: OTHER_TENANT })],
    ['our issuer, other tid', await user({ tid: OTHER_TENANT })],
    ['tid missing', await user({ tid: undefined })],
    ['wrong audience (GUID)', await e.issueUserToken({ audience: randomUUID() })],
    ['audience of another API', await e.issueUserToken({ audience: 'api://another-api' })],
    ['audience with a trailing slash', await e.issueUserToken({ audience: `api://${e.clientId}/` })],
    ['token for ARM', await e.issueUserToken({ audience: ARM_AUDIENCE })],
    [
      'token for ARM (classic audience)',
      await e.issueUserToken({ audience: 'https://management.core.windows.net/' }),
    ],
    [
      'token for Microsoft Graph',
      await e.issueUserToken({ audience: '00000003-0000-0000-c000-000000000000' }),
    ],
    ['aud array of ours', await user({ aud: [e.clientId] })],
    ['aud array with ARM', await user({ aud: [e.clientId, ARM_AUDIENCE] })],
    ['aud number', await user({ aud: 42 })],
    ['aud missing', await user({ aud: undefined })],
    ['iat two days ahead', await user({ iat: now + 2 * 86_400 })],
    ['exp as a string', await user({ exp: String(now + 3600) })],
    ['nbf as a string', await user({ nbf: String(now - 60) })],
    ['iat as a string', await user({ iat: String(now) })],
    ['exp missing', await user({ exp: undefined })],
    ['expired', await e.issueUserToken({ expiresInSec: -120 })],
    ['expired a day ago', await e.issueUserToken({ now: now - 86_400, expiresInSec: 3600 })],
    ['nbf an hour ahead', await e.issueUserToken({ notBeforeSec: 3600 })],
    ['scp missing', await user({ scp: undefined })],
    ['scp empty', await user({ scp: '' })],
    ['wrong scope', await e.issueUserToken({ scopes: ['read'] })],
    ['scope EXECUTE', await e.issueUserToken({ scopes: ['EXECUTE'] })],
    ['scope Execute', await e.issueUserToken({ scopes: ['Execute'] })],
    ['scope as a prefix', await e.issueUserToken({ scopes: ['executes'] })],
    ['scope as a full URI', await user({ scp: `api://${e.clientId}/execute` })],
    ['scp as an array', await user({ scp: ['execute'] })],
    ['app-only shape (roles, no scp)', await user({ scp: undefined, roles: ['execute'], idtyp: 'app' })],
    [
      'ID token of a client app (aud = client id, no scp, nonce)',
      await e.issueUserToken({
        audience: VS_CODE,
        extraClaims: { scp: undefined, nonce: 'n-0S6_WzA2Mj', azp: undefined },
      }),
    ],
    [
      'ID token of this app (aud ours, no scp, nonce)',
      await user({ scp: undefined, nonce: 'n-0S6_WzA2Mj', azp: undefined }),
    ],
    ['v1 token with a wrong audience', await e.issueUserToken({ version: 1, audience: ARM_AUDIENCE })],
    [
      'v1 token from a client app not allowed',
      await e.issueUserToken({ version: 1, extraClaims: { appid: UNKNOWN_CLIENT } }),
    ],
    ['v1 token without appid', await e.issueUserToken({ version: 1, extraClaims: { appid: undefined } })],
    ['azp not allowed', await user({ azp: UNKNOWN_CLIENT })],
    ['azp missing', await user({ azp: undefined })],
    ['oid missing', await user({ oid: undefined })],
    ['oid empty', await user({ oid: '' })],
    ['huge forged token (8 KB of claims)', tampered({ pad: 'x'.repeat(8_000) })],
    ['garbage base64', 'eyJ!!!.@@@.###'],
    ['not a JWT', 'hello'],
    [
      'JWE-shaped (five parts)',
      `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${'A'.repeat(40)}.${'B'.repeat(16)}.${'C'.repeat(40)}.${'D'.repeat(22)}`,
    ],
    ['trailing segment', `${good}.extra`],
    ['valid token under Basic', '', { Authorization: `Basic ${good}` }],
    ['two bearer tokens', '', { Authorization: `Bearer ${good} ${good}` }],
  ];
}

describe('security battery', () => {
  it('rejects every hostile token with 401/403, without echoing it', async () => {
    const cases = await hostileTokens();
    assert.ok(cases.length >= 50, `${cases.length} cases`);
    const wrong: string[] = [];
    for (const [name, token, headers] of cases) {
      const res = await post(headers ? undefined : token, headers);
      summary.tokens++;
      const rejected = res.status === 401 || res.status === 403;
      if (rejected) summary.rejected++;
      else wrong.push(`${name}: ${res.status}`);
      if (!/^Bearer /.test(res.challenge)) wrong.push(`${name}: no Bearer challenge`);
      if (token.length > 20 && (res.body + res.challenge).includes(token))
        wrong.push(`${name}: token echoed`);
      if (STACK.test(res.body)) wrong.push(`${name}: stack trace`);
    }
    assert.deepEqual(wrong, []);
    // The same user with a well-formed token is served: the battery rejects for the right reasons.
    assert.equal((await post(await emulator.issueUserToken({}))).status, 200);
  });

  it('upstream faults: clear statuses or tool errors, never 5xx from our code paths', async () => {
    const ok = (name: string, condition: boolean, detail = '') => {
      assert.ok(condition, `${name} ${detail}`);
      summary.faults++;
    };
    const token = await emulator.issueUserToken({});
    ok('no token: 401 with resource_metadata', /resource_metadata="/.test((await post(undefined)).challenge));
    ok('Origin not allowed: 403', (await post(token, { Origin: 'https://evil.example' })).status === 403);

    const raw = async (body: string, contentType = 'application/json') =>
      (
        await fetch(host.mcpUrl, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': contentType,
            Accept: 'application/json, text/event-stream',
          },
          body,
        })
      ).status;
    ok('non-JSON content type: 415', (await raw('{}', 'text/plain')) === 415);
    ok('invalid JSON: 400', (await raw('{"jsonrpc":')) === 400);
    ok(
      'batch over the cap: 400',
      (await raw(
        JSON.stringify(Array.from({ length: 11 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'ping' }))),
      )) === 400,
    );
    ok('body over MCP_MAX_BODY_BYTES: 413', (await raw(`"${'x'.repeat(1_100_000)}"`)) === 413);

    const header = await rawExchange(
      host.url,
      [`POST /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\n\r\n`],
      ['POST'],
    );
    ok(
      '100 KB Authorization header: 431, clean close',
      header.answers[0]?.status === 431 && header.ending === 'end',
      JSON.stringify(header.answers.map((a) => a.status)),
    );

    const call = (user: string) => getSubscriptions(host, user);
    const users = emulator.users.map((u) => u.oid);
    assert.ok(users.length >= 2, 'the emulator has two users');
    // Keys are cached by now: the only Entra call left is the OBO token request.
    emulator.injectFault('entra', { status: 500, times: 10 });
    const failed = await call(users[0]!);
    ok('token endpoint 500: tool error', failed.isError === true, textOf(failed));
    ok(
      'tool error reveals no internals',
      !STACK.test(textOf(failed)) && !textOf(failed).includes(emulator.clientSecret),
    );
    emulator.resetCounts();
    emulator.clearFaults('entra');

    emulator.setHang('entra', true);
    const started = Date.now();
    const hung = await call(users[1]!);
    emulator.setHang('entra', false);
    ok(
      'token endpoint hangs: tool error within the timeout',
      hung.isError === true && Date.now() - started < 15_000,
      textOf(hung),
    );

    emulator.injectFault('arm', { status: 500, times: 20 });
    const armDown = await call(users[0]!);
    ok('ARM 500: tool error', armDown.isError === true, textOf(armDown));
    emulator.clearFaults('arm');

    // A host that has not fetched Entra's metadata yet, while Entra is down: 503, not 401 or 500. Down before
    // the host starts, or its start-up prefetch could already hold the metadata.
    await emulator.setDown('entra', true);
    let cold: DevHost | undefined;
    try {
      cold = await startDevHost({ ...emulator.env('secret'), UPSTREAM_TIMEOUT_MS: '1500' });
      const res = await fetch(cold.mcpUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      ok('Entra metadata/JWKS down: 503', res.status === 503, String(res.status));
    } finally {
      await emulator.setDown('entra', false);
      await cold?.stop();
    }
  });

  it('fuzz: 500 seeded random requests get no 5xx, no reset, no stack trace', async () => {
    let seed = 0x9e3779b9;
    const rand = () => {
      // mulberry32: reproducible runs; a failure names the seed and index.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)]!;
    const token = await emulator.issueUserToken({});
    const { hostname, port } = new URL(host.url);
    const paths = [
      '/mcp',
      '/MCP',
      '/mcp/',
      '/mcp?x=%00',
      '/mcp/../mcp',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/%2e%2e/mcp',
      '/',
      '/api/mcp',
      `/mcp?${'q'.repeat(2000)}`,
    ];
    const methods = ['POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'];
    const rpc = (): unknown =>
      pick<() => unknown>([
        () => ({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: pick(['2025-06-18', '1999-01-01', 7]),
            capabilities: {},
            clientInfo: { name: 'f', version: '1' },
          },
        }),
        () => ({ jsonrpc: '2.0', id: rand(), method: 'tools/list' }),
        () => ({
          jsonrpc: '2.0',
          id: 'x',
          method: 'tools/call',
          params: {
            name: pick([
              'get_user_info',
              'get_subscriptions',
              'list_resource_groups',
              'list_resources',
              'nope',
              '',
            ]),
            arguments: pick([
              {},
              {
                subscriptionId: pick([
                  '',
                  '../..',
                  'x'.repeat(500),
                  '00000000-0000-0000-0000-000000000000',
                  5,
                ]),
              },
              null,
              [],
              'x',
            ]),
          },
        }),
        () => ({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        () => ({ jsonrpc: pick(['1.0', 2, null]), id: {}, method: pick([7, null, 'x'.repeat(300)]) }),
        () =>
          Array.from({ length: Math.floor(rand() * 13) }, () => ({ jsonrpc: '2.0', id: 1, method: 'ping' })),
        () => pick([null, 0, 'str', true, [], {}]),
        () => JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) as unknown,
      ])();
    const body = (): Buffer =>
      pick<() => Buffer>([
        () => Buffer.from(JSON.stringify(rpc())),
        () => Buffer.from(JSON.stringify(rpc())),
        () => Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]),
        () => Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"'),
        () => Buffer.alloc(0),
        () => Buffer.alloc(Math.floor(rand() * 300_000), 'a'),
      ])();
    const authorization = () =>
      pick([
        undefined,
        `Bearer ${token}`,
        `Bearer ${token}`,
        'Bearer',
        'Bearer ' + 'a'.repeat(500),
        `bearer ${token}x`,
        'Basic dXNlcjpwYXNz',
        `Bearer ${token.split('.').reverse().join('.')}`,
      ]);

    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    const bad: string[] = [];
    const statuses = new Map<number, number>();
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const method = pick(methods);
        const payload = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : body();
        const headers: Record<string, string> = { 'Content-Length': String(payload.length) };
        const auth = authorization();
        if (auth) headers.Authorization = auth;
        const type = pick([
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/jsonx',
          undefined,
        ]);
        if (type) headers['Content-Type'] = type;
        if (rand() < 0.3) headers.Accept = pick(['application/json, text/event-stream', 'text/html', '*/*']);
        if (rand() < 0.2) headers.Origin = pick(['https://evil.example', 'null', 'http://localhost']);
        if (rand() < 0.2) headers['Mcp-Protocol-Version'] = pick(['2025-06-18', 'garbage', '']);
        if (rand() < 0.1) headers['Mcp-Session-Id'] = randomUUID();
        const path = pick(paths);
        const req = request({ hostname, port, method, path, agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status >= 500) {
              summary.fuzz5xx++;
              bad.push(`#${i} ${method} ${path}: ${status}`);
            }
            if (STACK.test(text)) bad.push(`#${i} ${method} ${path}: stack trace`);
            resolve();
          });
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          summary.fuzzResets++;
          bad.push(`#${i} ${method} ${path}: ${error.code ?? error.message}`);
          resolve();
        });
        req.end(payload);
      });
    const started = Date.now();
    for (let i = 0; i < 500; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, k) => one(i + k)));
    }
    agent.destroy();
    summary.fuzz = 500;
    assert.deepEqual(bad, []);
    // The run reaches past authentication into the MCP layer, not only the front door.
    for (const status of [200, 401, 404, 405])
      assert.ok(statuses.get(status), `no ${status} in ${JSON.stringify([...statuses])}`);
    assert.ok(Date.now() - started < 90_000, 'bounded');
    assert.doesNotMatch(host.logs(), new RegExp(token.split('.')[2]!.slice(0, 40)), 'no token in the logs');
  });
});

/** A plain HTTP server on loopback answering with `handle`; counts the connections it got. */
async function listen(
  handle: (req: IncomingMessage, res: ServerResponse, base: string) => void,
): Promise<{ base: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  let base = '';
  const server = createServer((req, res) => {
    req.resume();
    handle(req, res, base);
  });
  // Connections, not requests: a TLS handshake to this plain HTTP server counts too.
  server.on('connection', () => hits++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    hits: () => hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('security battery: third hardening pass (issue 17)', () => {
  const ok = (name: string, condition: boolean, detail = '') => {
    assert.ok(condition, `${name} ${detail}`);
    summary.hardening++;
  };

  it('deploy: workflows:check fails on a job that logs in to Azure and installs, and on a manual deploy without the CI check', () => {
    ok('the shipped deploy workflow passes', lintWorkflow(deployWith('', '')).status === 0);
    for (const command of ['npm ci', 'npm install', 'npm run build', 'azd package --no-prompt']) {
      const r = lintWorkflow(deployRunning(command));
      ok(
        `${command} in the deploy job fails`,
        r.status === 1 && /logs in to Azure .* runs dependency code/.test(r.stderr),
        r.stderr,
      );
    }
    const noCiCheck = deployWith(
      / {6}# workflow_run already says CI passed[\s\S]*?(?= {6}- name: Compare with the tip)/,
      '',
    );
    const r = lintWorkflow(noCiCheck);
    ok(
      'a manual deploy without the CI check fails',
      r.status === 1 && /needs no job that checks CI succeeded/.test(r.stderr),
      r.stderr,
    );
  });

  it('doctor: a challenge naming a link-local or foreign URL, and a foreign issuer, are reported, never fetched', async () => {
    const bystander = await listen((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'),
    );
    let target = '';
    const hostile = await listen((req, res, base) => {
      if (req.method === 'POST')
        return void res
          .writeHead(401, {
            'WWW-Authenticate': `Bearer resource_metadata="${target}", scope="${base}/mcp/execute"`,
          })
          .end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          resource: `${base}/mcp`,
          scopes_supported: [`${base}/mcp/execute`],
          authorization_servers: [`${bystander.base.replace('http:', 'https:')}/${emulator.tenantId}/v2.0`],
        }),
      );
    });
    try {
      for (const url of [
        'http://169.254.169.254/metadata/identity/oauth2/token',
        `${bystander.base}/meta.json`,
      ]) {
        target = url;
        const report = await runDoctor(`${hostile.base}/mcp`, {
          timeoutMs: 3_000,
          authorityHost: emulator.entraUrl,
        });
        const check = report.checks.find((c) => c.id === 'metadata_challenge');
        ok(
          `challenge naming ${url}`,
          check?.status === 'fail' && check.summary.startsWith(`${url}: not fetched: `),
          JSON.stringify(check),
        );
        const issuer = report.checks.find((c) => c.id === 'openid_configuration');
        ok(
          'foreign issuer',
          issuer?.status === 'fail' &&
            /not fetched: it is not on the configured authority host/.test(issuer.summary),
          JSON.stringify(issuer),
        );
      }
      ok('nothing reached the other host', bystander.hits() === 0, String(bystander.hits()));
    } finally {
      await hostile.close();
      await bystander.close();
    }
  });

  it('CLI: no token for a look-alike server; server answers read to 1 MiB and printed without control characters', async () => {
    const home = mkdtempSync(join(tmpdir(), 'battery-cli-'));
    // A look-alike: a server advertising the API's real api:// scope (here the dev host itself), not tied to the
    // API by the user.
    const lookAlike = host;
    let padding = 0;
    const hostile = await listen((req, res, base) => {
      if (req.method === 'POST') {
        const meta = `${base}/.well-known/oauth-protected-resource/mcp`;
        return void res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${meta}"` }).end();
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          resource: `${base}/mcp`,
          scopes_supported: [`api://${emulator.clientId}/\u001b[2J\u001b]0;pwned\u0007x\u202e`],
          padding: 'x'.repeat(padding),
        }),
      );
    });
    const cli = (server: string) =>
      runCli(['--yes', '--server', server, '--cache', join(home, 'cache.json')], clientEnv(emulator, home));
    try {
      emulator.resetCounts();
      const refused = await cli(lookAlike.mcpUrl);
      ok(
        'look-alike refused before sign-in (exit 2)',
        refused.code === 2 && /nothing ties that server to the API app/.test(refused.stderr),
        refused.stderr,
      );
      const lying = await cli(hostile.base + '/mcp');
      ok(
        'hostile metadata: refused, printed without control characters',
        lying.code === 2 && terminalControls(lying.stdout + lying.stderr).length === 0,
        lying.stderr,
      );
      padding = 1_100_000;
      const huge = await cli(hostile.base + '/mcp');
      ok(
        'metadata over 1 MiB is not read',
        huge.code === 2 && /larger than 1 MiB/.test(huge.stderr),
        huge.stderr,
      );
      ok('no device code, no token', (emulator.counts()['entra.devicecode'] ?? 0) === 0);
    } finally {
      await hostile.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('ENTRA_ACCEPTED_TOKEN_VERSIONS=2 takes only v2 tokens with the client-id audience; an unrecognised ENTRA_APP_ID_URI stops the start', async () => {
    const v2Only = await startDevHost({ ...emulator.env('secret'), ENTRA_ACCEPTED_TOKEN_VERSIONS: '2' });
    try {
      const at = v2Only.mcpUrl;
      ok('v2 token: 200', (await post(await emulator.issueUserToken({}), {}, at)).status === 200);
      for (const [name, token] of [
        ['v1 token (api:// audience)', await emulator.issueUserToken({ version: 1 })],
        [
          'v1 token (client-id audience)',
          await emulator.issueUserToken({ version: 1, audience: emulator.clientId }),
        ],
        [
          'v2 token with an api:// audience',
          await emulator.issueUserToken({ audience: `api://${emulator.clientId}` }),
        ],
      ] as const) {
        const res = await post(token, {}, at);
        ok(name, res.status === 401 && /error="invalid_token"/.test(res.challenge), String(res.status));
      }
      // The default (1,2) still takes the original demo's v1 tokens.
      ok(
        'v1 token on the default: 200',
        (await post(await emulator.issueUserToken({ version: 1 }))).status === 200,
      );
    } finally {
      await v2Only.stop();
    }
    const failed = await runDevHostExpectingFailure({
      ...emulator.env('secret'),
      ENTRA_APP_ID_URI: 'api://another-app-7f3a',
    });
    ok(
      'unrecognised ENTRA_APP_ID_URI: start-up error naming the setting, not the value',
      failed.code !== 0 &&
        failed.output.includes('ENTRA_APP_ID_URI') &&
        !failed.output.includes('another-app-7f3a'),
      failed.output,
    );
  });

  it('infra: VS Code only with allowVsCode; the API app requests only ARM user_impersonation and the sign-in scopes', () => {
    const main = readFileSync(join(import.meta.dirname, '..', '..', 'infra', 'main.bicep'), 'utf8');
    const app = readFileSync(
      join(import.meta.dirname, '..', '..', 'infra', 'modules', 'entra-app.bicep'),
      'utf8',
    );
    ok('allowVsCode, on by default', /^param allowVsCode bool = true$/m.test(main));
    ok(
      'VS Code listed only through allowVsCode',
      /vsCodeClientIds = allowVsCode \? \[vsCodeClientId\] : \[\]/.test(main),
    );
    ok(
      'pre-authorization and allow-list both use it',
      (main.match(/vsCodeClientIds,/g) ?? []).length === 2 &&
        !/\[vsCodeClientId\],|, vsCodeClientId\]/.test(main),
    );
    const graph = /var signInGraphScopes = \{([^}]*)\}/.exec(app)?.[1] ?? '';
    ok(
      'Graph: openid, profile, offline_access only',
      JSON.stringify([...graph.matchAll(/^\s*(\w+):/gm)].map((m) => m[1])) ===
        '["openid","profile","offline_access"]',
      graph,
    );
    // Microsoft Graph User.Read and email.
    ok(
      'no User.Read, no email',
      !/e1fe6dd8-ba31-4d61-89e7-88639da4683d|64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0|User\.Read|\bemail\b/.test(
        app,
      ),
    );
  });

  it('OBO throttling: a 429 holds back new exchanges for at most 5 minutes; users with a cached ARM token keep working', async () => {
    const throttled = await startDevHost(emulator.env('secret'));
    const [alice, bob] = emulator.users.map((u) => u.oid);
    // alice keeps her token (and so her cached ARM token) across the calls, as a client does in a session.
    const client = await connect(throttled.mcpUrl, await emulator.issueUserToken({ user: alice! }));
    const aliceCalls = () => client.callTool({ name: 'get_subscriptions', arguments: {} });
    try {
      ok('alice before', (await aliceCalls()).isError !== true);
      emulator.resetCounts();
      emulator.injectFault('entra', { status: 429, retryAfterSec: 3600 });
      const held = await getSubscriptions(throttled, bob!);
      const wait = Number(/retry in (\d+) seconds/.exec(textOf(held))?.[1]);
      ok(
        'a new user meanwhile: obo_throttled, for at most 300 s',
        held.isError === true && /\[obo_throttled\]$/.test(textOf(held)) && wait > 0 && wait <= 300,
        textOf(held),
      );
      const again = await getSubscriptions(throttled, bob!);
      ok(
        'and again, without asking Entra',
        again.isError === true && emulator.counts()['entra.token.obo'] === 1,
      );
      ok('alice (cached ARM token) meanwhile', (await aliceCalls()).isError !== true);
      ok(
        'no exchange for her',
        emulator.counts()['entra.token.obo'] === 1,
        JSON.stringify(emulator.counts()),
      );
      ok(
        'logged with the hold-back',
        /Entra ID answered 429 \(Retry-After 3600 s\); no exchange for anyone for 300 s/.test(
          throttled.logs(),
        ),
      );
    } finally {
      await client.close();
      await throttled.stop();
    }
  });
});
