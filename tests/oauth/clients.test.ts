import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { OAuthProxyError } from '../../src/errors.js';
import {
  ClientResolver,
  MAX_CLIENT_NAME,
  MAX_REDIRECT_URIS,
  clientFromDocument,
  isMetadataDocumentUrl,
} from '../../src/oauth/clients.js';
import { ProxyKeyRing } from '../../src/oauth/keys.js';
import { register } from '../../src/oauth/registration.js';
import { startDocumentServer } from '../helpers/oauth-proxy.js';

const CLIENT_ID = 'https://client.example.com/oauth/metadata.json';

function newRing(): ProxyKeyRing {
  return new ProxyKeyRing([new Uint8Array(randomBytes(32))]);
}

function document(json: unknown, clientId = CLIENT_ID) {
  return { url: clientId, json, cacheControl: undefined };
}

function validMetadata(clientId = CLIENT_ID): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Example MCP Client',
    redirect_uris: ['https://client.example.com/callback', 'http://127.0.0.1/callback'],
  };
}

/** Asserts `fn` fails with OAuthProxyError `code` whose message matches `message`. */
async function rejectsWith(fn: () => unknown, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(
    async () => {
      await fn();
    },
    (error: unknown) => {
      assert.ok(error instanceof OAuthProxyError, String(error));
      assert.equal(error.code, code);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}

describe('isMetadataDocumentUrl', () => {
  for (const [url, expected] of [
    ['https://client.example.com/oauth/metadata.json', true],
    ['https://client.example.com/m', true],
    ['https://client.example.com:8443/m.json', true],
    ['https://client.example.com', false],
    ['https://client.example.com/', false],
    ['http://client.example.com/m.json', false],
    ['https://client.example.com/m.json#frag', false],
    ['https://client.example.com/m.json?v=1', false],
    ['https://client.example.com/m.json?', false],
    ['https://user@client.example.com/m.json', false],
    ['https://user:pass@client.example.com/m.json', false],
    // The draft: no single-dot or double-dot path segments.
    ['https://client.example.com/a/../m.json', false],
    ['https://client.example.com/./m.json', false],
    ['https://client.example.com/a/%2e%2e/m.json', false],
    [`https://client.example.com/${'a'.repeat(600)}`, false],
    ['client-id-123', false],
    ['urn:client:1', false],
  ] as const) {
    it(`${url.length > 80 ? `${url.slice(0, 40)}… (${url.length} chars)` : url}: ${expected}`, () => {
      assert.equal(isMetadataDocumentUrl(url), expected);
    });
  }
});

describe('clientFromDocument', () => {
  it('describes the client a valid document names', () => {
    const client = clientFromDocument(CLIENT_ID, document(validMetadata()));
    assert.deepEqual(client, {
      id: CLIENT_ID,
      kind: 'metadata-document',
      name: 'Example MCP Client',
      redirectUris: ['https://client.example.com/callback', 'http://127.0.0.1/callback'],
    });
  });

  for (const [name, json] of [
    ['an array', []],
    ['null', null],
    ['a string', 'client'],
    ['a number', 42],
  ] as const) {
    it(`refuses ${name} as a document`, async () => {
      await rejectsWith(() => clientFromDocument(CLIENT_ID, document(json)), 'invalid_client', /JSON object/);
    });
  }

  for (const [name, clientId] of [
    ['another URL', 'https://impostor.example/oauth/metadata.json'],
    ['the URL with a trailing slash', `${CLIENT_ID}/`],
    ['the URL in another case', CLIENT_ID.toUpperCase()],
    ['no client_id', undefined],
  ] as const) {
    it(`refuses a document whose client_id is ${name}`, async () => {
      await rejectsWith(
        () => clientFromDocument(CLIENT_ID, document({ ...validMetadata(), client_id: clientId })),
        'invalid_client',
        /client_id/,
      );
    });
  }

  for (const [field, value] of [
    ['client_secret', 'shh'],
    ['client_secret', ''],
    ['client_secret_expires_at', 0],
  ] as const) {
    it(`refuses a document with ${field} ${JSON.stringify(value)}`, async () => {
      await rejectsWith(
        () => clientFromDocument(CLIENT_ID, document({ ...validMetadata(), [field]: value })),
        'invalid_client',
        /secret/,
      );
    });
  }

  for (const method of ['none', 'private_key_jwt']) {
    it(`accepts token_endpoint_auth_method ${method}`, () => {
      const json = { ...validMetadata(), token_endpoint_auth_method: method };
      assert.equal(clientFromDocument(CLIENT_ID, document(json)).id, CLIENT_ID);
    });
  }

  for (const method of [
    'client_secret_basic',
    'client_secret_post',
    'client_secret_jwt',
    'tls_client_auth',
  ]) {
    it(`refuses token_endpoint_auth_method ${method}`, async () => {
      const json = { ...validMetadata(), token_endpoint_auth_method: method };
      await rejectsWith(
        () => clientFromDocument(CLIENT_ID, document(json)),
        'invalid_client',
        /token_endpoint_auth_method/,
      );
    });
  }

  for (const grants of [['authorization_code'], ['authorization_code', 'refresh_token'], []]) {
    it(`accepts grant_types ${JSON.stringify(grants)}`, () => {
      const json = { ...validMetadata(), grant_types: grants };
      assert.equal(clientFromDocument(CLIENT_ID, document(json)).kind, 'metadata-document');
    });
  }

  for (const grants of [['client_credentials'], ['authorization_code', 'implicit'], 'authorization_code']) {
    it(`refuses grant_types ${JSON.stringify(grants)}`, async () => {
      const json = { ...validMetadata(), grant_types: grants };
      await rejectsWith(() => clientFromDocument(CLIENT_ID, document(json)), 'invalid_client', /grant types/);
    });
  }

  for (const [name, uris] of [
    ['missing', undefined],
    ['empty', []],
    ['a string', 'https://client.example.com/callback'],
    ['javascript:', ['javascript:alert(1)']],
    ['with a fragment', ['https://client.example.com/cb#x']],
    ['http on another host', ['http://client.example.com/cb']],
    ['too many', Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://client.example.com/${i}`)],
  ] as const) {
    it(`refuses redirect_uris ${name}`, async () => {
      const json = { ...validMetadata(), redirect_uris: uris };
      await rejectsWith(() => clientFromDocument(CLIENT_ID, document(json)), 'invalid_client', /not usable/);
    });
  }

  it(`accepts ${MAX_REDIRECT_URIS} redirect URIs, once each`, () => {
    const uris = Array.from({ length: MAX_REDIRECT_URIS }, (_, i) => `https://client.example.com/${i % 3}`);
    const client = clientFromDocument(CLIENT_ID, document({ ...validMetadata(), redirect_uris: uris }));
    assert.deepEqual(client.redirectUris, [
      'https://client.example.com/0',
      'https://client.example.com/1',
      'https://client.example.com/2',
    ]);
  });

  for (const [name, clientName, expected] of [
    ['control and bidi characters removed', 'Evil\u202e\u0000 Client\u200b', 'Evil Client'],
    ['spaces collapsed and trimmed', '   Many \t\n  spaces  ', 'Many spaces'],
    ['an HTML name kept as text', '<b>Bold</b>', '<b>Bold</b>'],
  ] as const) {
    it(`cleans client_name: ${name}`, () => {
      const json = { ...validMetadata(), client_name: clientName };
      assert.equal(clientFromDocument(CLIENT_ID, document(json)).name, expected);
    });
  }

  it(`truncates client_name to ${MAX_CLIENT_NAME} characters`, () => {
    const json = { ...validMetadata(), client_name: 'x'.repeat(MAX_CLIENT_NAME * 3) };
    const name = clientFromDocument(CLIENT_ID, document(json)).name;
    assert.equal(name.length, MAX_CLIENT_NAME);
    assert.ok(name.endsWith('…'));
  });

  for (const [name, clientName] of [
    ['missing', undefined],
    ['empty', ''],
    ['only invisible characters', '\u200b\u202e\u0007'],
    ['not a string', 42],
  ] as const) {
    it(`names the client after its host when client_name is ${name}`, () => {
      const clientId = 'https://client.example.com:8443/m.json';
      const json = { ...validMetadata(clientId), client_name: clientName };
      assert.equal(clientFromDocument(clientId, document(json, clientId)).name, 'client.example.com:8443');
    });
  }
});

describe('ClientResolver: registered clients', () => {
  const keys = newRing();
  const resolver = new ClientResolver({ keys: () => Promise.resolve(keys), fetch: {} });

  async function registered(metadata: Record<string, unknown>, ring = keys): Promise<string> {
    const response = await register(metadata, ring, 1_800_000_000);
    return String(response.client_id);
  }

  it('resolves a client id this server signed', async () => {
    const id = await registered({ client_name: 'Registered App', redirect_uris: ['http://127.0.0.1/cb'] });
    assert.deepEqual(await resolver.resolve(id), {
      id,
      kind: 'registered',
      name: 'Registered App',
      redirectUris: ['http://127.0.0.1/cb'],
    });
  });

  it('names a registration without client_name "Unnamed client"', async () => {
    const id = await registered({ redirect_uris: ['https://app.example/cb'] });
    assert.equal((await resolver.resolve(id)).name, 'Unnamed client');
  });

  it('refuses a tampered client id as invalid_client', async () => {
    const id = await registered({ redirect_uris: ['https://app.example/cb'] });
    const [h, , s] = id.split('.');
    const payload = Buffer.from(JSON.stringify({ redirect_uris: ['https://evil.example/cb'], iat: 1 }));
    await rejectsWith(
      () => resolver.resolve(`${h}.${payload.toString('base64url')}.${s}`),
      'invalid_client',
      /register/,
    );
  });

  it('refuses a client id signed under another key as invalid_client', async () => {
    const id = await registered({ redirect_uris: ['https://app.example/cb'] }, newRing());
    await rejectsWith(() => resolver.resolve(id), 'invalid_client');
  });

  it('refuses a consent cookie presented as a client id', async () => {
    const consent = await keys.sign('consent', { redirect_uris: ['https://evil.example/cb'] });
    await rejectsWith(() => resolver.resolve(consent), 'invalid_client');
  });

  it('refuses an unknown client id as invalid_client', async () => {
    await rejectsWith(() => resolver.resolve('aebc6443-996d-45c2-90f0-388ff96faa56'), 'invalid_client');
  });

  for (const id of [null, undefined, '']) {
    it(`refuses ${JSON.stringify(id) ?? 'undefined'} as invalid_request`, async () => {
      await rejectsWith(() => resolver.resolve(id), 'invalid_request', /client_id/);
    });
  }

  it('refuses an https client id that is no metadata document URL, without fetching it', async () => {
    await rejectsWith(
      () => resolver.resolve('https://client.example.com/m.json?x=1'),
      'invalid_client',
      /https/,
    );
  });
});

describe('ClientResolver: metadata documents', () => {
  let docs: Awaited<ReturnType<typeof startDocumentServer>>;
  const clock = { t: 1_800_000_000_000 };
  let resolver: ClientResolver;
  let counter = 0;

  before(async () => {
    const caDir = process.env.EMULATOR_CA_DIR;
    assert.ok(caDir, 'EMULATOR_CA_DIR is set by scripts/test.mjs');
    docs = await startDocumentServer(caDir);
  });
  after(() => docs.stop());
  beforeEach(() => {
    resolver = new ClientResolver({
      keys: () => Promise.resolve(newRing()),
      fetch: { allowLoopback: true },
      now: () => clock.t,
    });
  });

  /** A fresh document URL on the server, serving `metadata` (its own client_id by default) with `headers`. */
  function serve(headers: Record<string, string> = {}, metadata?: (url: string) => unknown): string {
    const path = `/clients/${++counter}/metadata.json`;
    const url = `${docs.origin}${path}`;
    docs.routes.set(path, { body: metadata ? metadata(url) : validMetadata(url), headers });
    return url;
  }

  const fetchesOf = (url: string) => docs.requests.filter((r) => r === new URL(url).pathname).length;

  it('fetches the document over https and describes its client', async () => {
    const url = serve();
    const client = await resolver.resolve(url);
    assert.equal(client.id, url);
    assert.equal(client.kind, 'metadata-document');
    assert.equal(client.name, 'Example MCP Client');
    assert.equal(fetchesOf(url), 1);
  });

  it('keeps a document for its Cache-Control max-age: the second resolve makes no request', async () => {
    const url = serve({ 'cache-control': 'public, max-age=600' });
    await resolver.resolve(url);
    clock.t += 599_000;
    await resolver.resolve(url);
    assert.equal(fetchesOf(url), 1);
    clock.t += 2_000;
    await resolver.resolve(url);
    assert.equal(fetchesOf(url), 2);
  });

  it('keeps a document without Cache-Control for a few minutes, not forever', async () => {
    const url = serve();
    await resolver.resolve(url);
    clock.t += 60_000;
    await resolver.resolve(url);
    assert.equal(fetchesOf(url), 1);
    clock.t += 24 * 3600_000;
    await resolver.resolve(url);
    assert.equal(fetchesOf(url), 2);
  });

  for (const directive of ['no-store', 'no-cache', 'private, max-age=600']) {
    it(`fetches a document with Cache-Control: ${directive} every time`, async () => {
      const url = serve({ 'cache-control': directive });
      await resolver.resolve(url);
      await resolver.resolve(url);
      assert.equal(fetchesOf(url), 2);
    });
  }

  it('caps a huge max-age: a document is fetched again within a few days', async () => {
    const url = serve({ 'cache-control': 'max-age=315360000' });
    await resolver.resolve(url);
    clock.t += 7 * 24 * 3600_000;
    await resolver.resolve(url);
    assert.equal(fetchesOf(url), 2);
  });

  it('shares one fetch among concurrent resolves', async () => {
    const url = serve({ 'cache-control': 'max-age=600' });
    const clients = await Promise.all(Array.from({ length: 8 }, () => resolver.resolve(url)));
    assert.ok(clients.every((c) => c.id === url));
    assert.equal(fetchesOf(url), 1);
  });

  it('fetches at most 8 documents at once: beyond, temporarily_unavailable at once', async () => {
    // A name server that never answers: each fetch waits for its 5 s budget.
    const hanging = new ClientResolver({
      keys: () => Promise.resolve(newRing()),
      fetch: { lookup: (() => undefined) as never },
    });
    const stuck = Array.from({ length: 8 }, (_, i) =>
      hanging.resolve(`https://hang-${i}.example/m.json`).then(
        () => 'resolved',
        (e: unknown) => (e instanceof OAuthProxyError ? e.code : 'other'),
      ),
    );
    await rejectsWith(() => hanging.resolve('https://one-more.example/m.json'), 'temporarily_unavailable');
    assert.deepEqual(new Set(await Promise.all(stuck)), new Set(['invalid_client']), 'the 8 time out');
  });

  it('does not cache a failed fetch', async () => {
    const url = serve({ 'cache-control': 'max-age=600' });
    const path = new URL(url).pathname;
    const good = docs.routes.get(path);
    docs.routes.delete(path);
    await rejectsWith(() => resolver.resolve(url), 'invalid_client', /did not answer 200/);
    assert.ok(good);
    docs.routes.set(path, good);
    assert.equal((await resolver.resolve(url)).id, url);
    assert.equal(fetchesOf(url), 2);
  });

  it('does not cache an unusable document', async () => {
    const url = serve({ 'cache-control': 'max-age=600' }, () =>
      validMetadata('https://impostor.example/m.json'),
    );
    await rejectsWith(() => resolver.resolve(url), 'invalid_client', /client_id/);
    docs.routes.set(new URL(url).pathname, {
      body: validMetadata(url),
      headers: { 'cache-control': 'max-age=600' },
    });
    assert.equal((await resolver.resolve(url)).id, url);
    assert.equal(fetchesOf(url), 2);
  });

  it('refuses a document the server answers with a redirect', async () => {
    const url = serve();
    docs.routes.set(new URL(url).pathname, {
      status: 302,
      body: '',
      headers: { location: `${docs.origin}/elsewhere.json` },
    });
    await rejectsWith(() => resolver.resolve(url), 'invalid_client', /redirect/);
  });

  it('refuses a loopback document unless loopback is allowed, without a request', async () => {
    const url = serve();
    const strict = new ClientResolver({ keys: () => Promise.resolve(newRing()), fetch: {} });
    await rejectsWith(() => strict.resolve(url), 'invalid_client', /not public/);
    assert.equal(fetchesOf(url), 0);
  });
});
