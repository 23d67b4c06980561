import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import type { ProxyKeySettings } from '../../src/config/settings.js';
import { CredentialError } from '../../src/errors.js';
import { createProxyKeySource } from '../../src/oauth/key-source.js';
import { ProxyKeyRing } from '../../src/oauth/keys.js';
import type { Logger } from '../../src/util/log.js';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function newKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

const encoded = (...keys: Uint8Array[]) => keys.map((k) => Buffer.from(k).toString('base64url')).join(',');
const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

/** True when `opener` opens what `sealer` sealed. */
async function opens(sealer: ProxyKeyRing, opener: ProxyKeyRing): Promise<boolean> {
  const token = await sealer.seal('access-token', { at: 'x' }, inAMinute());
  return (await opener.open('access-token', token)).ok;
}

describe('createProxyKeySource: environment', () => {
  it('serves one ring of the keys: the first seals, every one opens', async () => {
    const [first, second] = [newKey(), newKey()];
    const source = createProxyKeySource({ source: 'environment', keys: [first, second] }, 1000, silent);
    await source.prefetch();
    const ring = await source.get();
    assert.equal(await source.get(), ring, 'the same ring every time');
    assert.equal(await opens(ring, new ProxyKeyRing([first])), true);
    assert.equal(await opens(ring, new ProxyKeyRing([second])), false);
    assert.equal(await opens(new ProxyKeyRing([second]), ring), true);
    assert.equal(await opens(new ProxyKeyRing([newKey()]), ring), false);
  });
});

describe('createProxyKeySource: Key Vault (emulator)', () => {
  let emulator: Emulator;
  let saved: NodeJS.ProcessEnv;
  let counter = 0;

  before(async () => {
    emulator = await startEmulator();
    saved = { ...process.env };
    // The managed identity credential reads its endpoint from the environment, as on App Service.
    Object.assign(process.env, emulator.env('keyvault'));
  });
  after(async () => {
    process.env = saved;
    await emulator.stop();
  });

  /** A source reading the secret `name` (set to `value` first, when given). */
  function vaultSource(value: string | undefined, ttlMs = 3_600_000) {
    const secretName = `oauth-proxy-key-${++counter}`;
    if (value !== undefined) emulator.setVaultSecret(secretName, value);
    const settings: ProxyKeySettings = {
      source: 'keyvault',
      vaultUrl: emulator.keyVaultUrl,
      secretName,
      ttlMs,
      managedIdentityClientId: emulator.managedIdentity.clientId,
    };
    return { secretName, source: createProxyKeySource(settings, 5000, silent, emulator.env('keyvault')) };
  }

  const vaultReads = () => emulator.counts()['keyvault.secret'] ?? 0;

  it('after a rotation, a token sealed under the new key makes it read the vault again at once (not at the TTL)', async () => {
    const old = newKey();
    const { secretName, source } = vaultSource(encoded(old));
    const before = await source.get();
    const rotated = newKey();
    emulator.setVaultSecret(secretName, encoded(rotated, old));
    // Another instance read the rotated secret and sealed under its new first key.
    const token = await new ProxyKeyRing([rotated]).seal('access-token', { at: 'x' }, inAMinute());
    assert.equal((await before.open('access-token', token)).ok, false);
    const reads = vaultReads();
    const ring = await source.get(token);
    assert.equal((await ring.open('access-token', token)).ok, true);
    assert.equal(vaultReads(), reads + 1, 'one read');
    // A key nobody has (a made-up kid) does not hammer the vault: the next forced read waits 30 s.
    const stranger = await new ProxyKeyRing([newKey()]).seal('access-token', { at: 'x' }, inAMinute());
    await source.get(stranger);
    await source.get(stranger);
    assert.ok(vaultReads() <= reads + 2, `at most one more read: ${vaultReads() - reads}`);
  });

  it('serves the ring the secret holds: its first key seals, every key opens', async () => {
    const [first, second] = [newKey(), newKey()];
    const { source } = vaultSource(encoded(first, second));
    const ring = await source.get();
    assert.equal(await opens(ring, new ProxyKeyRing([first])), true);
    assert.equal(await opens(ring, new ProxyKeyRing([second])), false);
    assert.equal(await opens(new ProxyKeyRing([second]), ring), true);
  });

  it('reads the vault at prefetch, then serves from memory', async () => {
    const { source } = vaultSource(encoded(newKey()));
    await source.prefetch();
    const reads = vaultReads();
    assert.ok(reads > 0);
    await source.get();
    await source.get();
    assert.equal(vaultReads(), reads);
  });

  it('reuses the parsed ring while the secret is unchanged, and parses a new value', async () => {
    const { secretName, source } = vaultSource(encoded(newKey()), 1);
    const ring = await source.get();
    const reads = vaultReads();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await source.get(), ring, 'same secret value, same ring');
    assert.ok(vaultReads() > reads, 'the vault was read again');
    const rotated = newKey();
    emulator.setVaultSecret(secretName, encoded(rotated, newKey()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await source.get();
    assert.notEqual(next, ring);
    assert.equal(await opens(next, new ProxyKeyRing([rotated])), true);
  });

  for (const [name, value] of [
    ['not a key', 'LEAK-not-a-key-value-0123456789'],
    ['a 16-byte key', Buffer.from(randomBytes(16)).toString('base64url')],
    ['a good key and a bad one', `${encoded(newKey())},LEAK-bad-second-key`],
    ['standard base64 with + and /', `${'+/'.repeat(21)}A`],
  ] as const) {
    it(`refuses a secret holding ${name}: a CredentialError naming the secret, never its value`, async () => {
      const { secretName, source } = vaultSource(value);
      await assert.rejects(source.get(), (error: unknown) => {
        assert.ok(error instanceof CredentialError, String(error));
        assert.equal(error.code, 'credential_failed');
        assert.ok(error.message.includes(secretName), error.message);
        assert.ok(!error.message.includes(value), 'the value is not echoed');
        assert.ok(!error.message.includes('LEAK'), 'no part of the value is echoed');
        return true;
      });
    });
  }

  it('answers a missing secret with the source error', async () => {
    const { source } = vaultSource(undefined);
    await assert.rejects(
      source.get(),
      (error: unknown) => error instanceof CredentialError && error.code === 'secret_not_found',
    );
  });
});
