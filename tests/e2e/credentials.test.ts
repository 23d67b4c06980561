// The three client-credential modes end to end: dev host (child process) → emulated Key Vault, managed
// identity endpoint and Entra ID token endpoint.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { runDevHostExpectingFailure, startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { connect, textOf } from '../helpers/mcp-client.js';

let emulator: Emulator;
const hosts: DevHost[] = [];

async function host(env: Record<string, string>): Promise<DevHost> {
  const h = await startDevHost(env);
  hosts.push(h);
  return h;
}

async function callSubscriptions(h: DevHost, user?: string) {
  const client = await connect(h.mcpUrl, await emulator.issueUserToken(user ? { user } : {}));
  try {
    return await client.callTool({ name: 'get_subscriptions', arguments: {} });
  } finally {
    await client.close();
  }
}

function oboRequests() {
  return emulator.tokenRequests.filter((r) => r.grantType.endsWith('jwt-bearer'));
}

before(async () => {
  emulator = await startEmulator();
});

after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await emulator?.stop();
});

beforeEach(() => emulator.resetCounts());

describe('OBO_CREDENTIAL=keyvault', () => {
  let kv: DevHost;
  before(async () => {
    kv = await host(emulator.env('keyvault'));
  });

  it('reads the secret from Key Vault once for 10 calls by two users (5 concurrent each)', async () => {
    const [alice, bob] = emulator.users;
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => callSubscriptions(kv, alice!.oid)),
      ...Array.from({ length: 5 }, () => callSubscriptions(kv, bob!.oid)),
    ]);
    for (const r of results) assert.equal(r.isError, undefined, textOf(r));
    const counts = emulator.counts();
    // One read: the SDK's unauthenticated challenge request plus the authenticated GET.
    assert.equal(counts['keyvault.secret'], 2);
    assert.equal(counts['identity.token'], 1, 'one managed identity token for Key Vault');
    assert.equal(counts['entra.token.obo'], 10, 'ten distinct user tokens, ten exchanges');
    for (const r of oboRequests()) assert.equal(r.clientAuth, 'secret');
  });

  it('recovers from a rotated secret within one call (re-reads Key Vault once, retries OBO once)', async () => {
    emulator.rotateClientSecret();
    const result = await callSubscriptions(kv);
    assert.equal(result.isError, undefined, textOf(result));
    const obo = oboRequests();
    assert.equal(obo.length, 2);
    assert.equal(obo[0]!.ok, false);
    assert.equal(obo[0]!.errorCode, 7000215);
    assert.equal(obo[1]!.ok, true);
    assert.equal(
      emulator.counts()['keyvault.secret'] ?? 0,
      1,
      'one more authenticated read; the challenge is cached',
    );
  });

  it('an Entra 503 is a retry-later tool error and does not lock other users out', async () => {
    emulator.injectFault('entra', { status: 503, times: 1 });
    const failed = await callSubscriptions(kv, emulator.users[0]!.oid);
    assert.equal(failed.isError, true);
    assert.match(textOf(failed), /\[obo_unavailable\]/);
    const ok = await callSubscriptions(kv, emulator.users[1]!.oid);
    assert.equal(ok.isError, undefined, textOf(ok));
  });
});

