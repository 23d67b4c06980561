// What the CLI fetches on a server's say-so (scope discovery and doctor share these rules), and how much of it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  MAX_RESPONSE_BYTES,
  RefusedUrlError,
  ResponseTooLargeError,
  guardedFetch,
  issuerUrlRefusal,
  metadataUrlRefusal,
} from '../../cli/fetch-guard.js';

describe('metadataUrlRefusal: https (http only on loopback) on the server own origin', () => {
  for (const [url, server] of [
    ['https://mcp.example/.well-known/oauth-protected-resource/mcp', 'https://mcp.example/mcp'],
    ['https://mcp.example/.well-known/oauth-authorization-server', 'https://mcp.example/mcp'],
    ['http://127.0.0.1:7071/.well-known/oauth-protected-resource/mcp', 'http://127.0.0.1:7071/mcp'],
    ['http://localhost:7071/meta.json', 'http://localhost:7071/mcp'],
  ] as const) {
    it(`allows ${url} for ${server}`, () => {
      assert.equal(metadataUrlRefusal(url, server), undefined);
    });
  }

  for (const [url, server, reason] of [
    ['http://169.254.169.254/metadata/instance', 'https://mcp.example/mcp', 'plain http to another machine'],
    [
      'https://169.254.169.254/x',
      'https://mcp.example/mcp',
      "not on the server's own origin https://mcp.example",
    ],
    [
      'https://metadata.example/x',
      'https://mcp.example/mcp',
      "not on the server's own origin https://mcp.example",
    ],
    [
      'https://mcp.example:8443/x',
      'https://mcp.example/mcp',
      "not on the server's own origin https://mcp.example",
    ],
    ['http://mcp.example/x', 'https://mcp.example/mcp', 'plain http to another machine'],
    ['http://mcp.example/x', 'http://mcp.example/mcp', 'plain http to another machine'],
    [
      'http://127.0.0.1:9/x',
      'http://127.0.0.1:7071/mcp',
      "not on the server's own origin http://127.0.0.1:7071",
    ],
    ['file:///etc/passwd', 'http://127.0.0.1/mcp', 'not an https:// URL'],
    ['https://user:pw@mcp.example/x', 'https://mcp.example/mcp', 'a URL with user credentials'],
    ['not a url', 'https://mcp.example/mcp', 'not a URL'],
  ] as const) {
    it(`refuses ${url} for ${server}: ${reason}`, () => {
      assert.equal(metadataUrlRefusal(url, server), reason);
    });
  }
});

describe('issuerUrlRefusal: only on the configured authority host', () => {
  it('allows the authority host, refuses any other origin naming the setting', () => {
    const host = 'https://login.microsoftonline.com';
    assert.equal(issuerUrlRefusal(`${host}/t/v2.0/.well-known/openid-configuration`, host), undefined);
    assert.equal(
      issuerUrlRefusal('https://login.evil.example/t/v2.0/.well-known/openid-configuration', host),
      'not on the configured authority host https://login.microsoftonline.com (ENTRA_AUTHORITY_HOST / --authority-host)',
    );
    assert.equal(issuerUrlRefusal('http://169.254.169.254/t/v2.0', host), 'plain http to another machine');
  });
});

describe('guardedFetch', () => {
  let server: Server;
  let base: string;
  let hits: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data' }).end();
      } else if (req.url === '/declared') {
        res.writeHead(200, { 'Content-Length': String(MAX_RESPONSE_BYTES + 1) });
        res.end('x'.repeat(MAX_RESPONSE_BYTES + 1));
      } else if (req.url === '/streamed') {
        res.writeHead(200); // chunked: no length to go by
        for (let i = 0; i < 20; i++) res.write('y'.repeat(65_536));
        res.end();
      } else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const guarded = (refusal = (u: URL) => metadataUrlRefusal(u, `${base}/mcp`)) =>
    guardedFetch({ refusal, timeoutMs: 5_000 });

  it('refuses a URL before any connection', async () => {
    hits = [];
    await assert.rejects(guarded().fetch('http://192.0.2.1:1/x'), (error: unknown) => {
      assert.ok(error instanceof RefusedUrlError);
      assert.equal(error.message, 'not fetched: http://192.0.2.1:1/x is plain http to another machine');
      return true;
    });
    assert.deepEqual(hits, []);
  });

  it('does not follow a redirect: the 3xx answer comes back as it is', async () => {
    const res = await guarded().fetch(`${base}/redirect`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'http://169.254.169.254/latest/meta-data');
  });

  it('reads at most 1 MiB: a declared length over it fails at once, a streamed body once past it', async () => {
    await assert.rejects(guarded().fetch(`${base}/declared`), ResponseTooLargeError);
    const streamed = await guarded().fetch(`${base}/streamed`);
    await assert.rejects(streamed.text(), ResponseTooLargeError);
    assert.deepEqual(await (await guarded().fetch(`${base}/ok`)).json(), { ok: true });
  });
});
