// jose verifies emulator-issued user tokens through OpenID discovery, as the server does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';

let emu: Emulator;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.stop();
});

async function discover(path: string): Promise<{ issuer: string; jwks_uri: string; token_endpoint: string }> {
  const res = await fetch(`${emu.entraUrl}/${path}`);
  assert.equal(res.status, 200);
  return (await res.json()) as { issuer: string; jwks_uri: string; token_endpoint: string };
}

describe('emulator discovery and JWKS', () => {
  it('v2 token verifies via v2 discovery + JWKS', async () => {
    const doc = await discover(`${emu.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(doc.issuer, `${emu.entraUrl}/${emu.tenantId}/v2.0`);
    assert.equal(doc.jwks_uri, `${emu.entraUrl}/${emu.tenantId}/discovery/v2.0/keys`);
    assert.equal(doc.token_endpoint, `${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/token`);
    const token = await emu.issueUserToken({ user: 'bob@contoso.example' });
    assert.equal(decodeProtectedHeader(token).kid, emu.keyId);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(doc.jwks_uri)), {
      issuer: doc.issuer,
      audience: emu.clientId,
      algorithms: ['RS256'],
    });
    assert.equal(payload.ver, '2.0');
    assert.equal(payload.scp, 'execute');
    assert.equal(payload.oid, emu.users[1]?.oid);
    assert.equal(payload.tid, emu.tenantId);
    assert.equal(payload.preferred_username, 'bob@contoso.example');
  });

  it('v1 token verifies via v1 discovery + JWKS', async () => {
    const doc = await discover(`${emu.tenantId}/.well-known/openid-configuration`);
    assert.equal(doc.issuer, `https://sts.windows.net/${emu.tenantId}/`);
    assert.equal(doc.jwks_uri, `${emu.entraUrl}/${emu.tenantId}/discovery/keys`);
    const token = await emu.issueUserToken({ version: 1 });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(doc.jwks_uri)), {
      issuer: doc.issuer,
      audience: `api://${emu.clientId}`,
    });
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.upn, 'alice@contoso.example');
    assert.equal(payload.appid, emu.clientId);
  });

  it('JWKS entries look like Entra keys', async () => {
    const res = await fetch(`${emu.entraUrl}/${emu.tenantId}/discovery/v2.0/keys`);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    const key = keys[0] ?? {};
    assert.equal(key.kty, 'RSA');
    assert.equal(key.use, 'sig');
    assert.equal(key.kid, emu.keyId);
    assert.equal(key.x5t, emu.keyId);
    assert.ok(Array.isArray(key.x5c) && key.x5c.length === 1);
    assert.equal(key.issuer, `${emu.entraUrl}/${emu.tenantId}/v2.0`);
  });

  const JOSE_REJECTS: [string, Parameters<Emulator['issueUserToken']>[0], string][] = [
    ['an expired token', { expiresInSec: -60 }, 'ERR_JWT_EXPIRED'],
    ['a not-yet-valid token', { notBeforeSec: 600 }, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['a token for another audience', { audience: 'api://other' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
  ];
  for (const [why, claims, code] of JOSE_REJECTS) {
    it(`jose rejects ${why}`, async () => {
      const jwks = createRemoteJWKSet(new URL(`${emu.entraUrl}/${emu.tenantId}/discovery/v2.0/keys`));
      const opts = { issuer: `${emu.entraUrl}/${emu.tenantId}/v2.0`, audience: emu.clientId };
      await assert.rejects(jwtVerify(await emu.issueUserToken(claims), jwks, opts), { code });
    });
  }

  it('a token issued at a fixed time verifies at that time', async () => {
    const jwks = createRemoteJWKSet(new URL(`${emu.entraUrl}/${emu.tenantId}/discovery/v2.0/keys`));
    const opts = { issuer: `${emu.entraUrl}/${emu.tenantId}/v2.0`, audience: emu.clientId };
    const frozen = await emu.issueUserToken({ now: 1_700_000_000, expiresInSec: 600 });
    const { payload } = await jwtVerify(frozen, jwks, { ...opts, currentDate: new Date(1_700_000_100_000) });
    assert.equal(payload.iat, 1_700_000_000);
  });

  it('tenant aliases, unknown tenants and counts', async () => {
    emu.resetCounts();
    const org = await discover('organizations/v2.0/.well-known/openid-configuration');
    assert.equal(org.issuer, `${emu.entraUrl}/{tenantid}/v2.0`);
    const res = await fetch(
      `${emu.entraUrl}/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; error_codes: number[]; error_description: string };
    assert.equal(body.error, 'invalid_tenant');
    assert.deepEqual(body.error_codes, [90002]);
    assert.match(body.error_description, /^AADSTS90002: .* Trace ID: .* Correlation ID: .* Timestamp: /);
    await discover(`${emu.tenantId}/.well-known/openid-configuration`);
    await fetch(`${emu.entraUrl}/${emu.tenantId}/discovery/keys`);
    assert.deepEqual(emu.counts(), { 'entra.discovery.v1': 1, 'entra.discovery.v2': 2, 'entra.jwks': 1 });
  });
});
