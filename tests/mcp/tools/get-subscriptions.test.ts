import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SubscriptionInfo } from '../../../src/arm/arm-client.js';
import { ArmError, CredentialError, OboError } from '../../../src/errors.js';
import { harnessPool, textBlocks, textOf } from '../../helpers/tool-server.js';
import type { FakeArm } from '../../helpers/tool-server.js';

const SUB: SubscriptionInfo = {
  id: '/subscriptions/0b1d0000-0000-4000-8000-000000000001',
  subscriptionId: '0b1d0000-0000-4000-8000-000000000001',
  displayName: 'Contoso Dev',
  state: 'Enabled',
  tenantId: '11111111-2222-3333-4444-555555555555',
};

const pool = harnessPool();
const harness = (arm: FakeArm | Error) => pool.harness(arm);
after(() => pool.closeAll());

const listing = (items: SubscriptionInfo[], truncated = false): FakeArm => ({
  listSubscriptions: () => Promise.resolve({ items, truncated }),
});

describe('get_subscriptions', () => {
  it('returns the subscriptions as structured content', async () => {
    const result = await (await harness(listing([SUB]))).call('get_subscriptions');
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { count: 1, truncated: false, subscriptions: [SUB] });
  });

  it('serializes the structured content as the first text block, then a one-line summary', async () => {
    const result = await (await harness(listing([SUB]))).call('get_subscriptions');
    assert.equal(textOf(result), JSON.stringify(result.structuredContent), 'compact JSON');
    assert.equal(textBlocks(result).summary, 'Found 1 subscription(s).');
  });

  it('says when the list was cut at the server limit', async () => {
    const result = await (await harness(listing([SUB], true))).call('get_subscriptions');
    assert.equal(textBlocks(result).summary, 'Found 1 subscription(s) (truncated).');
    assert.equal((result.structuredContent as { truncated: boolean }).truncated, true);
  });

  it('answers an empty list', async () => {
    const result = await (await harness(listing([]))).call('get_subscriptions');
    assert.equal(textBlocks(result).summary, 'Found 0 subscription(s).');
    assert.deepEqual(result.structuredContent, { count: 0, truncated: false, subscriptions: [] });
  });

  it('turns an ARM failure into a tool error with its code', async () => {
    const failing: FakeArm = {
      listSubscriptions: () => Promise.reject(new ArmError('arm_forbidden', 'You may not list them.')),
    };
    const result = await (await harness(failing)).call('get_subscriptions');
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'You may not list them. [arm_forbidden]');
  });

  it('turns an On-Behalf-Of failure into a tool error before ARM is called', async () => {
    const h = await harness(new OboError('consent_required', 'Consent is needed.'));
    const result = await h.call('get_subscriptions');
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'Consent is needed. [consent_required]');
    assert.equal(h.armCalls(), 1);
  });

  it('hides the server credential failure details from the caller and logs them', async () => {
    const h = await harness(new CredentialError('secret_not_found', "secret 'obo' not found in kv-internal"));
    const result = await h.call('get_subscriptions');
    assert.equal(result.isError, true);
    assert.ok(!textOf(result).includes('kv-internal'));
    assert.match(textOf(result), /\[secret_not_found\]$/);
    assert.ok(h.logs.some((line) => line.includes('get_subscriptions') && line.includes('kv-internal')));
  });
});
