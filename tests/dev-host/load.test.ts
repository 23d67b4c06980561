// The dev host under concurrency: every request gets its proper status, no connection is ever reset (issue 9).
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { rawExchange, requestHead } from './raw-http.js';

const KB250 = Buffer.alloc(250 * 1024, 'a');
let emulator: Emulator;
let host: DevHost;
let token: string;

before(async () => {
  emulator = await startEmulator();
  host = await startDevHost({ ...emulator.env('secret'), MCP_MAX_BODY_BYTES: String(1024 * 1024) });
  token = await emulator.issueUserToken({});
});
after(async () => {
  await host?.stop();
  await emulator?.stop();
});

interface Case {
  method: string;
  path: string;
  body: Buffer;
  /** Content-Length on the wire; false sends the body the way Node's client sends GET/DELETE bodies: unframed. */
  framed: boolean;
  headers?: Record<string, string>;
  expect: number;
}

function send(agent: Agent, c: Case): Promise<number | string> {
  const { hostname, port } = new URL(host.url);
  return new Promise((resolve) => {
    const req = request(
      {
        hostname,
        port,
        path: c.path,
        method: c.method,
        agent,
        headers: {
          'Content-Type': 'application/json',
          ...(c.framed ? { 'Content-Length': c.body.length } : {}),
          ...c.headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end(c.body);
  });
}

describe('dev host under load', () => {
  it('200 mixed keep-alive requests with 250 KB bodies: right statuses, zero resets', async () => {
    const auth = { Authorization: `Bearer ${token}` };
    const kinds: Case[] = [
      { method: 'GET', path: '/mcp', body: KB250, framed: true, expect: 405 },
      { method: 'DELETE', path: '/mcp', body: KB250, framed: true, expect: 405 },
      // Methods /mcp does not list: the host's 404, as under the Functions host.
      { method: 'PUT', path: '/mcp', body: KB250, framed: true, expect: 404 },
      { method: 'HEAD', path: '/mcp', body: KB250, framed: true, expect: 404 },
      { method: 'GET', path: '/mcp', body: KB250, framed: false, expect: 405 },
      { method: 'DELETE', path: '/mcp', body: KB250, framed: false, expect: 405 },
      { method: 'POST', path: '/mcp', body: KB250, framed: true, expect: 401 },
      { method: 'POST', path: '/mcp', body: KB250, framed: false, expect: 401 },
      { method: 'GET', path: '/nope', body: KB250, framed: true, expect: 404 },
      { method: 'POST', path: '/', body: KB250, framed: true, expect: 404 },
      {
        method: 'GET',
        path: '/.well-known/oauth-protected-resource/mcp',
        body: KB250,
        framed: true,
        expect: 200,
      },
      // Authenticated, over MCP_MAX_BODY_BYTES: the handler's 413, then the host closes the connection gracefully.
      {
        method: 'POST',
        path: '/mcp',
        body: Buffer.alloc(2 * 1024 * 1024, 'a'),
        framed: true,
        headers: auth,
        expect: 413,
      },
    ];
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const started = Date.now();
    const cases = Array.from({ length: 200 }, (_, i) => kinds[i % kinds.length]!);
    const results = await Promise.all(cases.map((c) => send(agent, c)));
    agent.destroy();
    const wrong = cases
      .map((c, i) => ({
        request: `${c.method} ${c.path}${c.framed ? '' : ' (unframed body)'}`,
        expected: c.expect,
        got: results[i],
      }))
      .filter((r) => r.got !== r.expected);
    assert.deepEqual(wrong, [], `${wrong.length} of 200 requests got the wrong answer`);
    assert.ok(Date.now() - started < 30_000, 'bounded');
  });

  it('pipelined requests with bodies get their answers in order', async () => {
    const plan: [string, string, number][] = [
      ['GET', '/mcp', 405],
      ['DELETE', '/mcp', 405],
      ['POST', '/mcp', 401],
      ['HEAD', '/mcp', 404],
      ['PUT', '/mcp', 404],
      ['GET', '/elsewhere', 404],
      ['OPTIONS', '/mcp', 403],
      ['GET', '/.well-known/oauth-protected-resource', 200],
      ['POST', '/mcp', 401],
    ];
    const chunks = plan.flatMap(([method, path], i) => [
      requestHead(method, path, KB250.length, i === plan.length - 1 ? { Connection: 'close' } : {}),
      KB250,
    ]);
    const { answers, ending } = await rawExchange(
      host.url,
      chunks,
      plan.map(([m]) => m),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      plan.map(([, , status]) => status),
    );
    assert.equal(ending, 'end', 'closed with a FIN after the last answer, not reset');
  });

  it('a GET body without Content-Length: 405 with Connection: close, then a clean close', async () => {
    const { answers, ending } = await rawExchange(
      host.url,
      [Buffer.concat([Buffer.from('GET /mcp HTTP/1.1\r\nHost: localhost\r\n\r\n'), KB250])],
      ['GET', 'GET'],
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection]),
      [[405, 'close']],
    );
    assert.equal(ending, 'end');
  });

  it('a body far over MCP_MAX_BODY_BYTES: 413 with Connection: close, no reset while the client still sends', async () => {
    const { answers, ending } = await rawExchange(
      host.url,
      [
        requestHead('POST', '/mcp', 64 * 1024 * 1024, {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
        }),
        ...Array.from({ length: 8 }, () => KB250),
      ],
      ['POST'],
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection, (JSON.parse(a.body) as { error: unknown }).error]),
      [[413, 'close', { code: -32600, message: 'Request body exceeds 1048576 bytes.' }]],
    );
    assert.equal(ending, 'end');
  });

  it('garbage on a fresh connection: 400 and a clean close', async () => {
    const { answers, ending } = await rawExchange(
      host.url,
      ['\x16\x03\x01 not http at all\r\n\r\n'],
      ['GET'],
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [400],
    );
    assert.equal(ending, 'end');
  });
});
