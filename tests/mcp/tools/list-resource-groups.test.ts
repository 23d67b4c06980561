import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ResourceGroupInfo } from '../../../src/arm/arm-client.js';
import { ArmError } from '../../../src/errors.js';
import { harnessPool, textBlocks, textOf } from '../../helpers/tool-server.js';
import type { FakeArm } from '../../helpers/tool-server.js';

const SUB = '0b1d0000-0000-4000-8000-000000000001';
const GROUP: ResourceGroupInfo = {
  name: 'rg-demo',
  location: 'westeurope',
  provisioningState: 'Succeeded',
  id: `/subscriptions/${SUB}/resourceGroups/rg-demo`,
};

const pool = harnessPool();
const harness = (arm: FakeArm | Error) => pool.harness(arm);
after(() => pool.closeAll());

/** ARM answering `items`, recording the subscription each call asked for. */
function listing(items: ResourceGroupInfo[], truncated = false): FakeArm & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    listResourceGroups: (subscriptionId) => {
      asked.push(subscriptionId);
      return Promise.resolve({ items, truncated });
    },
  };
}

describe('list_resource_groups', () => {
  it('lists the groups of the given subscription', async () => {
    const arm = listing([GROUP]);
    const result = await (await harness(arm)).call('list_resource_groups', { subscriptionId: SUB });
    assert.deepEqual(arm.asked, [SUB]);
    assert.deepEqual(result.structuredContent, {
      subscriptionId: SUB,
      count: 1,
      truncated: false,
      resourceGroups: [GROUP],
    });
  });

  it('serializes the groups as the first text block, then a one-line summary', async () => {
    const result = await (
      await harness(listing([GROUP]))
    ).call('list_resource_groups', { subscriptionId: SUB });
    assert.equal(textBlocks(result).summary, `Found 1 resource group(s) in ${SUB}.`);
  });

  it('says when the list was cut at the server limit', async () => {
    const result = await (
      await harness(listing([GROUP], true))
    ).call('list_resource_groups', {
      subscriptionId: SUB,
    });
    assert.match(textBlocks(result).summary, /^Found 1 resource group\(s\) in \S+ \(truncated\)\.$/);
  });

  it('refuses a subscription id that is not a GUID, without calling ARM', async () => {
    const arm = listing([GROUP]);
    const h = await harness(arm);
    const result = await h.call('list_resource_groups', { subscriptionId: '../../providers' });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /must be a subscription GUID/);
    assert.deepEqual(arm.asked, []);
    assert.equal(h.armCalls(), 0);
  });

  it('refuses a call without a subscription id', async () => {
    const result = await (await harness(listing([]))).call('list_resource_groups', {});
    assert.equal(result.isError, true);
    assert.match(textOf(result), /subscriptionId/);
  });

  it('turns an ARM failure into a tool error with its code', async () => {
    const failing: FakeArm = {
      listResourceGroups: () => Promise.reject(new ArmError('arm_not_found', 'No such subscription.')),
    };
    const result = await (await harness(failing)).call('list_resource_groups', { subscriptionId: SUB });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'No such subscription. [arm_not_found]');
  });
});
