import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ResourceInfo } from '../../../src/arm/arm-client.js';
import { ArmError } from '../../../src/errors.js';
import { harnessPool, textBlocks, textOf } from '../../helpers/tool-server.js';
import type { FakeArm } from '../../helpers/tool-server.js';

const SUB = '0b1d0000-0000-4000-8000-000000000001';
const VM: ResourceInfo = {
  name: 'vm1',
  type: 'Microsoft.Compute/virtualMachines',
  location: 'westeurope',
  resourceGroup: 'rg-demo',
  id: `/subscriptions/${SUB}/resourceGroups/rg-demo/providers/Microsoft.Compute/virtualMachines/vm1`,
};
const GLOBAL: ResourceInfo = {
  name: 'zone.example',
  type: 'Microsoft.Network/dnszones',
  location: undefined,
  resourceGroup: undefined,
  id: `/subscriptions/${SUB}/providers/Microsoft.Network/dnszones/zone.example`,
};

const pool = harnessPool();
const harness = (arm: FakeArm | Error) => pool.harness(arm);
after(() => pool.closeAll());

/** ARM answering `items`, recording what each call asked for. */
function listing(items: ResourceInfo[], truncated = false) {
  const asked: [string, string | undefined][] = [];
  const arm: FakeArm = {
    listResources: (subscriptionId, resourceGroup) => {
      asked.push([subscriptionId, resourceGroup]);
      return Promise.resolve({ items, truncated });
    },
  };
  return { arm, asked };
}

describe('list_resources', () => {
  it('lists a whole subscription without resourceGroup', async () => {
    const { arm, asked } = listing([VM]);
    const result = await (await harness(arm)).call('list_resources', { subscriptionId: SUB });
    assert.deepEqual(asked, [[SUB, undefined]]);
    assert.deepEqual(result.structuredContent, {
      subscriptionId: SUB,
      count: 1,
      truncated: false,
      resources: [VM],
    });
    assert.equal(textBlocks(result).summary, `Found 1 resource(s) in subscription ${SUB}.`);
  });

  it('lists one resource group when resourceGroup is given', async () => {
    const { arm, asked } = listing([VM]);
    const result = await (
      await harness(arm)
    ).call('list_resources', {
      subscriptionId: SUB,
      resourceGroup: 'rg-demo',
    });
    assert.deepEqual(asked, [[SUB, 'rg-demo']]);
    assert.equal((result.structuredContent as { resourceGroup?: string }).resourceGroup, 'rg-demo');
    assert.equal(textBlocks(result).summary, 'Found 1 resource(s) in resource group rg-demo.');
  });

  it('serializes the resources as the first text block', async () => {
    const { arm } = listing([VM]);
    const result = await (await harness(arm)).call('list_resources', { subscriptionId: SUB });
    assert.deepEqual((textBlocks(result).json as { resources: unknown[] }).resources, [VM]);
  });

  it('leaves out a missing location and resource group instead of sending undefined', async () => {
    const { arm } = listing([GLOBAL]);
    const result = await (await harness(arm)).call('list_resources', { subscriptionId: SUB });
    assert.deepEqual((result.structuredContent as { resources: unknown[] }).resources, [
      { name: GLOBAL.name, type: GLOBAL.type, id: GLOBAL.id },
    ]);
    textBlocks(result);
  });

  it('says when the list was cut at the server limit', async () => {
    const { arm } = listing([VM], true);
    const result = await (await harness(arm)).call('list_resources', { subscriptionId: SUB });
    assert.match(textBlocks(result).summary, /^Found 1 resource\(s\) in subscription \S+ \(truncated\)\.$/);
  });

  it('refuses an invalid resource group name, without calling ARM', async () => {
    const { arm, asked } = listing([VM]);
    const result = await (
      await harness(arm)
    ).call('list_resources', {
      subscriptionId: SUB,
      resourceGroup: 'rg/../../x',
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /not a valid resource group name/);
    assert.deepEqual(asked, []);
  });

  it('refuses a subscription id that is not a GUID', async () => {
    const { arm, asked } = listing([VM]);
    const result = await (await harness(arm)).call('list_resources', { subscriptionId: 'sub' });
    assert.equal(result.isError, true);
    assert.deepEqual(asked, []);
  });

  it('turns an ARM failure into a tool error with its code', async () => {
    const failing: FakeArm = {
      listResources: () => Promise.reject(new ArmError('arm_throttled', 'ARM is busy; retry shortly.')),
    };
    const result = await (await harness(failing)).call('list_resources', { subscriptionId: SUB });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'ARM is busy; retry shortly. [arm_throttled]');
  });
});
