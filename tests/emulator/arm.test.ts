// The ARM SDKs (subscriptions, resource groups, resources) against the emulated ARM, with paging,
// per-user data, throttling, outages and hangs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { armTokenFor, staticCredential } from './helpers.js';

let emu: Emulator;
let aliceToken: string;
let bobToken: string;
before(async () => {
  emu = await startEmulator();
  aliceToken = await armTokenFor(emu, 'alice@contoso.example');
  bobToken = await armTokenFor(emu, 'bob@contoso.example');
});
after(async () => {
  await emu.stop();
});

const ALICE_SUBS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];

function subscriptions(token: string, maxRetries?: number): SubscriptionClient {
  return new SubscriptionClient(staticCredential(token), {
    endpoint: emu.armUrl,
    ...(maxRetries !== undefined ? { retryOptions: { maxRetries } } : {}),
  });
}

async function listAll<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

async function armGet(
  path: string,
  token?: string,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${emu.armUrl}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('emulator ARM', () => {
  it("SubscriptionClient lists all of alice's subscriptions across pages", async () => {
    emu.resetCounts();
    const subs = await listAll(subscriptions(aliceToken).subscriptions.list());
    assert.deepEqual(
      subs.map((s) => s.subscriptionId),
      ALICE_SUBS,
    );
    const first = subs[0];
    assert.equal(first?.id, `/subscriptions/${ALICE_SUBS[0]}`);
    assert.equal(first?.tenantId, emu.tenantId);
    assert.equal(first?.displayName, 'Alice Production');
    assert.equal(first?.state, 'Enabled');
    assert.equal(subs[2]?.state, 'Disabled');
    assert.equal(first?.authorizationSource, 'RoleBased');
    assert.equal(first?.subscriptionPolicies?.spendingLimit, 'Off');
    assert.deepEqual(emu.counts(), { 'arm.subscriptions': 2 });
  });

  it('pages carry absolute nextLink URLs with $skiptoken', async () => {
    const page1 = await armGet('/subscriptions?api-version=2022-12-01', aliceToken);
    assert.equal((page1.body.value as unknown[]).length, 2);
    const next = new URL(String(page1.body.nextLink));
    assert.equal(next.origin, emu.armUrl);
    assert.ok(next.searchParams.get('$skiptoken'));
    assert.equal(next.searchParams.get('api-version'), '2022-12-01');
    const page2 = await armGet(`${next.pathname}${next.search}`, aliceToken);
    assert.equal((page2.body.value as unknown[]).length, 1);
    assert.equal(page2.body.nextLink, undefined);
    assert.ok(page1.headers.get('x-ms-request-id'));
  });

  it('bob sees only his subscription; resource groups and resources list', async () => {
    const subs = await listAll(subscriptions(bobToken).subscriptions.list());
    assert.deepEqual(
      subs.map((s) => s.subscriptionId),
      ['44444444-4444-4444-8444-444444444444'],
    );
    const rm = new ResourceManagementClient(staticCredential(aliceToken), ALICE_SUBS[0] ?? '', {
      endpoint: emu.armUrl,
    });
    const groups = await listAll(rm.resourceGroups.list());
    assert.deepEqual(
      groups.map((g) => g.name),
      ['rg-web', 'rg-data', 'rg-empty'],
    );
    assert.equal(groups[0]?.id, `/subscriptions/${ALICE_SUBS[0]}/resourceGroups/rg-web`);
    assert.equal(groups[0]?.properties?.provisioningState, 'Succeeded');
    const all = await listAll(rm.resources.list());
    assert.equal(all.length, 4);
    const inRg = await listAll(rm.resources.listByResourceGroup('RG-WEB'));
    assert.deepEqual(
      inRg.map((r) => r.type),
      ['Microsoft.Web/sites', 'Microsoft.Web/serverFarms', 'Microsoft.Storage/storageAccounts'],
    );
    assert.equal(
      inRg[0]?.id,
      `/subscriptions/${ALICE_SUBS[0]}/resourceGroups/rg-web/providers/Microsoft.Web/sites/aliceweb`,
    );
  });

  // [case, path, token, status, ARM error code]
  const ERRORS: [string, string, () => Promise<string | undefined>, number, string][] = [
    [
      "someone else's subscription",
      `/subscriptions/${ALICE_SUBS[0]}/resourcegroups?api-version=2021-04-01`,
      () => Promise.resolve(bobToken),
      403,
      'AuthorizationFailed',
    ],
    [
      'an unknown subscription',
      '/subscriptions/99999999-9999-4999-8999-999999999999/resourcegroups?api-version=2021-04-01',
      () => Promise.resolve(bobToken),
      404,
      'SubscriptionNotFound',
    ],
    [
      'no api-version',
      '/subscriptions',
      () => Promise.resolve(aliceToken),
      400,
      'MissingApiVersionParameter',
    ],
    [
      'a token for another audience',
      '/subscriptions?api-version=2022-12-01',
      () => emu.issueUserToken(),
      401,
      'InvalidAuthenticationTokenAudience',
    ],
    [
      'an unknown resource group',
      `/subscriptions/${ALICE_SUBS[0]}/resourceGroups/nope/resources?api-version=2021-04-01`,
      () => Promise.resolve(aliceToken),
      404,
      'ResourceGroupNotFound',
    ],
  ];
  for (const [why, path, token, status, code] of ERRORS) {
    it(`errors: ${why} is ${status} ${code}`, async () => {
      const res = await armGet(path, await token());
      assert.deepEqual([res.status, (res.body.error as { code: string }).code], [status, code]);
    });
  }

  it('errors: no token is 401 with an authorization_uri challenge', async () => {
    const anonymous = await armGet('/subscriptions?api-version=2022-12-01');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer authorization_uri="/);
  });

  it('armForbidden user gets 403 AuthorizationFailed through the SDK', async () => {
    const bob = emu.users[1];
    assert.ok(bob);
    bob.armForbidden = true;
    try {
      await assert.rejects(listAll(subscriptions(bobToken).subscriptions.list()), {
        statusCode: 403,
        code: 'AuthorizationFailed',
      });
    } finally {
      bob.armForbidden = false;
    }
  });

  it('an injected 429 with Retry-After is retried by the SDK', async () => {
    emu.resetCounts();
    emu.injectFault('arm', { status: 429, retryAfterSec: 0 });
    const subs = await listAll(subscriptions(aliceToken).subscriptions.list());
    assert.equal(subs.length, 3);
    assert.equal(emu.counts()['arm.subscriptions'], 3);
    emu.injectFault('arm', { status: 429, retryAfterSec: 7 });
    const raw = await armGet('/subscriptions?api-version=2022-12-01', aliceToken);
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('retry-after'), '7');
    assert.equal((raw.body.error as { code: string }).code, 'TenantRequestsThrottled');
  });

  it('setDown refuses connections; setDown(false) serves again on the same port', async () => {
    const port = new URL(emu.armUrl).port;
    await emu.setDown('arm', true);
    await assert.rejects(
      fetch(`${emu.armUrl}/subscriptions?api-version=2022-12-01`),
      (err: Error & { cause?: { code?: string } }) => {
        assert.equal(err.cause?.code, 'ECONNREFUSED');
        return true;
      },
    );
    await emu.setDown('arm', false);
    assert.equal(new URL(emu.armUrl).port, port);
    const subs = await listAll(subscriptions(aliceToken).subscriptions.list());
    assert.equal(subs.length, 3);
  });

  it('setHang accepts but never answers', async () => {
    emu.setHang('arm', true);
    try {
      await assert.rejects(
        fetch(`${emu.armUrl}/subscriptions?api-version=2022-12-01`, { signal: AbortSignal.timeout(300) }),
        { name: 'TimeoutError' },
      );
    } finally {
      emu.setHang('arm', false);
    }
    assert.equal((await armGet('/subscriptions?api-version=2022-12-01', aliceToken)).status, 200);
  });
});
