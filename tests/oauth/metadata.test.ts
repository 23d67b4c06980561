import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { protectedResourceMetadata } from '../../src/auth/resource.js';
import { loadSettings } from '../../src/config/settings.js';
import { authorizationServerMetadata, proxyScope, proxyUrls } from '../../src/oauth/metadata.js';

const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const BASE = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: CLIENT,
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'super-secret-value-123',
  MCP_OAUTH_PROXY: 'on',
  MCP_OAUTH_PROXY_KEY: randomBytes(32).toString('base64url'),
};

function settings(env: Record<string, string> = {}) {
  return loadSettings({ ...BASE, ...env });
}

describe('authorizationServerMetadata', () => {
  const metadata = authorizationServerMetadata(settings(), 'http://127.0.0.1:7071/mcp');

  // Issue 15, Deliver 1: the fields and values the metadata must hold.
  for (const [field, value] of [
    ['issuer', 'http://127.0.0.1:7071'],
    ['response_types_supported', ['code']],
    ['grant_types_supported', ['authorization_code', 'refresh_token']],
    ['code_challenge_methods_supported', ['S256']],
    ['token_endpoint_auth_methods_supported', ['none']],
    ['client_id_metadata_document_supported', true],
    ['authorization_response_iss_parameter_supported', true],
    ['scopes_supported', [`api://${CLIENT}/execute`]],
  ] as const) {
    it(`${field}: ${JSON.stringify(value)}`, () => {
      assert.deepEqual(metadata[field], value);
    });
  }

  for (const field of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint']) {
    it(`${field} is a URL on the issuer`, () => {
      const url = new URL(String(metadata[field]));
      assert.equal(url.origin, metadata.issuer);
      assert.notEqual(url.pathname, '/');
      assert.equal(url.search + url.hash, '');
    });
  }

  it('puts each endpoint at its own path', () => {
    const endpoints = ['authorization_endpoint', 'token_endpoint', 'registration_endpoint'].map(
      (f) => metadata[f],
    );
    assert.equal(new Set(endpoints).size, 3);
  });

  it('announces nothing it does not support (no implicit flow, no client secrets, no plain PKCE)', () => {
    const text = JSON.stringify(metadata);
    for (const unsupported of ['token id_token', 'implicit', 'client_secret', '"plain"', 'password']) {
      assert.ok(!text.includes(unsupported), unsupported);
    }
  });

  it('takes the issuer from MCP_PUBLIC_URL, not from the request', () => {
    const s = settings({ MCP_PUBLIC_URL: 'https://mcp.contoso.example/mcp' });
    const m = authorizationServerMetadata(s, 'http://10.0.0.4:8080/mcp');
    assert.equal(m.issuer, 'https://mcp.contoso.example');
    assert.equal(
      m.token_endpoint,
      `https://mcp.contoso.example${new URL(String(m.token_endpoint)).pathname}`,
    );
  });

  it('keeps the port of MCP_PUBLIC_URL in the issuer', () => {
    const s = settings({ MCP_PUBLIC_URL: 'https://mcp.contoso.example:8443/mcp' });
    assert.equal(
      authorizationServerMetadata(s, 'http://localhost/mcp').issuer,
      'https://mcp.contoso.example:8443',
    );
  });

  for (const [name, publicUrl, requestUrl, issuer] of [
    [
      'the request origin without MCP_PUBLIC_URL',
      undefined,
      'https://app.azurewebsites.net/mcp',
      'https://app.azurewebsites.net',
    ],
    [
      'MCP_PUBLIC_URL with a trailing slash',
      'https://mcp.contoso.example/mcp/',
      'http://x/mcp',
      'https://mcp.contoso.example',
    ],
    [
      'MCP_PUBLIC_URL at the root',
      'https://mcp.contoso.example/',
      'http://x/mcp',
      'https://mcp.contoso.example',
    ],
  ] as const) {
    it(`has an issuer without a trailing slash: ${name}`, () => {
      const s = settings(publicUrl ? { MCP_PUBLIC_URL: publicUrl } : {});
      const m = authorizationServerMetadata(s, requestUrl);
      assert.equal(m.issuer, issuer);
      assert.ok(!String(m.issuer).endsWith('/'));
    });
  }

  it('names the issuer the Protected Resource Metadata points at', () => {
    for (const s of [settings(), settings({ MCP_PUBLIC_URL: 'https://mcp.contoso.example/mcp' })]) {
      const requestUrl = 'https://app.azurewebsites.net/mcp';
      const prm = protectedResourceMetadata(s, requestUrl);
      assert.deepEqual(prm.authorization_servers, [authorizationServerMetadata(s, requestUrl).issuer]);
      assert.deepEqual(prm.scopes_supported, authorizationServerMetadata(s, requestUrl).scopes_supported);
    }
  });

  it('announces the scope under ENTRA_APP_ID_URI with ENTRA_REQUIRED_SCOPE', () => {
    // The aligned setup: ENTRA_APP_ID_URI = MCP_PUBLIC_URL.
    const s = settings({
      ENTRA_APP_ID_URI: 'https://mcp.contoso.example/mcp',
      MCP_PUBLIC_URL: 'https://mcp.contoso.example/mcp',
      ENTRA_REQUIRED_SCOPE: 'tools.call',
    });
    assert.deepEqual(authorizationServerMetadata(s, 'http://x/mcp').scopes_supported, [
      'https://mcp.contoso.example/mcp/tools.call',
    ]);
    assert.equal(proxyScope(s), 'https://mcp.contoso.example/mcp/tools.call');
  });
});

describe('proxyUrls', () => {
  it('the resource is the public MCP URL, the callback /oauth/callback on the issuer', () => {
    const s = settings({ MCP_PUBLIC_URL: 'https://mcp.contoso.example/mcp' });
    assert.deepEqual(proxyUrls(s, 'http://10.0.0.4/mcp'), {
      issuer: 'https://mcp.contoso.example',
      resource: 'https://mcp.contoso.example/mcp',
      callback: 'https://mcp.contoso.example/oauth/callback',
    });
  });

  it('follows the request without MCP_PUBLIC_URL', () => {
    assert.deepEqual(proxyUrls(settings(), 'http://127.0.0.1:7071/oauth/authorize?x=1'), {
      issuer: 'http://127.0.0.1:7071',
      resource: 'http://127.0.0.1:7071/mcp',
      callback: 'http://127.0.0.1:7071/oauth/callback',
    });
  });
});
