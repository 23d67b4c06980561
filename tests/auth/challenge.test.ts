import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { challengeFor } from '../../src/auth/challenge.js';
import type { Challenge } from '../../src/auth/challenge.js';
import { loadSettings } from '../../src/config/settings.js';
import { ArmError, MetadataUnavailableError, OboError, TokenError } from '../../src/errors.js';

const settings = loadSettings({
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'x',
});
const URL_ = 'https://app.example.test/mcp';

function challenge(error: unknown): Challenge {
  const c = challengeFor(error, settings, URL_);
  assert.ok(c, 'a challenge');
  return c;
}

describe('challenges', () => {
  it('401 without error code when no token was sent', () => {
    const c = challenge(new TokenError('token_missing', 'm'));
    assert.equal(c.status, 401);
    assert.equal(
      c.headers['WWW-Authenticate'],
      'Bearer resource_metadata="https://app.example.test/.well-known/oauth-protected-resource/mcp", scope="api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute"',
    );
  });

  it('401 invalid_token for a bad token', () => {
    const c = challenge(new TokenError('token_expired', 'm'));
    assert.equal(c.status, 401);
    assert.match(
      c.headers['WWW-Authenticate'] ?? '',
      /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="[^"]+"$/,
    );
    assert.equal(c.body.error, 'invalid_token');
  });

  it('403 insufficient_scope for a token without the scope', () => {
    const c = challenge(new TokenError('insufficient_scope', 'm'));
    assert.equal(c.status, 403);
    assert.match(c.headers['WWW-Authenticate'] ?? '', /error="insufficient_scope"/);
  });

  it('403 invalid_token naming a client app that is not allowed (no re-authentication loop)', () => {
    const app = '0e7e0000-0000-4000-8000-000000000001';
    const c = challenge(new TokenError('client_not_allowed', 'm', { clientAppId: app }));
    assert.equal(c.status, 403);
    assert.equal(
      c.headers['WWW-Authenticate'],
      `Bearer error="invalid_token", error_description="Client application ${app} is not allowed to call this API; use an allowed client, or ask the operator to allow this one.", resource_metadata="https://app.example.test/.well-known/oauth-protected-resource/mcp", scope="api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute"`,
    );
    assert.equal(c.body.error, 'invalid_token');
    assert.match(c.body.error_description, new RegExp(`Client application ${app} is not allowed`));
  });

  for (const [what, clientAppId] of [
    ['without a client app id', undefined],
    ['with a non-GUID id, not echoed', 'x", evil="1\r\nSet-Cookie: a=b'],
  ] as const) {
    it(`403 for a token ${what}`, () => {
      const c = challenge(new TokenError('client_not_allowed', 'm', { clientAppId }));
      assert.equal(c.status, 403);
      assert.match(c.body.error_description, /^The client application of this token is not allowed/);
      assert.ok(!(c.headers['WWW-Authenticate'] ?? '').includes('evil'));
    });
  }

  it('503 with Retry-After when signing keys are unavailable', () => {
    const c = challenge(new MetadataUnavailableError('x'));
    assert.equal(c.status, 503);
    assert.equal(c.headers['Retry-After'], '5');
  });
});

describe('On-Behalf-Of challenges', () => {
  const CLAIMS = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
  const B64 = Buffer.from(CLAIMS).toString('base64');
  const TAIL =
    'resource_metadata="https://app.example.test/.well-known/oauth-protected-resource/mcp", scope="api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute"';

  it('interaction_required with claims → 401 insufficient_claims carrying the base64 claims', () => {
    const error = new OboError('interaction_required', 'm', { claims: CLAIMS, aadsts: 50076 });
    const c = challenge(error);
    assert.equal(c.status, 401);
    assert.equal(
      c.headers['WWW-Authenticate'],
      `Bearer error="insufficient_claims", error_description="${c.body.error_description}", claims="${B64}", authorization_uri="https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/authorize", ${TAIL}`,
    );
    assert.equal(c.body.error, 'insufficient_claims');
    assert.equal(Buffer.from(B64, 'base64').toString(), CLAIMS, 'standard, padded base64 of the JSON');
  });

  it('invalid_grant with claims → 401 insufficient_claims', () => {
    const c = challenge(new OboError('invalid_grant', 'm', { claims: CLAIMS }));
    assert.equal(c.status, 401);
    assert.match(c.headers['WWW-Authenticate'] ?? '', /error="insufficient_claims"/);
  });

  it('invalid_grant without claims → 401 invalid_token with the usual challenge', () => {
    const c = challenge(new OboError('invalid_grant', 'm', { aadsts: 50173 }));
    assert.equal(c.status, 401);
    assert.equal(
      c.headers['WWW-Authenticate'],
      `Bearer error="invalid_token", error_description="${c.body.error_description}", ${TAIL}`,
    );
    assert.ok(!(c.headers['WWW-Authenticate'] ?? '').includes('claims='));
  });

  for (const error of [
    new OboError('consent_required', 'm'),
    new OboError('interaction_required', 'm'),
    new OboError('obo_unavailable', 'm'),
    new OboError('obo_throttled', 'm', { retryAfterSec: 5 }),
    new OboError('invalid_client', 'm'),
    new ArmError('arm_unauthorized', 'm'),
    new Error('x'),
  ]) {
    it(`no challenge for ${'code' in error ? String(error.code) : 'an unexpected error'}: it stays a tool error`, () => {
      assert.equal(challengeFor(error, settings, URL_), undefined);
    });
  }
});

describe('with ENTRA_APP_ID_URI set', () => {
  const aligned = loadSettings({
    ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
    ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    ENTRA_APP_ID_URI: 'https://app.example.test/mcp',
    MCP_PUBLIC_URL: 'https://app.example.test/mcp',
    OBO_CREDENTIAL: 'secret',
    OBO_CLIENT_SECRET: 'x',
  });

  for (const code of ['token_missing', 'token_expired', 'insufficient_scope'] as const) {
    it(`${code}: the challenge scope lives under the Application ID URI`, () => {
      const c = challengeFor(new TokenError(code, 'm'), aligned, URL_);
      assert.match(
        c?.headers['WWW-Authenticate'] ?? '',
        /scope="https:\/\/app\.example\.test\/mcp\/execute"$/,
      );
    });
  }
});
