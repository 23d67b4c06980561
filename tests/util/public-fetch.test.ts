import assert from 'node:assert/strict';
import type { LookupAddress, lookup } from 'node:dns';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, isIP } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ensureCa, issueServerCert } from '../../emulator/ca.js';
import { PublicFetchError, fetchPublicJson, isPublicAddress } from '../../src/util/public-fetch.js';
import type { PublicFetchFailure, PublicFetchOptions } from '../../src/util/public-fetch.js';
import { startDocumentServer } from '../helpers/oauth-proxy.js';

const LIMITS = { timeoutMs: 5000, maxBytes: 64 * 1024 };

/** A DNS lookup answering `addresses` for every name (or failing with `code`), recording the names asked. */
function fakeLookup(answer: string[] | { code: string }) {
  const asked: string[] = [];
  const fn = (
    hostname: string,
    _options: unknown,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    asked.push(hostname);
    if (!Array.isArray(answer)) {
      callback(Object.assign(new Error(`getaddrinfo ${answer.code}`), { code: answer.code }), []);
      return;
    }
    callback(
      null,
      answer.map((address) => ({ address, family: isIP(address) })),
    );
  };
  return { asked, lookup: fn as unknown as typeof lookup };
}

async function failsWith(
  target: string,
  options: Partial<PublicFetchOptions>,
  reason: PublicFetchFailure,
): Promise<PublicFetchError> {
  let caught: unknown;
  await assert.rejects(fetchPublicJson(target, { ...LIMITS, ...options }), (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof PublicFetchError, String(caught));
  assert.equal(caught.reason, reason, caught.message);
  return caught;
}

describe('isPublicAddress', () => {
  for (const address of [
    '8.8.8.8',
    '1.1.1.1',
    '20.50.2.1',
    '2606:4700:4700::1111',
    '2a01:111:f400::1',
    '::ffff:8.8.8.8',
  ]) {
    it(`${address} is public`, () => {
      assert.equal(isPublicAddress(address), true);
    });
  }

  for (const [address, what] of [
    ['10.0.0.1', 'private (RFC 1918)'],
    ['172.16.5.4', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'IPv6 loopback'],
    ['169.254.169.254', 'link-local (the instance metadata service)'],
    ['168.63.129.16', "Azure's platform address (WireServer)"],
    ['::ffff:168.63.129.16', "Azure's platform address, IPv4-mapped"],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['fe80::1', 'IPv6 link-local'],
    ['fc00::1', 'IPv6 unique-local'],
    ['fd12:3456:789a::1', 'IPv6 unique-local'],
    ['::ffff:10.0.0.1', 'private, IPv4-mapped'],
    ['::ffff:127.0.0.1', 'loopback, IPv4-mapped'],
    ['::ffff:169.254.169.254', 'link-local, IPv4-mapped'],
    ['::ffff:a00:1', 'private, IPv4-mapped in hex'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'IPv6 unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'IPv6 multicast'],
    ['192.0.2.10', 'documentation (TEST-NET-1)'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['64:ff9b::a00:1', 'NAT64 of a private address'],
    ['2002:a00:1::', '6to4 of a private address'],
    ['::a9fe:a9fe', 'IPv4-compatible IPv6 of the metadata address (::/96)'],
    ['not-an-address', 'no address'],
    ['', 'empty'],
  ] as const) {
    it(`${address || '(empty)'} is not public: ${what}`, () => {
      assert.equal(isPublicAddress(address), false);
    });
  }

  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    it(`${address} is allowed with allowLoopback`, () => {
      assert.equal(isPublicAddress(address, true), true);
    });
  }

  for (const address of ['10.0.0.1', '169.254.169.254', '168.63.129.16', 'fd00::1']) {
    it(`${address} stays refused with allowLoopback`, () => {
      assert.equal(isPublicAddress(address, true), false);
    });
  }
});

describe('fetchPublicJson: refused before any connection', () => {
  it('refuses http://', async () => {
    const dns = fakeLookup(['8.8.8.8']);
    await failsWith('http://client.example.com/metadata.json', { lookup: dns.lookup }, 'not_https');
    assert.deepEqual(dns.asked, []);
  });

  for (const target of [
    'https://10.0.0.1/doc',
    'https://169.254.169.254/metadata/instance',
    'https://168.63.129.16/machine',
    'https://127.0.0.1/doc',
    'https://[::1]/doc',
    'https://[::ffff:127.0.0.1]/doc',
    'https://[fd00::1]/doc',
    'https://2130706433/doc',
    'https://0x7f.1/doc',
    'https://0/doc',
  ]) {
    it(`refuses the address literal of ${target}`, async () => {
      const dns = fakeLookup(['8.8.8.8']);
      const error = await failsWith(target, { lookup: dns.lookup }, 'blocked_address');
      assert.deepEqual(dns.asked, []);
      assert.ok(!error.message.includes(new URL(target).hostname), 'the message names no address');
    });
  }

  for (const [name, addresses] of [
    ['a private address', ['10.0.0.1']],
    ['the instance metadata address', ['169.254.169.254']],
    ['an IPv4-mapped private address', ['::ffff:192.168.0.1']],
    ['a public and a private address (all must be public)', ['8.8.8.8', '10.0.0.1']],
    ['a unique-local IPv6 address', ['fd00::5']],
    ['no address', []],
  ] as const) {
    it(`refuses a name resolving to ${name}`, async () => {
      const dns = fakeLookup([...addresses]);
      const error = await failsWith(
        'https://cimd.example.test/client.json',
        { lookup: dns.lookup },
        'blocked_address',
      );
      assert.deepEqual(dns.asked, ['cimd.example.test']);
      for (const address of addresses) assert.ok(!error.message.includes(address));
    });
  }

  it('refuses a name resolving to loopback without allowLoopback', async () => {
    const dns = fakeLookup(['127.0.0.1']);
    await failsWith('https://cimd.example.test/client.json', { lookup: dns.lookup }, 'blocked_address');
  });

  it('refuses a name resolving to a private address even with allowLoopback', async () => {
    const dns = fakeLookup(['127.0.0.1', '10.1.2.3']);
    await failsWith(
      'https://cimd.example.test/c.json',
      { lookup: dns.lookup, allowLoopback: true },
      'blocked_address',
    );
  });

  it('answers unresolvable for a name that does not resolve', async () => {
    const dns = fakeLookup({ code: 'ENOTFOUND' });
    await failsWith('https://nowhere.example.test/client.json', { lookup: dns.lookup }, 'unresolvable');
  });
});

describe('fetchPublicJson: an https server on loopback (allowLoopback)', () => {
  let docs: Awaited<ReturnType<typeof startDocumentServer>>;
  let caDir: string;
  const loopback = { allowLoopback: true } as const;

  before(async () => {
    caDir = process.env.EMULATOR_CA_DIR ?? '';
    assert.ok(caDir, 'EMULATOR_CA_DIR is set by scripts/test.mjs');
    docs = await startDocumentServer(caDir);
  });
  after(() => docs.stop());

  function route(path: string, doc: Parameters<typeof docs.routes.set>[1]): string {
    docs.routes.set(path, doc);
    return `${docs.origin}${path}`;
  }

  it('fetches a JSON document with its Cache-Control', async () => {
    const url = route('/ok.json', {
      body: { client_id: 'x', n: 1 },
      headers: { 'cache-control': 'max-age=60' },
    });
    const doc = await fetchPublicJson(url, { ...LIMITS, ...loopback });
    assert.deepEqual(doc, { url, json: { client_id: 'x', n: 1 }, cacheControl: 'max-age=60' });
  });

  it('connects through the lookup it checked', async () => {
    const url = route('/pinned.json', { body: { ok: true } });
    const dns = fakeLookup(['127.0.0.1']);
    const doc = await fetchPublicJson(url, { ...LIMITS, ...loopback, lookup: dns.lookup });
    assert.deepEqual(doc.json, { ok: true });
    assert.deepEqual(dns.asked, ['localhost']);
  });

  for (const type of [
    'application/json; charset=utf-8',
    'application/json',
    'Application/JSON',
    'application/vnd.example+json',
  ]) {
    it(`accepts Content-Type ${type}`, async () => {
      const url = route(`/type-${encodeURIComponent(type)}`, {
        body: { ok: 1 },
        headers: { 'content-type': type },
      });
      assert.deepEqual((await fetchPublicJson(url, { ...LIMITS, ...loopback })).json, { ok: 1 });
    });
  }

  for (const status of [301, 302, 303, 307, 308]) {
    it(`refuses a ${status} redirect, even to the same origin, without following it`, async () => {
      const target = `/redirect-target-${status}.json`;
      docs.routes.set(target, { body: { followed: true } });
      const url = route(`/redirect-${status}.json`, { status, body: '', headers: { location: target } });
      await failsWith(url, loopback, 'redirect');
      assert.ok(!docs.requests.includes(target), 'the redirect was not followed');
    });
  }

  for (const status of [404, 500, 204]) {
    it(`refuses HTTP ${status}`, async () => {
      const url = route(`/status-${status}.json`, { status, body: status === 204 ? '' : { error: 'x' } });
      await failsWith(url, loopback, 'http_status');
    });
  }

  for (const type of [
    'text/html',
    'text/plain',
    'application/javascript',
    'application/jsonp',
    'application/x-json-evil',
  ]) {
    it(`refuses Content-Type ${type}`, async () => {
      const url = route(`/ctype-${encodeURIComponent(type)}`, {
        body: { x: 1 },
        headers: { 'content-type': type },
      });
      await failsWith(url, loopback, 'not_json');
    });
  }

  it('refuses a body that is not JSON', async () => {
    const url = route('/broken.json', { body: '{"client_id": ' });
    await failsWith(url, loopback, 'not_json');
  });

  it('reads a body of exactly maxBytes and refuses one byte more', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(1000) });
    const url = route('/sized.json', { body });
    const exact = await fetchPublicJson(url, { ...LIMITS, ...loopback, maxBytes: Buffer.byteLength(body) });
    assert.deepEqual(exact.json, JSON.parse(body));
    await failsWith(url, { ...loopback, maxBytes: Buffer.byteLength(body) - 1 }, 'too_large');
  });

  it('refuses a large body', async () => {
    const url = route('/large.json', { body: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }) });
    await failsWith(url, loopback, 'too_large');
  });

  it('refuses a server whose certificate does not name the host: unreachable', async () => {
    const port = new URL(docs.origin).port;
    docs.routes.set('/cert.json', { body: { x: 1 } });
    const dns = fakeLookup(['127.0.0.1']);
    await failsWith(
      `https://cimd.example.test:${port}/cert.json`,
      { ...loopback, lookup: dns.lookup },
      'unreachable',
    );
  });

  it('answers unreachable for a closed port', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await failsWith(`https://127.0.0.1:${port}/doc.json`, loopback, 'unreachable');
  });

  describe('timeouts', () => {
    const sockets = new Set<Socket>();
    const servers: Server[] = [];

    after(async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    });

    async function listen(server: Server): Promise<number> {
      server.on('connection', (socket: Socket) => sockets.add(socket));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    }

    it('gives up on a server that never answers the handshake', async () => {
      const port = await listen(createTcpServer(() => undefined));
      const started = Date.now();
      await failsWith(`https://127.0.0.1:${port}/doc.json`, { ...loopback, timeoutMs: 300 }, 'timeout');
      assert.ok(Date.now() - started < 5000, 'within its budget, not the socket default');
    });

    it('gives up on a server that stops in the middle of the body', async () => {
      const leaf = await issueServerCert(await ensureCa(caDir));
      const port = await listen(
        createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"client_id": "');
        }),
      );
      await failsWith(`https://localhost:${port}/doc.json`, { ...loopback, timeoutMs: 500 }, 'timeout');
    });
  });
});
