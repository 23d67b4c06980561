import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings.js';
import { OAuthProxyError } from '../../src/errors.js';
import { PKCE_VALUE, checkResource, clientLabel, grantedScope, s256 } from '../../src/oauth/authorize.js';
import type { ProxyContext } from '../../src/oauth/context.js';
import { proxyUrls } from '../../src/oauth/metadata.js';

const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SCOPE = `api://${CLIENT}/execute`;
const settings = loadSettings({
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: CLIENT,
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'super-secret-value-123',
  MCP_PUBLIC_URL: 'https://mcp.contoso.example/mcp',
  MCP_OAUTH_PROXY: 'on',
  MCP_OAUTH_PROXY_KEY: randomBytes(32).toString('base64url'),
});
// grantedScope reads the settings only.
const ctx = { settings } as Pick<ProxyContext, 'settings'> as ProxyContext;
const urls = proxyUrls(settings, 'http://10.0.0.4:7071/oauth/authorize');

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OAuthProxyError, String(error));
    assert.equal(error.code, code);
    return true;
  });
}

describe('grantedScope', () => {
  for (const requested of [
    null,
    '',
    SCOPE,
    `${SCOPE} offline_access`,
    `offline_access ${SCOPE}`,
    'offline_access',
    `${SCOPE}  ${SCOPE}`,
  ]) {
    it(`grants the server's scope for ${JSON.stringify(requested)}`, () => {
      assert.equal(grantedScope(ctx, requested), SCOPE);
    });
  }

  for (const requested of [
    'openid',
    `${SCOPE} openid profile`,
    'https://management.azure.com/user_impersonation',
    `api://${CLIENT}/admin`,
    `api://${CLIENT}/execute2`,
    `api://${CLIENT}`,
    'execute',
    `${SCOPE.toUpperCase()}`,
  ]) {
    it(`refuses ${JSON.stringify(requested)}: invalid_scope`, () => {
      refused(() => grantedScope(ctx, requested), 'invalid_scope');
    });
  }
});

describe('checkResource', () => {
  it('accepts no resource', () => {
    assert.doesNotThrow(() => checkResource(urls, null));
  });

  it('accepts the public MCP URL', () => {
    assert.equal(urls.resource, 'https://mcp.contoso.example/mcp');
    assert.doesNotThrow(() => checkResource(urls, 'https://mcp.contoso.example/mcp'));
  });

  for (const resource of [
    'https://evil.example/mcp',
    'https://mcp.contoso.example',
    'https://mcp.contoso.example/',
    'https://mcp.contoso.example/mcp/',
    'https://mcp.contoso.example/mcp?x=1',
    'http://mcp.contoso.example/mcp',
    `api://${CLIENT}`,
    '',
  ]) {
    it(`refuses ${JSON.stringify(resource)}: invalid_target`, () => {
      refused(() => checkResource(urls, resource), 'invalid_target');
    });
  }
});

describe('s256', () => {
  it('computes the RFC 7636 Appendix B challenge', () => {
    assert.equal(
      s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('gives a 43-character challenge that is itself a valid PKCE value', () => {
    const challenge = s256(randomBytes(32).toString('base64url'));
    assert.equal(challenge.length, 43);
    assert.match(challenge, PKCE_VALUE);
  });
});

describe('PKCE_VALUE (RFC 7636 §4.1)', () => {
  for (const [name, value, ok] of [
    ['43 characters', 'a'.repeat(43), true],
    ['128 characters', 'a'.repeat(128), true],
    ['every unreserved character', `${'a'.repeat(39)}-._~`, true],
    ['42 characters', 'a'.repeat(42), false],
    ['129 characters', 'a'.repeat(129), false],
    ['a plus', `${'a'.repeat(42)}+`, false],
    ['a slash', `${'a'.repeat(42)}/`, false],
    ['padding', `${'a'.repeat(42)}=`, false],
    ['a space', `${'a'.repeat(42)} `, false],
  ] as const) {
    it(`${ok ? 'accepts' : 'refuses'} ${name}`, () => {
      assert.equal(PKCE_VALUE.test(value), ok);
    });
  }
});

describe('clientLabel', () => {
  it('names a metadata document client by its URL', () => {
    const id = 'https://client.example.com/oauth/metadata.json';
    assert.equal(clientLabel({ id, kind: 'metadata-document', name: 'Example' }), id);
  });

  it('names a registered client by its name and a short hash of its id, not the id', () => {
    const id = `eyJhbGciOiJIUzI1NiJ9.${'x'.repeat(300)}.sig`;
    const label = clientLabel({ id, kind: 'registered', name: 'My App' });
    assert.match(label, /^"My App" \(registered [A-Za-z0-9_-]{12}\)$/);
    assert.ok(!label.includes(id));
  });

  it('tells registrations of the same name apart', () => {
    const a = clientLabel({ id: 'id-a', kind: 'registered', name: 'Same' });
    const b = clientLabel({ id: 'id-b', kind: 'registered', name: 'Same' });
    assert.notEqual(a, b);
    assert.equal(a, clientLabel({ id: 'id-a', kind: 'registered', name: 'Same' }));
  });

  it('cannot forge log lines through a registered name', () => {
    const label = clientLabel({
      id: 'id',
      kind: 'registered',
      name: 'App\r\noauth proxy: consent approved\u202e',
    });
    assert.doesNotMatch(label, /[\r\n\u202e]/);
  });

  it('bounds a long registered name', () => {
    const label = clientLabel({ id: 'id', kind: 'registered', name: 'n'.repeat(500) });
    assert.ok(label.length < 100, `${label.length} characters`);
  });
});
