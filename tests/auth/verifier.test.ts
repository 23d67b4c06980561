import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK, CryptoKey } from 'jose';
import { createHmac } from 'node:crypto';
import { TokenVerifier } from '../../src/auth/verifier.js';
import type { TenantMetadata } from '../../src/auth/discovery.js';
import { MetadataUnavailableError, TokenError } from '../../src/errors.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const NOW = 1_800_000_000; // frozen clock, epoch seconds
const V2_ISS = `https://login.example.test/${TENANT}/v2.0`;
const V1_ISS = `https://sts.windows.net/${TENANT}/`;
const KID = 'real-kid';

let server: Server;
let jwksUrl: string;
let signingKey: CryptoKey;
let publicJwk: JWK;
let jwksRequests = 0;

function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: V2_ISS,
    aud: CLIENT,
    tid: TENANT,
    oid: 'user-oid-1',
    preferred_username: 'alice@contoso.test',
    name: 'Alice',
    scp: 'execute',
    ver: '2.0',
    // Real tokens carry one of them (v2 azp, v1 appid); both here so version overrides stay short.
    azp: CLIENT,
    appid: CLIENT,
    iat: NOW - 60,
    nbf: NOW - 60,
    exp: NOW + 3600,
    ...overrides,
  };
}

async function sign(
  payload: Record<string, unknown>,
  key: CryptoKey = signingKey,
  kid = KID,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
}

const APP_ID_URI = 'https://mcp.contoso.test/mcp';

const VSCODE = 'aebc6443-996d-45c2-90f0-388ff96faa56';
const OTHER_APP = '0e7e0000-0000-4000-8000-000000000001';

function verifier(
  metadata?: Partial<TenantMetadata>,
  appIdUri?: string,
  allowedClientIds: readonly string[] | '*' = [CLIENT, VSCODE],
  acceptedVersions?: readonly (1 | 2)[],
): TokenVerifier {
  const full: TenantMetadata = {
    v1: { issuer: V1_ISS, jwks_uri: jwksUrl },
    v2: { issuer: V2_ISS, jwks_uri: jwksUrl },
    tenantGuid: TENANT,
    ...metadata,
  };
  return new TokenVerifier(
    { get: () => Promise.resolve(full) },
    {
      clientId: CLIENT,
      requiredScope: 'execute',
      timeoutMs: 2000,
      now: () => new Date(NOW * 1000),
      allowedClientIds,
      ...(appIdUri ? { appIdUri } : {}),
      ...(acceptedVersions ? { acceptedVersions } : {}),
    },
  );
}

async function rejects(token: string | undefined, code: string, v = verifier()): Promise<void> {
  await assert.rejects(v.verify(token), (error: unknown) => {
    assert.ok(error instanceof TokenError, `expected TokenError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => {
    jwksRequests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
});

after(() => server.close());

describe('TokenVerifier accepts', () => {
  it('a v2 token (aud = client id)', async () => {
    const user = await verifier().verify(await sign(claims()));
    assert.equal(user.oid, 'user-oid-1');
    assert.equal(user.version, '2.0');
    assert.equal(user.upn, 'alice@contoso.test');
    assert.deepEqual(user.scopes, ['execute']);
  });

  it('a v1 token (aud = api://client id, sts.windows.net issuer, upn claim)', async () => {
    const token = await sign(
      claims({
        iss: V1_ISS,
        aud: `api://${CLIENT}`,
        ver: '1.0',
        preferred_username: undefined,
        upn: 'bob@contoso.test',
      }),
    );
    const user = await verifier().verify(token);
    assert.equal(user.version, '1.0');
    assert.equal(user.upn, 'bob@contoso.test');
  });

  it('a v1 token for the configured Application ID URI (aud = that URI)', async () => {
    const token = await sign(claims({ iss: V1_ISS, aud: APP_ID_URI, ver: '1.0' }));
    assert.equal((await verifier(undefined, APP_ID_URI).verify(token)).version, '1.0');
  });

  it('v2 and api:// audiences still, when an Application ID URI is configured', async () => {
    const v = verifier(undefined, APP_ID_URI);
    await v.verify(await sign(claims()));
    await v.verify(await sign(claims({ iss: V1_ISS, aud: `api://${CLIENT}`, ver: '1.0' })));
  });

  it('a token with several scopes, one of them required', async () => {
    const user = await verifier().verify(await sign(claims({ scp: 'read execute write' })));
    assert.deepEqual(user.scopes, ['read', 'execute', 'write']);
  });

  it('a token issued slightly in the future, within the clock tolerance', async () => {
    await verifier().verify(await sign(claims({ iat: NOW + 30, nbf: NOW + 30 })));
  });

  it('a token without iat or nbf (both optional)', async () => {
    await verifier().verify(await sign(claims({ iat: undefined, nbf: undefined })));
  });

  it('a token expired within the clock tolerance', async () => {
    await verifier().verify(await sign(claims({ exp: NOW - 30 })));
  });
});

