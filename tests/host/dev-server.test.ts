import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { HttpFunctionDefinition } from '../../src/functions/index.js';
import { startDevHost, toRoutes } from '../../src/host/dev-server.js';

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
  ({ server, url } = await startDevHost({ port: 0, functions: [echo] }));
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
});
