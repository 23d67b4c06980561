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
  for (const name of SETTING_NAMES) {
    it(`local.settings.sample.json lists ${name}`, () => {
      assert.ok(name in sample.Values);
    });

    it(`the README's settings table documents ${name}`, () => {
      assert.match(readme, new RegExp(`\\| \`${name}\``));
    });
  }

  it("the sample's host body limit sits above MCP_MAX_BODY_BYTES, as infra sets it (twice)", () => {
    assert.equal(
      Number(sample.Values.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT),
      2 * Number(sample.Values.MCP_MAX_BODY_BYTES),
    );
  });

  it('an HTTP-only app needs no host storage locally: AzureWebJobsStorage is empty (no Azurite)', () => {
    assert.equal(sample.Values.AzureWebJobsStorage, '');
    assert.equal(sample.Values.FUNCTIONS_WORKER_RUNTIME, 'node');
  });

  it('the sample is valid once a vault is filled in', () => {
    const s = loadSettings({ ...sample.Values, KEY_VAULT_URL: 'https://kv-x.vault.azure.net' });
    assert.equal(s.credential.mode, 'keyvault');
  });
});