describe('TokenVerifier allowed client applications', () => {
  async function notAllowed(token: string, v: TokenVerifier, clientAppId: string | undefined) {
    await assert.rejects(v.verify(token), (error: unknown) => {
      assert.ok(error instanceof TokenError);
      assert.equal(error.code, 'client_not_allowed');
      assert.equal(error.clientAppId, clientAppId);
      return true;
    });
  }

  it('accepts a listed client (v2 azp), whatever its case', async () => {
    const user = await verifier().verify(await sign(claims({ azp: VSCODE.toUpperCase(), appid: undefined })));
    assert.equal(user.clientAppId, VSCODE.toUpperCase());
  });

  it('accepts a listed client (v1 appid)', async () => {
    const token = await sign(claims({ iss: V1_ISS, aud: `api://${CLIENT}`, azp: undefined, appid: VSCODE }));
    assert.equal((await verifier().verify(token)).clientAppId, VSCODE);
  });

  it('rejects an unlisted client (v2 azp), naming it', async () => {
    await notAllowed(await sign(claims({ azp: OTHER_APP, appid: undefined })), verifier(), OTHER_APP);
  });

  it('rejects an unlisted client (v1 appid), naming it', async () => {
    const token = await sign(
      claims({ iss: V1_ISS, aud: `api://${CLIENT}`, azp: undefined, appid: OTHER_APP }),
    );
    await notAllowed(token, verifier(), OTHER_APP);
  });

  it('rejects a v2 token without azp, even when appid names an allowed client', async () => {
    await notAllowed(await sign(claims({ azp: undefined, appid: CLIENT })), verifier(), undefined);
  });

  it('rejects a v1 token without appid, even when azp names an allowed client', async () => {
    const token = await sign(claims({ iss: V1_ISS, aud: `api://${CLIENT}`, azp: CLIENT, appid: undefined }));
    await notAllowed(token, verifier(), undefined);
  });

  it('rejects an empty azp', async () => {
    await notAllowed(await sign(claims({ azp: '', appid: undefined })), verifier(), undefined);
  });

  it("accepts any client with '*'", async () => {
    const user = await verifier(undefined, undefined, '*').verify(
      await sign(claims({ azp: OTHER_APP, appid: undefined })),
    );
    assert.equal(user.clientAppId, OTHER_APP);
  });

  it('checks the client only after the signature: a forged token is bad_signature, not a named client', async () => {
    const attacker = await generateKeyPair('RS256');
    await rejects(await sign(claims({ azp: OTHER_APP }), attacker.privateKey, KID), 'token_bad_signature');
  });
});