describe('OBO_CREDENTIAL=keyvault failures', () => {
  it('a wrong secret name: the caller gets an incident id, only the log names vault and secret', async () => {
    const h = await host({ ...emulator.env('keyvault'), KEY_VAULT_SECRET_NAME: 'no-such-secret' });
    const result = await callSubscriptions(h);
    assert.equal(result.isError, true);
    const text = textOf(result);
    assert.match(text, /\[secret_not_found\]/);
    for (const internal of [
      'no-such-secret',
      emulator.keyVaultUrl.replace(/\/$/, ''),
      emulator.clientSecret,
    ]) {
      assert.ok(!text.includes(internal), `the caller sees ${internal}`);
    }
    const incident = /incident ([A-Za-z0-9_-]+)/.exec(text)?.[1];
    assert.ok(incident, text);
    const logged = h
      .logs()
      .split('\n')
      .find((line) => line.includes(incident));
    assert.ok(logged?.includes('no-such-secret'), 'the log keeps the details under the incident id');
  });

  it('Key Vault down, then back: a retry-later tool error, then success without restart', async () => {
    const h = await host(emulator.env('keyvault'));
    await emulator.setDown('keyvault', true);
    try {
      const down = await callSubscriptions(h);
      assert.equal(down.isError, true);
      assert.match(textOf(down), /retry/i);
      assert.match(textOf(down), /\[keyvault_unavailable\]/);
    } finally {
      await emulator.setDown('keyvault', false);
    }
    const up = await callSubscriptions(h);
    assert.equal(up.isError, undefined, textOf(up));
  });

  it('Key Vault hanging: bounded by UPSTREAM_TIMEOUT_MS', async () => {
    const h = await host({ ...emulator.env('keyvault'), UPSTREAM_TIMEOUT_MS: '1500' });
    emulator.setHang('keyvault', true);
    const started = Date.now();
    try {
      const hung = await callSubscriptions(h);
      assert.equal(hung.isError, true);
      assert.match(textOf(hung), /\[keyvault_unavailable\]/);
      assert.ok(Date.now() - started < 10_000, 'answered within the time budget');
    } finally {
      emulator.setHang('keyvault', false);
    }
  });

  it('identity endpoint down, then back: a retry-later tool error, then success without restart', async () => {
    const h = await host(emulator.env('keyvault'));
    await emulator.setDown('identity', true);
    try {
      const down = await callSubscriptions(h);
      assert.equal(down.isError, true);
      assert.match(textOf(down), /\[identity_unavailable\]/);
    } finally {
      await emulator.setDown('identity', false);
    }
    const up = await callSubscriptions(h);
    assert.equal(up.isError, undefined, textOf(up));
  });
});

describe('OBO_CREDENTIAL=managed-identity (secretless)', () => {
  it('sends a managed-identity client_assertion and no client_secret', async () => {
    const h = await host(emulator.env('managed-identity'));
    const result = await callSubscriptions(h);
    assert.equal(result.isError, undefined, textOf(result));
    const obo = oboRequests();
    assert.equal(obo.length, 1);
    assert.equal(obo[0]!.clientAuth, 'assertion');
    assert.ok(obo[0]!.paramNames.includes('client_assertion'));
    assert.ok(obo[0]!.paramNames.includes('client_assertion_type'));
    assert.ok(!obo[0]!.paramNames.includes('client_secret'));
    assert.equal(emulator.counts()['keyvault.secret'] ?? 0, 0, 'no Key Vault in secretless mode');
  });

  it('reuses the cached managed-identity assertion token across users (no second cache needed)', async () => {
    const h = await host(emulator.env('managed-identity'));
    for (const u of emulator.users) {
      const result = await callSubscriptions(h, u.oid);
      assert.equal(result.isError, undefined, textOf(result));
    }
    assert.equal(emulator.counts()['entra.token.obo'], emulator.users.length);
    assert.equal(emulator.counts()['identity.token'], 1, 'one managed identity token for all assertions');
  });

  it('an identity the platform does not have is a clear tool error, not a crash', async () => {
    const h = await host({
      ...emulator.env('managed-identity'),
      MANAGED_IDENTITY_CLIENT_ID: '99999999-9999-4999-8999-999999999999',
    });
    const result = await callSubscriptions(h);
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\[(identity_unavailable|invalid_client)\]/);
  });
});

describe('OBO_CREDENTIAL=secret', () => {
  it('works and warns once at start that it is for local development', async () => {
    const h = await host(emulator.env('secret'));
    const result = await callSubscriptions(h);
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(h.logs().match(/local development only/g)?.length, 1);
    assert.ok(!h.logs().includes(emulator.clientSecret));
  });
});

describe('startup validation', () => {
  it('a missing setting for the chosen mode stops the host with its name', async () => {
    const { KEY_VAULT_URL: _omit, ...env } = emulator.env('keyvault');
    const { code, output } = await runDevHostExpectingFailure(env);
    assert.equal(code, 1);
    assert.match(output, /KEY_VAULT_URL/);
  });

  it('a secret next to keyvault mode is refused without echoing it', async () => {
    const { code, output } = await runDevHostExpectingFailure({
      ...emulator.env('keyvault'),
      OBO_CLIENT_SECRET: 'do-not-print-me-123',
    });
    assert.equal(code, 1);
    assert.match(output, /OBO_CLIENT_SECRET/);
    assert.ok(!output.includes('do-not-print-me-123'));
  });
});
