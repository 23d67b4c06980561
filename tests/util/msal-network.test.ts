import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TimeoutError } from '../../src/errors.js';
import { MsalNetworkClient } from '../../src/util/msal-network.js';
import type { NetworkAnswer } from '../../src/util/msal-network.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => routes.get(req.url ?? '')?.(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function json(status: number, value: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
}

describe('MsalNetworkClient', () => {
  it('POSTs the form body and headers, and shows the answer to onAnswer', async () => {
    let seen: { method?: string; body?: string; header?: string | string[] } = {};
    routes.set('/token', (req, res, body) => {
      seen = { method: req.method, body, header: req.headers['x-test'] };
      json(400, { error: 'invalid_grant', claims: '{}' }, { 'retry-after': '7' })(req, res, body);
    });
    const answers: NetworkAnswer[] = [];
    const client = new MsalNetworkClient({
      timeoutMs: 5_000,
      nonJson: 'oauth_error',
      onAnswer: (a) => answers.push(a),
    });
    const response = await client.sendPostRequestAsync<{ error: string }>(`${base}/token`, {
      body: 'a=1&client-request-id=c1',
      headers: { 'x-test': 'yes' },
    });
    assert.deepEqual(seen, { method: 'POST', body: 'a=1&client-request-id=c1', header: 'yes' });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_grant');
    assert.equal(response.headers['retry-after'], '7');
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.method, 'POST');
    assert.equal(answers[0]?.requestBody, 'a=1&client-request-id=c1');
    assert.equal(answers[0]?.headers.get('retry-after'), '7');
  });

  it('sends no body with a GET', async () => {
    let seen: string | undefined;
    routes.set('/get', (req, res, body) => {
      seen = body;
      json(200, { ok: true })(req, res, body);
    });
    const client = new MsalNetworkClient({ timeoutMs: 5_000, nonJson: 'empty' });
    const response = await client.sendGetRequestAsync<{ ok: boolean }>(`${base}/get`, { body: 'x=1' });
    assert.equal(seen, '');
    assert.deepEqual(response.body, { ok: true });
  });

  it('a non-JSON answer becomes an invalid_response OAuth error with oauth_error', async () => {
    routes.set('/html', (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    });
    const client = new MsalNetworkClient({ timeoutMs: 5_000, nonJson: 'oauth_error' });
    const response = await client.sendPostRequestAsync(`${base}/html`, { body: '' });
    assert.deepEqual(response.body, {
      error: 'invalid_response',
      error_description: 'Unexpected non-JSON answer (HTTP 502)',
    });
  });

  it('a non-JSON answer becomes an empty object with empty', async () => {
    const client = new MsalNetworkClient({ timeoutMs: 5_000, nonJson: 'empty' });
    const response = await client.sendPostRequestAsync(`${base}/html`, { body: '' });
    assert.deepEqual(response.body, {});
  });

  it('an empty body is an empty object', async () => {
    routes.set('/empty', (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const client = new MsalNetworkClient({ timeoutMs: 5_000, nonJson: 'oauth_error' });
    assert.deepEqual((await client.sendGetRequestAsync(`${base}/empty`)).body, {});
  });

  it('a hung POST fails with a TimeoutError after the budget, reported to onNoAnswer', async () => {
    routes.set('/hang', () => undefined);
    const failures: string[] = [];
    const client = new MsalNetworkClient({
      timeoutMs: 100,
      nonJson: 'empty',
      onNoAnswer: (url, error) => failures.push(`${url.pathname} ${(error as Error).name}`),
    });
    const started = Date.now();
    await assert.rejects(client.sendPostRequestAsync(`${base}/hang`, { body: '' }), TimeoutError);
    assert.ok(Date.now() - started < 2_000);
    assert.deepEqual(failures, ['/hang TimeoutError']);
  });

  it("a GET takes MSAL's timeout when smaller than the budget, never a larger one", async () => {
    const client = new MsalNetworkClient({ timeoutMs: 150, nonJson: 'empty' });
    let started = Date.now();
    await assert.rejects(client.sendGetRequestAsync(`${base}/hang`, {}, 50), TimeoutError);
    const smaller = Date.now() - started;
    started = Date.now();
    await assert.rejects(client.sendGetRequestAsync(`${base}/hang`, {}, 60_000), TimeoutError);
    const capped = Date.now() - started;
    assert.ok(smaller < 150, `MSAL's 50 ms applied (${smaller} ms)`);
    assert.ok(capped >= 140 && capped < 2_000, `the 150 ms budget applied (${capped} ms)`);
  });

  it('a refused connection is reported to onNoAnswer and rethrown', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const failures: URL[] = [];
    const client = new MsalNetworkClient({
      timeoutMs: 5_000,
      nonJson: 'empty',
      onNoAnswer: (url) => failures.push(url),
    });
    await assert.rejects(client.sendGetRequestAsync(`http://127.0.0.1:${port}/x`));
    assert.equal(failures[0]?.origin, `http://127.0.0.1:${port}`);
  });

  it('an onAnswer that throws stops the request with its error', async () => {
    routes.set('/ok', json(200, {}));
    const client = new MsalNetworkClient({
      timeoutMs: 5_000,
      nonJson: 'empty',
      onAnswer: () => {
        throw new RangeError('stop');
      },
    });
    await assert.rejects(client.sendPostRequestAsync(`${base}/ok`, { body: '' }), RangeError);
  });
});
