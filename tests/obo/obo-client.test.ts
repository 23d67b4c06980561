// OboClient and the MSAL cache plugin against the emulator's real token endpoint (in process).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { defaultUsers } from '../../emulator/defaults.js';
import type { VerifiedUser } from '../../src/auth/verifier.js';
import { OboError } from '../../src/errors.js';
import { ARM_SCOPE, DISCARD_MSAL_TOKENS, armScopeFor } from '../../src/obo/obo-client.js';
import type { OboClient, OboClientOptions } from '../../src/obo/obo-client.js';
import { emulatorOboClient } from '../helpers/obo-client.js';
import { verifiedUser } from '../helpers/verified-user.js';
import type { Logger } from '../../src/util/log.js';

let emulator: Emulator;
const logs: string[] = [];
const logger: Logger = {
  info: (m) => logs.push(m),
  warn: (m) => logs.push(m),
  error: (m) => logs.push(m),
};

const user = (token: string): VerifiedUser => verifiedUser(emulator, token);

/** assert.rejects' check for an obo_throttled error asking to wait `seconds`. */
const throttledFor =
  (seconds: number) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof OboError);
    assert.equal(error.code, 'obo_throttled');
    assert.equal(error.retryAfterSec, seconds);
    return true;
  };

function client(options: Partial<OboClientOptions> = {}): OboClient {
  return emulatorOboClient(emulator, logger, options);
}

before(async () => {
  emulator = await startEmulator({
    users: [
      ...defaultUsers(),
      {
        oid: 'ca201000-0000-4000-8000-0000000ca201',
        upn: 'carol@contoso.example',
        name: 'Carol',
        subscriptions: [],
        consentRequired: true,
      },
    ],
  });
});
after(() => emulator.stop());
beforeEach(() => emulator.resetCounts());

