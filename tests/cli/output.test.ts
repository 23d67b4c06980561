import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RULE, redactToken, subscriptionLines, tokenLine, toolResultLines } from '../../cli/output.js';

describe('output', () => {
  it('redacts the token unless asked', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(200)}.sig`;
    assert.equal(redactToken(token), 'eyJhbGciOiJS…');
    assert.ok(!tokenLine(token, new Date(0), false).includes(token));
    assert.match(tokenLine(token, new Date(0), false), /expires 1970-01-01T00:00:00.000Z/);
    assert.ok(tokenLine(token, null, true).includes(token));
  });

  it('prints subscriptions like the Python demo', () => {
    const lines = subscriptionLines(
      [{ subscriptionId: 'id1', displayName: 'Inity', state: 'Enabled', tenantId: 'tid' }],
      false,
    );
    assert.deepEqual(lines, [
      '✓ Found 1 subscription',
      'Azure Subscriptions:',
      RULE,
      'Name: Inity',
      '   ID: id1',
      '   State: Enabled',
      '   Tenant: tid',
      RULE,
    ]);
    assert.equal(RULE.length, 80);
  });

  it('toolResultLines: the structured content indented, then the text that is not just its JSON', () => {
    const structuredContent = { count: 1 };
    const result = {
      structuredContent,
      content: [
        { type: 'text', text: JSON.stringify(structuredContent) },
        { type: 'text', text: 'Found 1.' },
      ],
    };
    assert.deepEqual(toolResultLines(result), ['{\n  "count": 1\n}', 'Found 1.']);
    assert.deepEqual(toolResultLines({ content: [{ type: 'text', text: 'plain' }] }), ['plain']);
    assert.deepEqual(toolResultLines({ content: [] }), ['[]']);
  });
});