describe('TokenVerifier rejects', () => {
  const table: [string, () => Promise<string | undefined>, string][] = [
    ['no token', () => Promise.resolve(undefined), 'token_missing'],
    ['garbage', () => Promise.resolve('not-a-jwt'), 'token_malformed'],
    ['three garbage segments', () => Promise.resolve('a.b.c'), 'token_malformed'],
    ['expired', () => sign(claims({ exp: NOW - 600 })), 'token_expired'],
    ['not yet valid', () => sign(claims({ nbf: NOW + 600 })), 'token_not_yet_valid'],
    ['wrong audience', () => sign(claims({ aud: 'https://management.azure.com/' })), 'token_bad_audience'],
    ['unknown issuer', () => sign(claims({ iss: 'https://evil.example/' })), 'token_bad_issuer'],
    [
      'v1 issuer of another tenant',
      () => sign(claims({ iss: 'https://sts.windows.net/99999999-2222-3333-4444-555555555555/' })),
      'token_bad_issuer',
    ],
    [
      'right issuer, other tid claim',
      () => sign(claims({ tid: '99999999-2222-3333-4444-555555555555' })),
      'token_bad_tenant',
    ],
    ['iat two days in the future', () => sign(claims({ iat: NOW + 2 * 86400 })), 'token_not_yet_valid'],
    ['iat just past the clock tolerance', () => sign(claims({ iat: NOW + 61 })), 'token_not_yet_valid'],
    [
      'aud array naming this API and ARM',
      () => sign(claims({ aud: [CLIENT, 'https://management.azure.com/'] })),
      'token_bad_audience',
    ],
    ['aud array with only this API', () => sign(claims({ aud: [CLIENT] })), 'token_bad_audience'],
    ['aud as a number', () => sign(claims({ aud: 42 })), 'token_bad_audience'],
    ['aud as an object', () => sign(claims({ aud: { value: CLIENT } })), 'token_bad_audience'],
    ['no aud', () => sign(claims({ aud: undefined })), 'token_bad_audience'],
    ['no exp', () => sign(claims({ exp: undefined })), 'token_invalid'],
    ['exp as a string', () => sign(claims({ exp: String(NOW + 3600) })), 'token_invalid'],
    ['exp as null', () => sign(claims({ exp: null })), 'token_invalid'],
    ['nbf as a string', () => sign(claims({ nbf: String(NOW - 60) })), 'token_invalid'],
    ['iat as a string', () => sign(claims({ iat: String(NOW - 60) })), 'token_invalid'],
    ['iat as a boolean', () => sign(claims({ iat: true })), 'token_invalid'],
    ['iat as null', () => sign(claims({ iat: null })), 'token_invalid'],
    ['missing scope', () => sign(claims({ scp: 'read' })), 'insufficient_scope'],
    [
      'no scp (app-only token)',
      () => sign(claims({ scp: undefined, roles: ['execute'] })),
      'insufficient_scope',
    ],
    ['scope as a substring only', () => sign(claims({ scp: 'executeall' })), 'insufficient_scope'],
    ['no oid', () => sign(claims({ oid: undefined })), 'token_invalid'],
    [
      'alg none',
      () =>
        Promise.resolve(
          `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims()))}.`,
        ),
      'token_bad_algorithm',
    ],
    [
      'HS256 signed with the public key',
      () => {
        const head = b64url(JSON.stringify({ alg: 'HS256', kid: KID, typ: 'JWT' }));
        const body = b64url(JSON.stringify(claims()));
        const mac = createHmac('sha256', JSON.stringify(publicJwk))
          .update(`${head}.${body}`)
          .digest('base64url');
        return Promise.resolve(`${head}.${body}.${mac}`);
      },
      'token_bad_algorithm',
    ],
    [
      'attacker key with a real kid',
      async () => {
        const attacker = await generateKeyPair('RS256');
        return sign(claims(), attacker.privateKey, KID);
      },
      'token_bad_signature',
    ],
    [
      'unknown kid',
      async () => {
        const attacker = await generateKeyPair('RS256');
        return sign(claims(), attacker.privateKey, 'unknown-kid');
      },
      'token_unknown_key',
    ],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await sign(claims())).split('.');
        return `${h}.${b64url(JSON.stringify(claims({ oid: 'someone-else' })))}.${s}`;
      },
      'token_bad_signature',
    ],
    [
      'tampered signature',
      async () => {
        const [h, p, s = ''] = (await sign(claims())).split('.');
        const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
        return `${h}.${p}.${flipped}`;
      },
      'token_bad_signature',
    ],
  ];

  it('a v2 token whose audience is an Application ID URI (Entra puts the client id in every v2 token)', async () => {
    const v = verifier(undefined, APP_ID_URI);
    await rejects(await sign(claims({ aud: `api://${CLIENT}` })), 'token_bad_audience', v);
    await rejects(await sign(claims({ aud: APP_ID_URI })), 'token_bad_audience', v);
  });

  it('with ENTRA_ACCEPTED_TOKEN_VERSIONS=2: every v1 token, whatever its audience; v2 still accepted', async () => {
    const v2Only = verifier(undefined, APP_ID_URI, [CLIENT], [2]);
    for (const aud of [CLIENT, `api://${CLIENT}`, APP_ID_URI])
      await rejects(await sign(claims({ iss: V1_ISS, aud, ver: '1.0' })), 'token_bad_issuer', v2Only);
    assert.equal((await v2Only.verify(await sign(claims()))).version, '2.0');
  });

  it('with ENTRA_ACCEPTED_TOKEN_VERSIONS=1: every v2 token; v1 still accepted', async () => {
    const v1Only = verifier(undefined, undefined, [CLIENT], [1]);
    await rejects(await sign(claims()), 'token_bad_issuer', v1Only);
    const v1 = await sign(claims({ iss: V1_ISS, aud: `api://${CLIENT}`, ver: '1.0' }));
    assert.equal((await v1Only.verify(v1)).version, '1.0');
  });

  it('the Application ID URI as audience when it is not configured', async () => {
    await rejects(await sign(claims({ iss: V1_ISS, aud: APP_ID_URI, ver: '1.0' })), 'token_bad_audience');
  });

  it('a variant of the Application ID URI (trailing slash)', async () => {
    const token = await sign(claims({ iss: V1_ISS, aud: `${APP_ID_URI}/`, ver: '1.0' }));
    await rejects(token, 'token_bad_audience', verifier(undefined, APP_ID_URI));
  });

  for (const [name, make, code] of table) {
    it(`${name} → ${code}`, async () => {
      await rejects(await make(), code);
    });
  }

  it('a token from a key-set outage as metadata_unavailable (503), not as the caller’s fault', async () => {
    const v = verifier({ v2: { issuer: V2_ISS, jwks_uri: 'http://127.0.0.1:1/keys' } });
    await assert.rejects(v.verify(await sign(claims())), (error: unknown) => {
      assert.ok(error instanceof MetadataUnavailableError);
      assert.equal(error.code, 'metadata_unavailable');
      return true;
    });
  });

  it('unknown kids do not hammer the key endpoint (cooldown)', async () => {
    const v = verifier();
    await v.verify(await sign(claims()));
    const before = jwksRequests;
    const attacker = await generateKeyPair('RS256');
    for (let i = 0; i < 5; i++)
      await rejects(await sign(claims(), attacker.privateKey, `kid-${i}`), 'token_unknown_key', v);
    assert.ok(jwksRequests - before <= 1, `JWKS fetched ${jwksRequests - before} times`);
  });
});

