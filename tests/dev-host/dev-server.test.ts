import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { HttpFunctionDefinition } from '../../src/functions/index.js';
import { DRAIN_BYTES, startDevHost, toRoutes } from '../../dev-host/dev-server.js';
import { rawExchange, requestHead } from './raw-http.js';

const echo: HttpFunctionDefinition = {
  name: 'echo',
  options: {
    route: 'echo/path',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async (req) => ({
      status: 200,
      jsonBody: { method: req.method, url: req.url, body: await req.text() },
    }),
  },
};
// Reads only the first chunk of the body, then stops (as the MCP handler does at its size limit).
const peek: HttpFunctionDefinition = {
  name: 'peek',
  options: {
    route: 'peek',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: async (req) => {
      const reader = req.body!.getReader();
      const first = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
      await reader.cancel();
      return { status: 200, jsonBody: { first: Buffer.from(first.value!.subarray(0, 4)).toString() } };
    },
  },
};
let server: Server;
let url: string;

function raw(path: string, method = 'POST', host?: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers: host ? { host } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  ({ server, url } = await startDevHost({ port: 0, functions: [echo, peek] }));
});
after(() => server.close());

describe('dev host', () => {
  it('maps routes like the Functions host with routePrefix ""', () => {
    assert.deepEqual(
      toRoutes([echo]).map(({ path, methods }) => ({ path, methods })),
      [{ path: '/echo/path', methods: ['POST'] }],
    );
  });

  it('calls the handler with the request and body', async () => {
    const res = await fetch(`${url}/echo/path?x=1`, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { method: string; url: string; body: string };
    assert.equal(body.method, 'POST');
    assert.equal(body.body, 'hello');
    assert.equal(new URL(body.url).pathname, '/echo/path');
  });

  it('404 for unknown routes, 405 for other methods, 400 for non-origin-form targets', async () => {
    assert.equal((await fetch(`${url}/nope`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${url}/echo/path`)).status, 405);
    assert.equal(await raw('//evil.example/echo/path'), 400);
    assert.equal(await raw('/echo/path', 'POST', 'bad host with spaces'), 400);
  });

  it('streams the body to the handler; a handler that stops reading leaves the connection usable', async () => {
    const body = (fill: string) => Buffer.alloc(DRAIN_BYTES / 2, fill);
    const { answers, ending } = await rawExchange(
      url,
      [
        requestHead('POST', '/peek', DRAIN_BYTES / 2),
        body('a'),
        requestHead('POST', '/peek', DRAIN_BYTES / 2),
        body('b'),
        requestHead('POST', '/echo/path', 5, { Connection: 'close' }),
        'hello',
      ],
      ['POST', 'POST', 'POST'],
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection]),
      [
        [200, 'keep-alive'],
        [200, 'keep-alive'],
        [200, 'close'],
      ],
    );
    assert.deepEqual(
      JSON.parse(answers[1]!.body),
      { first: 'bbbb' },
      'the unread rest was drained, not parsed',
    );
    assert.equal((JSON.parse(answers[2]!.body) as { body: string }).body, 'hello');
    assert.equal(ending, 'end');
  });

  it('an unread rest over the drain limit: Connection: close and a clean close', async () => {
    const size = DRAIN_BYTES * 3;
    const { answers, ending } = await rawExchange(
      url,
      [requestHead('POST', '/peek', size), Buffer.alloc(size, 'c')],
      ['POST'],
    );
    assert.deepEqual(
      answers.map((a) => [a.status, a.headers.connection]),
      [[200, 'close']],
    );
    assert.equal(ending, 'end');
  });
});
