import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenCredential } from '@azure/identity';
import { startEmulator } from '../../emulator/index.js';
import { CredentialError } from '../../src/errors.js';
import { managedIdentityCredential } from '../../src/obo/identity.js';
import { KeyVaultCredentialSource, isLoopbackUrl, vaultScope } from '../../src/obo/keyvault-source.js';
import type { SecretReader } from '../../src/obo/keyvault-source.js';
import type { Logger } from '../../src/util/log.js';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noIdentity = {} as TokenCredential;

/** A fake vault: `value` is what it holds, `down` makes reads fail like an unreachable vault. */
function vault(initial: string) {
  const state = { value: initial, down: false, reads: 0, status: 0 };
  const client: SecretReader = {
    getSecret: async (name: string) => {
      state.reads++;
      await new Promise((r) => setTimeout(r, 5));
      if (state.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      if (state.status) throw Object.assign(new Error('nope'), { statusCode: state.status });
      return { name, value: state.value, properties: { name, vaultUrl: 'https://kv.example' } };
    },
  };
  return { state, client };
}

function source(client: SecretReader, clock: { t: number }) {
  return new KeyVaultCredentialSource({
    vaultUrl: 'https://kv-test.vault.azure.net',
    secretName: 'obo-client-secret',
    ttlMs: 3_600_000,
    timeoutMs: 1000,
    identity: noIdentity,
    logger: silent,
    client,
    now: () => clock.t,
  });
}

function secretOf(c: { credential: unknown }): string | undefined {
  return (c.credential as { clientSecret?: string }).clientSecret;
}

describe('KeyVaultCredentialSource', () => {
  it('reads once for concurrent first requests and caches for the TTL', async () => {
    const { state, client } = vault('s1');
    const clock = { t: 0 };
    const src = source(client, clock);
    const all = await Promise.all(Array.from({ length: 10 }, () => src.get()));
    assert.ok(all.every((c) => secretOf(c) === 's1'));
    assert.equal(state.reads, 1);
    clock.t = 3_599_000;
    await src.get();
    assert.equal(state.reads, 1);
    clock.t = 3_600_001;
    await src.get();
    assert.equal(state.reads, 2);
  });

  it('a rejected secret is re-read once, and not again within the rate limit', async () => {
    const { state, client } = vault('old');
    const clock = { t: 0 };
    const src = source(client, clock);
    const first = await src.get();
    state.value = 'new';
    assert.equal(src.invalidate(first.key), true);
    const second = await src.get();
    assert.equal(secretOf(second), 'new');
    assert.equal(state.reads, 2);
    // The vault now holds a secret Entra also rejects: no hammering within 30 s.
    clock.t = 10_000;
    assert.equal(src.invalidate(second.key), false);
    assert.equal(secretOf(await src.get()), 'new');
    assert.equal(state.reads, 2);
    clock.t = 40_000;
    assert.equal(src.invalidate(second.key), true);
  });

  it('serves the last good secret while Key Vault is down, within the staleness cap', async () => {
    const { state, client } = vault('s1');
    const clock = { t: 0 };
    const src = source(client, clock);
    await src.get();
    state.down = true;
    clock.t = 3_600_001; // TTL over, vault unreachable
    assert.equal(secretOf(await src.get()), 's1');
    clock.t = 25 * 3_600_000; // past 24 h of staleness
    await assert.rejects(
      src.get(),
      (e: unknown) => e instanceof CredentialError && e.code === 'keyvault_unavailable',
    );
    state.down = false;
    assert.equal(secretOf(await src.get()), 's1');
  });

  it('re-checks an unreachable vault at most once a minute while serving the last good secret', async () => {
    const { state, client } = vault('s1');
    const clock = { t: 0 };
    const src = source(client, clock);
    await src.get();
    state.down = true;
    clock.t = 3_600_001;
    await src.get();
    assert.equal(state.reads, 2);
    clock.t += 59_000;
    assert.equal(secretOf(await src.get()), 's1');
    assert.equal(state.reads, 2);
    clock.t += 2_000;
    assert.equal(secretOf(await src.get()), 's1');
    assert.equal(state.reads, 3);
  });

  it('keeps the last good secret through a permanent failure for a later outage', async () => {
    const { state, client } = vault('s1');
    const clock = { t: 0 };
    const src = source(client, clock);
    await src.get();
    state.status = 403;
    clock.t = 3_600_001;
    await assert.rejects(
      src.get(),
      (e: unknown) => e instanceof CredentialError && e.code === 'keyvault_forbidden',
    );
    state.status = 0;
    state.down = true;
    assert.equal(secretOf(await src.get()), 's1');
  });

  it('fails closed with a configuration error when there is nothing good to serve', async () => {
    const { state, client } = vault('s1');
    state.status = 404;
    const src = source(client, { t: 0 });
    await assert.rejects(src.get(), (e: unknown) => {
      assert.ok(e instanceof CredentialError);
      assert.equal(e.code, 'secret_not_found');
      assert.match(e.message, /obo-client-secret/);
      assert.match(e.message, /kv-test\.vault\.azure\.net/);
      return true;
    });
    state.status = 403;
    await assert.rejects(
      src.get(),
      (e: unknown) => e instanceof CredentialError && e.code === 'keyvault_forbidden',
    );
  });

  it('relaxes the challenge check only for loopback vaults', () => {
    assert.equal(isLoopbackUrl('https://127.0.0.1:8443/'), true);
    assert.equal(isLoopbackUrl('https://localhost:1/'), true);
    assert.equal(isLoopbackUrl('https://kv.vault.azure.net/'), false);
    assert.equal(isLoopbackUrl('https://127.0.0.1.nip.io/'), false);
  });

  it('names the scope the vault will challenge for: its DNS suffix', () => {
    assert.equal(vaultScope('https://kv.vault.azure.net'), 'https://vault.azure.net/.default');
    assert.equal(vaultScope('https://KV.Vault.Azure.CN/'), 'https://vault.azure.cn/.default');
    assert.equal(
      vaultScope('https://kv.vault.usgovcloudapi.net'),
      'https://vault.usgovcloudapi.net/.default',
    );
    assert.equal(vaultScope('https://127.0.0.1:8443'), 'https://vault.azure.net/.default');
    assert.equal(vaultScope('https://secrets.contoso.example'), undefined);
    assert.equal(vaultScope('https://kv.notvault.azure.net.example'), undefined);
  });

  it('with primeIdentity, the prefetch asks for the vault token alongside the read', async () => {
    for (const primeIdentity of [true, false]) {
      const asked: { scopes: string | string[]; enableCae: boolean | undefined }[] = [];
      const identity: TokenCredential = {
        getToken: (scopes, options) => {
          asked.push({ scopes, enableCae: options?.enableCae });
          return Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 });
        },
      };
      const { state, client } = vault('s1');
      const src = new KeyVaultCredentialSource({
        vaultUrl: 'https://kv-test.vault.azure.net',
        secretName: 'obo-client-secret',
        ttlMs: 3_600_000,
        timeoutMs: 1000,
        identity,
        primeIdentity,
        logger: silent,
        client,
      });
      await src.prefetch();
      assert.equal(state.reads, 1);
      assert.deepEqual(
        asked,
        primeIdentity ? [{ scopes: 'https://vault.azure.net/.default', enableCae: true }] : [],
      );
    }
  });
});

describe('KeyVaultCredentialSource with the Key Vault SDK (emulator)', () => {
  it('the vault read uses the primed managed-identity token: one token request in all', async () => {
    const emulator = await startEmulator();
    const saved = { ...process.env };
    try {
      // The managed identity credential reads its endpoint from the environment, as on App Service.
      Object.assign(process.env, emulator.env('keyvault'));
      const identity = managedIdentityCredential(emulator.env('keyvault').MANAGED_IDENTITY_CLIENT_ID);
      let requests = 0;
      const counting: TokenCredential = {
        getToken: (scopes, options) => {
          requests++;
          return identity.getToken(scopes, options);
        },
      };
      const src = new KeyVaultCredentialSource({
        vaultUrl: emulator.keyVaultUrl,
        secretName: 'obo-client-secret',
        ttlMs: 3_600_000,
        timeoutMs: 5000,
        identity: counting,
        primeIdentity: true,
        logger: silent,
      });
      await src.prefetch();
      assert.equal(secretOf(await src.get()), emulator.clientSecret);
      assert.equal(requests, 1);
      assert.deepEqual(emulator.counts(), { 'identity.token': 1, 'keyvault.secret': 2 });
    } finally {
      process.env = saved;
      await emulator.stop();
    }
  });
});