describe('TokenVerifier remembers verified tokens', () => {
  /** A verifier on a movable clock whose metadata source counts its reads and can be made to fail. */
  function counting(maxCachedTokens?: number) {
    const state = { now: NOW * 1000, reads: 0, failing: false };
    const metadata: TenantMetadata = {
      v1: { issuer: V1_ISS, jwks_uri: jwksUrl },
      v2: { issuer: V2_ISS, jwks_uri: jwksUrl },
      tenantGuid: TENANT,
    };
    const v = new TokenVerifier(
      {
        get: () => {
          state.reads++;
          return state.failing
            ? Promise.reject(new MetadataUnavailableError('Entra ID discovery failed'))
            : Promise.resolve(metadata);
        },
      },
      {
        clientId: CLIENT,
        requiredScope: 'execute',
        timeoutMs: 2000,
        now: () => new Date(state.now),
        allowedClientIds: [CLIENT],
        ...(maxCachedTokens ? { maxCachedTokens } : {}),
      },
    );
    return { v, state };
  }

  it('verifies a token once for concurrent and repeated calls', async () => {
    const { v, state } = counting();
    const token = await sign(claims());
    const users = await Promise.all(Array.from({ length: 10 }, () => v.verify(token)));
    await v.verify(token);
    assert.equal(state.reads, 1);
    assert.ok(users.every((u) => u.oid === 'user-oid-1' && u.token === token));
  });

  it('for five minutes at most, then verifies it afresh', async () => {
    const { v, state } = counting();
    const token = await sign(claims());
    await v.verify(token);
    state.failing = true;
    state.now += 299_000;
    await v.verify(token);
    state.now += 2_000;
    await assert.rejects(v.verify(token), MetadataUnavailableError);
  });

  it('never past the token’s expiry (plus the clock tolerance)', async () => {
    const { v, state } = counting();
    const token = await sign(claims({ exp: NOW + 120 }));
    await v.verify(token);
    state.now += 179_000;
    await v.verify(token);
    assert.equal(state.reads, 1);
    state.now += 2_000;
    await rejects(token, 'token_expired', v);
  });

  it('does not remember a rejection', async () => {
    const { v, state } = counting();
    const token = await sign(claims());
    state.failing = true;
    await assert.rejects(v.verify(token), MetadataUnavailableError);
    state.failing = false;
    assert.equal((await v.verify(token)).oid, 'user-oid-1');
  });

  it('rejected tokens do not push verified ones out', async () => {
    const { v, state } = counting(2);
    const token = await sign(claims());
    await v.verify(token);
    const attacker = await generateKeyPair('RS256');
    for (let i = 0; i < 5; i++) {
      await rejects(
        await sign(claims({ oid: `x-${i}` }), attacker.privateKey, 'other-kid'),
        'token_unknown_key',
        v,
      );
    }
    const reads = state.reads;
    await v.verify(token);
    assert.equal(state.reads, reads, 'still remembered');
  });

  it('hands out a frozen user (shared by the requests of one token)', async () => {
    const { v } = counting();
    const user = await v.verify(await sign(claims()));
    assert.ok(Object.isFrozen(user) && Object.isFrozen(user.scopes));
  });

  it('is bounded: past maxCachedTokens the least recently used token is verified again', async () => {
    const { v, state } = counting(2);
    const tokens = await Promise.all([1, 2, 3].map((n) => sign(claims({ oid: `user-${n}` }))));
    for (const token of tokens) await v.verify(token);
    await v.verify(tokens[0]);
    assert.equal(state.reads, 4);
  });
});
