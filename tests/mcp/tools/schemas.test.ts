import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceGroupName, subscriptionId } from '../../../src/mcp/tools/schemas.js';

describe('subscriptionId', () => {
  const cases: [string, string, boolean][] = [
    ['a lower-case GUID', '0b1d0000-0000-4000-8000-000000000001', true],
    ['an upper-case GUID', '0B1D0000-ABCD-4000-8000-00000000000F', true],
    ['a GUID in braces', '{0b1d0000-0000-4000-8000-000000000001}', false],
    ['a GUID without dashes', '0b1d00000000400080000000000000001', false],
    ['a resource id', '/subscriptions/0b1d0000-0000-4000-8000-000000000001', false],
    ['a path traversal', '../../providers', false],
    ['a GUID with a trailing newline', '0b1d0000-0000-4000-8000-000000000001\n', false],
    ['empty', '', false],
  ];
  for (const [what, value, valid] of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${what}`, () => {
      assert.equal(subscriptionId.safeParse(value).success, valid);
    });
  }

  it('says what it expects', () => {
    assert.match(subscriptionId.safeParse('x').error?.message ?? '', /must be a subscription GUID/);
  });
});

describe('resourceGroupName', () => {
  const cases: [string, string, boolean][] = [
    ['a simple name', 'rg-demo', true],
    ['letters, digits, dots, underscores and parentheses', 'My_RG.2(prod)', true],
    ['a one-character name', 'a', true],
    ['90 characters', 'a'.repeat(90), true],
    ['91 characters', 'a'.repeat(91), false],
    ['empty', '', false],
    ['a name ending in a dot', 'rg.', false],
    ['a slash', 'rg/x', false],
    ['a path traversal', '..', false],
    ['a space', 'my rg', false],
    ['a query string', 'rg?api-version=1', false],
  ];
  for (const [what, value, valid] of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${what}`, () => {
      assert.equal(resourceGroupName.safeParse(value).success, valid);
    });
  }
});
