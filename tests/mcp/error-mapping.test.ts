import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArmError, ConfigError, CredentialError, OboError, TimeoutError } from '../../src/errors.js';
import { toolError } from '../../src/mcp/error-mapping.js';
import { keyVaultError } from '../../src/obo/errors.js';
import type { Logger } from '../../src/util/log.js';

const VAULT = 'https://kv-internal-42.vault.azure.net';
const SECRET = 'obo-secret-name-7';

function run(error: unknown): { text: string; logs: string[] } {
  const logs: string[] = [];
  const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  const result = toolError(error, 'get_subscriptions', logger);
  assert.equal(result.isError, true);
  const text = (result.content[0] as { text: string }).text;
  return { text, logs };
}

describe('toolError', () => {
  for (const [name, error] of [
    ['secret not found', keyVaultError(Object.assign(new Error('nf'), { statusCode: 404 }), VAULT, SECRET)],
    ['vault forbidden', keyVaultError(Object.assign(new Error('fb'), { statusCode: 403 }), VAULT, SECRET)],
    ['vault unreachable', keyVaultError(new Error(`connect ECONNREFUSED ${VAULT}`), VAULT, SECRET)],
    ['app credential rejected', new OboError('invalid_client', `secret of ${VAULT}/${SECRET} rejected`)],
    ['missing permission', new OboError('invalid_scope', `no permission (vault ${VAULT})`)],
    ['unknown OBO failure', new OboError('obo_failed', `failed ${SECRET}`)],
    ['configuration', new ConfigError(`KEY_VAULT_URL ${VAULT}`)],
    ['a timeout', new TimeoutError(`Key Vault ${VAULT}`, 10)],
    ['a credential failure', new CredentialError('credential_failed', `in ${VAULT}`)],
  ] as const) {
    it(`${name}: no vault URL or secret name to the caller; the log keeps them with the incident id`, () => {
      const { text, logs } = run(error);
      assert.ok(!text.includes(VAULT) && !text.includes('kv-internal-42'), text);
      assert.ok(!text.includes(SECRET), text);
      assert.match(text, new RegExp(`\\[${error.code}\\]$`));
      const incident = /incident ([A-Za-z0-9_-]+)/.exec(text)?.[1];
      assert.ok(incident, text);
      assert.ok(
        logs.some((l) => l.includes(incident) && (l.includes(VAULT) || l.includes(SECRET))),
        logs.join('\n'),
      );
    });
  }

  for (const error of [
    new CredentialError('identity_unavailable', 'x'),
    new CredentialError('keyvault_unavailable', 'x'),
    new TimeoutError('Key Vault', 10),
  ]) {
    it(`${error.code}: a transient failure of own services says to retry`, () => {
      assert.match(run(error).text, /retry shortly/);
    });
  }

  for (const error of [
    new OboError('consent_required', 'Admin consent is missing for Azure Service Management.'),
    new OboError('obo_throttled', 'Entra ID is throttling; retry in 5 seconds.', { retryAfterSec: 5 }),
    new OboError('obo_unavailable', 'Entra ID is temporarily unavailable; retry shortly.'),
    new ArmError('arm_forbidden', 'You are not authorized to list your subscriptions.'),
  ]) {
    it(`${error.code}: a caller-facing failure keeps its actionable message`, () => {
      assert.equal(run(error).text, `${error.message} [${error.code}]`);
    });
  }

  it('unexpected errors: internal_error with an incident id, no message', () => {
    const { text, logs } = run(new Error(`boom at ${VAULT}`));
    assert.match(
      text,
      /incident [A-Za-z0-9_-]+\. \[internal_error\]|incident [A-Za-z0-9_-]+ if it persists\. \[internal_error\]/,
    );
    assert.ok(!text.includes(VAULT));
    assert.ok(logs.some((l) => l.includes(VAULT)));
  });
});
