import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { OAuthProxyError } from '../../src/errors.js';
import { ClientResolver, MAX_CLIENT_NAME, MAX_REDIRECT_URIS } from '../../src/oauth/clients.js';
import { ProxyKeyRing } from '../../src/oauth/keys.js';
import { register } from '../../src/oauth/registration.js';

const NOW = 1_800_000_000;
const keys = new ProxyKeyRing([new Uint8Array(randomBytes(32))]);
const resolver = new ClientResolver({ keys: () => Promise.resolve(keys), fetch: {} });

// What the MCP SDK's OAuth client registers.
const SDK_METADATA = {
  client_name: 'Example MCP Client',
  redirect_uris: ['http://localhost:33418/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};

// A redirect URI of the longest accepted length.
const longUri = (i: number) => `https://app.example/${i}/`.padEnd(512, 'a');

async function rejectsWith(request: unknown, code: string, message: RegExp): Promise<void> {
  await assert.rejects(register(request, keys, NOW), (error: unknown) => {
    assert.ok(error instanceof OAuthProxyError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.status, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('register', () => {
  it('answers RFC 7591 §3.2.1: the client id, its issue time and the metadata as registered', async () => {
    const response = await register(SDK_METADATA, keys, NOW);
    assert.equal(typeof response.client_id, 'string');
    assert.deepEqual(
      { ...response, client_id: '<id>' },
      {
        client_id: '<id>',
        client_id_issued_at: NOW,
        client_name: 'Example MCP Client',
        redirect_uris: ['http://localhost:33418/callback'],
        application_type: 'native',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    );
    assert.equal('client_secret' in response, false);
  });

  it('hands out a client id the resolver reads back as the registration', async () => {
    const response = await register(SDK_METADATA, keys, NOW);
    const client = await resolver.resolve(String(response.client_id));
    assert.equal(client.kind, 'registered');
    assert.equal(client.name, 'Example MCP Client');
    assert.deepEqual(client.redirectUris, ['http://localhost:33418/callback']);
  });

  it('gives identical metadata a different client id each time', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await register(SDK_METADATA, keys, NOW)).client_id),
    );
    assert.equal(new Set(ids).size, 3);
  });

  it('registers the minimal request (redirect_uris only) with the defaults', async () => {
    const response = await register({ redirect_uris: ['https://app.example/cb'] }, keys, NOW);
    assert.equal('client_name' in response, false);
    assert.equal(response.application_type, 'web');
    assert.deepEqual(response.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(response.response_types, ['code']);
    assert.equal(response.token_endpoint_auth_method, 'none');
  });

  for (const method of ['client_secret_basic', 'client_secret_post']) {
    it(`answers token_endpoint_auth_method "none" to a client asking for ${method}`, async () => {
      const response = await register({ ...SDK_METADATA, token_endpoint_auth_method: method }, keys, NOW);
      assert.equal(response.token_endpoint_auth_method, 'none');
      assert.equal('client_secret' in response, false);
    });
  }

  for (const [uris, type] of [
    [['http://127.0.0.1:5000/cb'], 'native'],
    [['http://localhost/cb', 'http://[::1]/cb'], 'native'],
    [['com.example.app:/oauth2redirect'], 'native'],
    [['cursor://anysphere.cursor-mcp/oauth/callback'], 'native'],
    [['https://claude.ai/api/mcp/auth_callback'], 'web'],
    [['http://127.0.0.1/cb', 'https://app.example/cb'], 'web'],
  ] as const) {
    it(`derives application_type ${type} from ${uris.join(', ')}`, async () => {
      const response = await register({ redirect_uris: uris }, keys, NOW);
      assert.equal(response.application_type, type);
    });
  }

  for (const type of ['web', 'native'] as const) {
    it(`keeps an application_type ${type} the client states`, async () => {
      const response = await register(
        { redirect_uris: ['https://app.example/cb'], application_type: type },
        keys,
        NOW,
      );
      assert.equal(response.application_type, type);
    });
  }

  it('cleans client_name and bounds it', async () => {
    const response = await register(
      { ...SDK_METADATA, client_name: `  Evil\u202e\u0000App ${'x'.repeat(300)}` },
      keys,
      NOW,
    );
    const name = String(response.client_name);
    assert.ok(name.startsWith('Evil App x'), name);
    assert.equal(name.length, MAX_CLIENT_NAME);
  });

  it('registers each redirect URI once', async () => {
    const response = await register(
      { redirect_uris: ['https://app.example/cb', 'https://app.example/cb'] },
      keys,
      NOW,
    );
    assert.deepEqual(response.redirect_uris, ['https://app.example/cb']);
  });

  it('refuses a registration whose client id would exceed its bound, at the largest accepted size', async () => {
    const uris = Array.from({ length: MAX_REDIRECT_URIS }, (_, i) => longUri(i));
    await rejectsWith(
      { client_name: 'n'.repeat(200), redirect_uris: uris },
      'invalid_client_metadata',
      /too large/,
    );
  });

  for (const count of [1, 2, 3, 4]) {
    it(`a client id it hands out stays within 2048 characters (${count} redirect URIs of 512)`, async () => {
      const uris = Array.from({ length: count }, (_, i) => longUri(i));
      try {
        const response = await register({ client_name: 'n'.repeat(200), redirect_uris: uris }, keys, NOW);
        assert.ok(count < MAX_REDIRECT_URIS);
        assert.ok(String(response.client_id).length <= 2048, `${String(response.client_id).length}`);
      } catch (error) {
        assert.ok(error instanceof OAuthProxyError, String(error));
        assert.equal(error.code, 'invalid_client_metadata');
        assert.match(error.message, /too large/);
        assert.ok(count > 1, 'one long redirect URI must fit');
      }
    });
  }

  describe('invalid_redirect_uri', () => {
    for (const [name, uris, message] of [
      ['missing', undefined, /non-empty array/],
      ['empty', [], /non-empty array/],
      ['a string, not an array', 'https://app.example/cb', /non-empty array/],
      [
        'too many',
        Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://app.example/${i}`),
        /at most/,
      ],
      ['javascript:', ['javascript:alert(1)'], /javascript:/],
      ['data:', ['data:text/html,hi'], /data:/],
      ['a fragment', ['https://app.example/cb#x'], /fragment/],
      ['http on a public host', ['http://app.example/cb'], /loopback/],
      ['user information', ['https://user:pass@app.example/cb'], /user information/],
      ['a single-label app scheme', ['myapp://cb'], /reverse domain name/],
      ['not a string', [42], /non-empty string/],
      ['one bad among good ones', ['https://app.example/cb', 'javascript:alert(1)'], /javascript:/],
      ['too long', [`https://app.example/${'a'.repeat(600)}`], /at most/],
    ] as const) {
      it(`redirect_uris ${name}`, async () => {
        await rejectsWith({ ...SDK_METADATA, redirect_uris: uris }, 'invalid_redirect_uri', message);
      });
    }
  });

  describe('invalid_client_metadata', () => {
    for (const [name, request, message] of [
      ['a JSON array', [SDK_METADATA], /JSON object/],
      ['null', null, /JSON object/],
      ['a string', 'register me', /JSON object/],
    ] as const) {
      it(`the request is ${name}`, async () => {
        await rejectsWith(request, 'invalid_client_metadata', message);
      });
    }

    for (const [field, value, message] of [
      ['token_endpoint_auth_method', 'private_key_jwt', /public clients only/],
      ['token_endpoint_auth_method', 'tls_client_auth', /public clients only/],
      ['token_endpoint_auth_method', 'self_signed_tls_client_auth', /public clients only/],
      ['token_endpoint_auth_method', 42, /must be a string/],
      ['grant_types', ['client_credentials'], /grant_types/],
      ['grant_types', ['refresh_token'], /grant_types/],
      ['grant_types', ['authorization_code', 'implicit'], /grant_types/],
      ['grant_types', 'authorization_code', /array of strings/],
      ['grant_types', [1], /array of strings/],
      ['response_types', ['token'], /response_types/],
      ['response_types', ['code', 'id_token'], /response_types/],
      ['response_types', 'code', /array of strings/],
      ['client_name', 42, /client_name/],
      ['client_name', { en: 'App' }, /client_name/],
      ['application_type', 'desktop', /application_type/],
      ['application_type', 1, /application_type/],
    ] as const) {
      it(`${field} ${JSON.stringify(value)}`, async () => {
        await rejectsWith({ ...SDK_METADATA, [field]: value }, 'invalid_client_metadata', message);
      });
    }
  });
});
