import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import type { AccountInfo } from '@azure/msal-node';
import { pickAccount, signIn } from '../../cli/sign-in.js';

const CLIENT = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'obo-client-sign-in-'))));
after(async () => rm(dir, { recursive: true, force: true }));

describe('silent sign-in', () => {
  const TENANT = '7a1c2b3d-0e4f-4a5b-8c6d-9e0f1a2b3c4d';
  const OID = '11111111-2222-4333-8444-555555555555';
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  /** An MSAL cache as MSAL writes it after a public-cloud sign-in: everything under login.windows.net. */
  function publicCloudCache(scope: string): string {
    const env = 'login.windows.net';
    const home = `${OID}.${TENANT}`;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: CLIENT,
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: 'Alice',
      oid: OID,
      preferred_username: 'alice@contoso.example',
      sub: 'subject',
      tid: TENANT,
      ver: '2.0',
    };
    return JSON.stringify({
      Account: {
        [`${home}-${env}-${TENANT}`]: {
          home_account_id: home,
          environment: env,
          realm: TENANT,
          local_account_id: OID,
          username: 'alice@contoso.example',
          authority_type: 'MSSTS',
          name: 'Alice',
        },
      },
      IdToken: {
        [`${home}-${env}-idtoken-${CLIENT}-${TENANT}---`]: {
          home_account_id: home,
          environment: env,
          credential_type: 'IdToken',
          client_id: CLIENT,
          secret: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.sig`,
          realm: TENANT,
        },
      },
      AccessToken: {
        [`${home}-${env}-accesstoken-${CLIENT}-${TENANT}-${scope}--`]: {
          home_account_id: home,
          environment: env,
          credential_type: 'AccessToken',
          client_id: CLIENT,
          secret: 'cached-access-token',
          realm: TENANT,
          target: scope,
          cached_at: String(now),
          expires_on: String(now + 3600),
          extended_expires_on: String(now + 7200),
          token_type: 'Bearer',
        },
      },
      RefreshToken: {},
      AppMetadata: {},
    });
  }

  it('uses the account MSAL cached under login.windows.net for https://login.microsoftonline.com', async () => {
    const scope = `api://${CLIENT}/execute`;
    const cachePath = join(dir, 'public-cloud.json');
    writeFileSync(cachePath, publicCloudCache(scope), { mode: 0o600 });
    const requests: string[] = [];
    const fetchMock = mock.method(globalThis, 'fetch', (url: unknown) => {
      requests.push(String(url));
      return Promise.reject(new Error('no network in this test'));
    });
    const deviceCodes: string[] = [];
    try {
      const r = await signIn({
        clientId: CLIENT,
        tenantId: TENANT,
        authorityHost: 'https://login.microsoftonline.com',
        scope,
        cachePath,
        cacheIsDefault: false,
        verbose: false,
        onDeviceCode: (message) => deviceCodes.push(message),
      });
      assert.deepEqual(
        [r.source, r.accessToken, r.username],
        ['cache', 'cached-access-token', 'alice@contoso.example'],
      );
    } finally {
      fetchMock.mock.restore();
    }
    assert.deepEqual(deviceCodes, [], 'no device code sign-in');
    assert.deepEqual(requests, [], 'no network request at all');
  });

  it('pickAccount prefers the tenant, then the latest sign-in; any account otherwise', () => {
    const account = (id: string, tenantId: string, iat?: number, environment = 'login.windows.net') =>
      ({
        homeAccountId: id,
        environment,
        tenantId,
        username: id,
        localAccountId: id,
        ...(iat === undefined ? {} : { idTokenClaims: { iat } }),
      }) as AccountInfo;
    const other = account('other', 'another-tenant', 999);
    const older = account('older', TENANT, 100);
    const newer = account('newer', TENANT.toUpperCase(), 200, 'login.microsoftonline.com');
    assert.equal(pickAccount([other, older, newer], TENANT)?.homeAccountId, 'newer');
    assert.equal(pickAccount([other, older], TENANT)?.homeAccountId, 'older');
    assert.equal(pickAccount([other], 'contoso.onmicrosoft.com')?.homeAccountId, 'other');
    assert.equal(pickAccount([], TENANT), undefined);
  });
});
