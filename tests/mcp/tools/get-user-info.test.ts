import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { USER, harnessPool, textBlocks } from '../../helpers/tool-server.js';

const pool = harnessPool();
const harness = (user = USER) => pool.harness(new Error('ARM must not be called'), user);
after(() => pool.closeAll());

describe('get_user_info', () => {
  it('returns the verified caller as structured content', async () => {
    const result = await (await harness()).call('get_user_info');
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, {
      upn: USER.upn,
      name: USER.name,
      oid: USER.oid,
      tenantId: USER.tenantId,
      scopes: ['execute'],
      tokenVersion: '2.0',
    });
  });

  it('returns the same as JSON in the first text block, then who is signed in', async () => {
    const result = await (await harness()).call('get_user_info');
    assert.equal(
      textBlocks(result).summary,
      `Signed in as alice@contoso.test (Alice) in tenant ${USER.tenantId}, token version 2.0.`,
    );
  });

  it('answers null and (unknown) for a token without upn and name', async () => {
    const anonymous = { ...USER, upn: undefined, name: undefined, version: '1.0' as const };
    const result = await (await harness(anonymous)).call('get_user_info');
    assert.equal((result.structuredContent as { upn: unknown }).upn, null);
    assert.equal((result.structuredContent as { name: unknown }).name, null);
    assert.equal(
      textBlocks(result).summary,
      `Signed in as (unknown) in tenant ${USER.tenantId}, token version 1.0.`,
    );
  });

  it('never returns the token itself', async () => {
    const result = await (await harness()).call('get_user_info');
    assert.ok(!JSON.stringify(result).includes(USER.token));
  });

  it('does no On-Behalf-Of exchange', async () => {
    const h = await harness();
    await h.call('get_user_info');
    assert.equal(h.armCalls(), 0);
  });
});
