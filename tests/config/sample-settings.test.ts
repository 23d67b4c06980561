import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SETTING_NAMES, loadSettings } from '../../src/config/settings.js';

const sample = JSON.parse(
  readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8'),
) as {
  Values: Record<string, string>;
};
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('documented settings', () => {
  it('local.settings.sample.json lists every setting the code reads', () => {
    for (const name of SETTING_NAMES) assert.ok(name in sample.Values, `${name} missing from the sample`);
  });

  it("the README's settings table documents every setting", () => {
    for (const name of SETTING_NAMES)
      assert.match(readme, new RegExp(`\\| \`${name}\``), `${name} missing from README`);
  });

  it('the sample is valid once a vault is filled in', () => {
    const s = loadSettings({ ...sample.Values, KEY_VAULT_URL: 'https://kv-x.vault.azure.net' });
    assert.equal(s.credential.mode, 'keyvault');
  });
});