describe('OboClient', () => {
  it('coalesces concurrent requests of one user into one exchange, and caches it', async () => {
    const obo = client();
    const u = user(await emulator.issueUserToken({}));
    const tokens = await Promise.all(Array.from({ length: 8 }, () => obo.getArmToken(u)));
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    await obo.getArmToken(u);
    assert.equal(emulator.counts()['entra.token.obo'], 1);
  });

  it('never caches past the user token: a nearly expired assertion is exchanged every time', async () => {
    const obo = client();
    const u = user(await emulator.issueUserToken({ expiresInSec: 60 }));
    await obo.getArmToken(u);
    await obo.getArmToken(u);
    assert.equal(emulator.counts()['entra.token.obo'], 2);
  });

  it('keeps users apart', async () => {
    const obo = client();
    const [a, b] = emulator.users;
    const ta = await obo.getArmToken(user(await emulator.issueUserToken({ user: a!.oid })));
    const tb = await obo.getArmToken(user(await emulator.issueUserToken({ user: b!.oid })));
    assert.notEqual(ta.token, tb.token);
  });

  it('an Entra answer with Retry-After fails only that request, not the next user', async () => {
    const obo = client();
    emulator.injectFault('entra', { status: 400, retryAfterSec: 30, times: 1 });
    await assert.rejects(
      obo.getArmToken(user(await emulator.issueUserToken({ user: emulator.users[0]!.oid }))),
      OboError,
    );
    const ok = await obo.getArmToken(user(await emulator.issueUserToken({ user: emulator.users[1]!.oid })));
    assert.ok(ok.token);
  });

  it('keeps the claims of an invalid_grant answer (MSAL drops them) for the step-up challenge', async () => {
    const obo = client();
    await obo.getArmToken(user(await emulator.issueUserToken({ user: emulator.users[1]!.oid }))); // warm up
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    emulator.injectFault('entra', {
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description:
          'AADSTS50076: Due to a configuration change you must use multi-factor authentication.',
        error_codes: [50076],
        claims,
      },
    });
    await assert.rejects(obo.getArmToken(user(await emulator.issueUserToken({}))), (error: unknown) => {
      assert.ok(error instanceof OboError);
      assert.equal(error.code, 'invalid_grant');
      assert.equal(error.claims, claims);
      assert.equal(error.aadsts, 50076);
      return true;
    });
  });

  it('answers a user-caused failure from memory: a batch causes one exchange', async () => {
    const obo = client();
    const carol = emulator.users.find((u) => u.consentRequired)!;
    const u = user(await emulator.issueUserToken({ user: carol.oid }));
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        obo.getArmToken(u),
        (e: unknown) => e instanceof OboError && e.code === 'consent_required',
      );
    }
    assert.equal(emulator.counts()['entra.token.obo'], 1);
    // Another token of the same user is another key: it is exchanged.
    await assert.rejects(
      obo.getArmToken(
        user(await emulator.issueUserToken({ user: carol.oid, now: Math.floor(Date.now() / 1000) - 1 })),
      ),
    );
    assert.equal(emulator.counts()['entra.token.obo'], 2);
  });

  it('remembers a user-caused failure for 30 s at most', async () => {
    let now = Date.now();
    const obo = client({ now: () => now });
    const carol = emulator.users.find((u) => u.consentRequired)!;
    const u = user(await emulator.issueUserToken({ user: carol.oid }));
    await assert.rejects(obo.getArmToken(u), OboError);
    now += 29_000;
    await assert.rejects(obo.getArmToken(u), OboError);
    assert.equal(emulator.counts()['entra.token.obo'], 1);
    now += 2_000;
    await assert.rejects(obo.getArmToken(u), OboError);
    assert.equal(emulator.counts()['entra.token.obo'], 2);
  });

  it('does not remember outages: the next call tries again', async () => {
    const obo = client();
    const u = user(await emulator.issueUserToken({}));
    await obo.getArmToken(user(await emulator.issueUserToken({ user: emulator.users[1]!.oid }))); // warm up
    emulator.injectFault('entra', { status: 503 });
    await assert.rejects(
      obo.getArmToken(u),
      (e: unknown) => e instanceof OboError && e.code === 'obo_unavailable',
    );
    assert.ok((await obo.getArmToken(u)).token);
  });

  it('evict forgets a cached ARM token: the next call exchanges afresh', async () => {
    const obo = client();
    const u = user(await emulator.issueUserToken({}));
    const first = await obo.getArmToken(u);
    obo.evict(u);
    const second = await obo.getArmToken(u);
    assert.notEqual(first.token, second.token);
    assert.equal(emulator.counts()['entra.token.obo'], 2);
  });

  it('evict of a token that was already replaced keeps the fresh one (no extra exchange)', async () => {
    const obo = client();
    const u = user(await emulator.issueUserToken({}));
    const first = await obo.getArmToken(u);
    obo.evict(u, first.token);
    const second = await obo.getArmToken(u);
    obo.evict(u, first.token); // a second request that had also been rejected with the old token
    assert.equal((await obo.getArmToken(u)).token, second.token);
    assert.equal(emulator.counts()['entra.token.obo'], 2);
  });

  it('honours an Entra 429 Retry-After for every user, without calling Entra inside the window', async () => {
    const obo = client();
    const [alice, bob] = emulator.users;
    await obo.getArmToken(
      user(await emulator.issueUserToken({ user: bob!.oid, now: Math.floor(Date.now() / 1000) - 2 })),
    ); // warm up
    emulator.injectFault('entra', { status: 429, retryAfterSec: 2 });
    const a = user(await emulator.issueUserToken({ user: alice!.oid }));
    await assert.rejects(obo.getArmToken(a), throttledFor(2));
    const b = user(await emulator.issueUserToken({ user: bob!.oid }));
    await assert.rejects(
      obo.getArmToken(b),
      (e: unknown) => e instanceof OboError && e.code === 'obo_throttled',
    );
    assert.equal(
      emulator.counts()['entra.token.obo'],
      2,
      'warm-up + the throttled one; none inside the window',
    );
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.ok((await obo.getArmToken(b)).token, 'after the window, exchanges work again (MSAL forgot too)');
    assert.ok((await obo.getArmToken(a)).token);
  });

  it('an Entra 429 asking for an hour holds back for 5 minutes only, logged; cached users keep working', async () => {
    let now = Date.now();
    logs.length = 0;
    const obo = client({ now: () => now });
    const [alice, bob] = emulator.users;
    const cached = user(await emulator.issueUserToken({ user: bob!.oid }));
    const before = await obo.getArmToken(cached);
    emulator.injectFault('entra', { status: 429, retryAfterSec: 3600 });
    const a = user(await emulator.issueUserToken({ user: alice!.oid }));
    await assert.rejects(obo.getArmToken(a), throttledFor(300));
    assert.deepEqual(
      logs.filter((l) => l.includes('429')),
      [
        'OBO: Entra ID answered 429 (Retry-After 3600 s); no exchange for anyone for 300 s (at most 300 s); cached ARM tokens keep serving.',
      ],
    );
    // Meanwhile: the user with a cached ARM token is served from the cache; a new one waits, Entra untouched.
    now += 299_000;
    assert.equal((await obo.getArmToken(cached)).token, before.token);
    await assert.rejects(
      obo.getArmToken(a),
      (e: unknown) => e instanceof OboError && e.code === 'obo_throttled',
    );
    assert.equal(emulator.counts()['entra.token.obo'], 2, 'the cached exchange + the throttled one');
    // After 5 minutes exchanges work again, although MSAL itself would have held back for the hour.
    now += 2_000;
    assert.ok((await obo.getArmToken(a)).token);
    assert.equal(emulator.counts()['entra.token.obo'], 3);
  });

  it('a hung token endpoint is a bounded obo_unavailable error', async () => {
    const obo = client({ timeoutMs: 800 });
    emulator.setHang('entra', true);
    const started = Date.now();
    try {
      await assert.rejects(obo.getArmToken(user(await emulator.issueUserToken({}))), (error: unknown) => {
        assert.ok(error instanceof OboError);
        assert.equal(error.code, 'obo_unavailable');
        return true;
      });
    } finally {
      emulator.setHang('entra', false);
    }
    assert.ok(Date.now() - started < 5000);
  });

  it("warmUpTokenPath runs MSAL's token path in-process: no request reaches Entra, the first exchange is real", async () => {
    const document = await (
      await fetch(`${emulator.entraUrl}/${emulator.tenantId}/v2.0/.well-known/openid-configuration`)
    ).text();
    emulator.resetCounts();
    logs.length = 0;
    const obo = client({ v2Document: () => document });
    await obo.warmUpTokenPath();
    await obo.warmUp();
    assert.deepEqual(emulator.counts(), {});
    assert.deepEqual(logs, []);
    const token = await obo.getArmToken(user(await emulator.issueUserToken({})));
    assert.notEqual(token.token, 'warm-up');
    assert.deepEqual(emulator.counts(), { 'entra.token.obo': 1 });
  });

  it('without the tenant document the token path is not warmed (no request); warmUp builds the application', async () => {
    const obo = client();
    await obo.warmUpTokenPath();
    await obo.warmUp();
    assert.deepEqual(emulator.counts(), {});
  });

  it('maps sovereign ARM endpoints to their scope, anything else to public ARM', () => {
    assert.equal(armScopeFor('https://management.azure.com'), ARM_SCOPE);
    assert.equal(
      armScopeFor('https://management.usgovcloudapi.net'),
      'https://management.usgovcloudapi.net/user_impersonation',
    );
    assert.equal(armScopeFor('https://127.0.0.1:8443'), ARM_SCOPE);
  });
});

describe('DISCARD_MSAL_TOKENS', () => {
  it("leaves no account, access or refresh token of past callers in MSAL's cache", async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: emulator.clientId,
        authority: `${emulator.entraUrl}/${emulator.tenantId}`,
        knownAuthorities: [new URL(emulator.entraUrl).host],
        clientSecret: emulator.clientSecret,
      },
      cache: { cachePlugin: DISCARD_MSAL_TOKENS },
    });
    for (let i = 0; i < 6; i++) {
      const assertion = await emulator.issueUserToken({ user: emulator.users[i % 2]!.oid });
      await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [ARM_SCOPE], skipCache: true });
    }
    const cache = cca.getTokenCache();
    assert.equal((await cache.getAllAccounts()).length, 0);
    const kinds = JSON.parse(cache.serialize()) as Record<string, Record<string, unknown>>;
    for (const kind of ['Account', 'AccessToken', 'RefreshToken', 'IdToken']) {
      assert.equal(Object.keys(kinds[kind] ?? {}).length, 0, `${kind} entries left`);
    }
  });
});
