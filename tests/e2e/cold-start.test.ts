// Cold start: what a fresh instance asks of its upstreams, counted by the emulator (timings live in `npm run bench`).
// The start-up prefetch warms discovery, the key set and the OBO credential in parallel; the first tool call then
// costs exactly one OBO exchange and the ARM pages, and MSAL fetches no metadata of its own.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { CredentialMode, Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { connect, textOf } from '../helpers/mcp-client.js';

let emulator: Emulator;
const hosts: DevHost[] = [];
const PREFETCH_DONE = /prefetch: .*(ready|failed)/;

// As soon as it accepts requests, while the start-up prefetch still runs: the first request may race it.
async function host(env: Record<string, string>): Promise<DevHost> {
  const h = await startDevHost(env, [], { whileStarting: true });
  hosts.push(h);
  return h;
}

/** Polls `check` until it holds (a deadline, not a timing claim). */
async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const count = (key: string): number => emulator.counts()[key] ?? 0;

async function firstCall(h: DevHost): Promise<void> {
  const client = await connect(h.mcpUrl, await emulator.issueUserToken({}));
  try {
    const result = await client.callTool({ name: 'get_subscriptions', arguments: {} });
    assert.equal(result.isError, undefined, textOf(result));
  } finally {
    await client.close();
  }
}

// The first user's subscriptions span two ARM pages (page size 2).
const ARM_PAGES = 2;
const CREDENTIAL_REQUESTS: Record<CredentialMode, Record<string, number>> = {
  // The Key Vault SDK's unauthenticated challenge, then the read with a managed-identity token.
  keyvault: { 'identity.token': 1, 'keyvault.secret': 2 },
  'managed-identity': { 'identity.token': 1 },
  secret: {},
};
const METADATA_REQUESTS = { 'entra.discovery.v1': 1, 'entra.discovery.v2': 1, 'entra.jwks': 1 };

before(async () => {
  emulator = await startEmulator();
});

after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await emulator?.stop();
});

beforeEach(() => emulator.resetCounts());

for (const mode of ['keyvault', 'managed-identity'] as const) {
  describe(`cold start, OBO_CREDENTIAL=${mode}`, () => {
    it('prefetches discovery (each document once), the v2 key set and the credential at start', async () => {
      const h = await host(emulator.env(mode));
      await until('the prefetch', () => PREFETCH_DONE.test(h.logs()));
      assert.match(h.logs(), /prefetch: .* ready/);
      assert.deepEqual(emulator.counts(), { ...METADATA_REQUESTS, ...CREDENTIAL_REQUESTS[mode] });

      emulator.resetCounts();
      await firstCall(h);
      // Exactly one OBO exchange and the ARM pages: no discovery, key set, identity, Key Vault or MSAL
      // metadata request (MSAL's own would count as entra.discovery.v2 or entra.other).
      assert.deepEqual(emulator.counts(), { 'arm.subscriptions': ARM_PAGES, 'entra.token.obo': 1 });
    });

    it('a first request racing the prefetch shares its fetches (no duplicates)', async () => {
      const h = await host(emulator.env(mode));
      await firstCall(h);
      await until('the prefetch', () => PREFETCH_DONE.test(h.logs()));
      assert.deepEqual(emulator.counts(), {
        ...METADATA_REQUESTS,
        ...CREDENTIAL_REQUESTS[mode],
        'arm.subscriptions': ARM_PAGES,
        'entra.token.obo': 1,
      });
    });
  });
}

describe('cold start: prefetch parts run in parallel, not one after another', () => {
  it('with Entra ID hanging, the credential is still fetched', async () => {
    emulator.setHang('entra', true);
    try {
      const h = await host({ ...emulator.env('keyvault'), UPSTREAM_TIMEOUT_MS: '3000' });
      await until('the Key Vault read', () => count('keyvault.secret') === 2);
      assert.equal(count('identity.token'), 1);
      assert.equal(count('entra.jwks'), 0, 'the key set waits for discovery, which hangs');
      await until('the prefetch', () => PREFETCH_DONE.test(h.logs()));
    } finally {
      emulator.setHang('entra', false);
    }
  });

  it("with Key Vault hanging, the identity's token for it is already fetched (not after the challenge)", async () => {
    emulator.setHang('keyvault', true);
    try {
      const h = await host({ ...emulator.env('keyvault'), UPSTREAM_TIMEOUT_MS: '3000' });
      // Both at once: the challenge never answers, the token is asked for anyway.
      await until('the challenge and the managed identity token', () => {
        return count('keyvault.secret') === 1 && count('identity.token') === 1;
      });
      await until('the prefetch', () => PREFETCH_DONE.test(h.logs()));
    } finally {
      emulator.setHang('keyvault', false);
    }
  });

  it('with the identity endpoint hanging, discovery and the key set are still fetched', async () => {
    emulator.setHang('identity', true);
    try {
      const h = await host({ ...emulator.env('managed-identity'), UPSTREAM_TIMEOUT_MS: '3000' });
      await until('the key set', () => count('entra.jwks') === 1);
      assert.equal(count('entra.discovery.v1'), 1);
      assert.equal(count('entra.discovery.v2'), 1);
      await until('the prefetch', () => PREFETCH_DONE.test(h.logs()));
    } finally {
      emulator.setHang('identity', false);
    }
  });
});

describe('cold start: a failed prefetch', () => {
  it('is logged once, does not stop the host, and the first request fetches on demand', async () => {
    await emulator.setDown('keyvault', true);
    let h: DevHost;
    try {
      h = await host(emulator.env('keyvault'));
      await until('the prefetch', () => PREFETCH_DONE.test(h.logs()));
    } finally {
      await emulator.setDown('keyvault', false);
    }
    const lines = h
      .logs()
      .split('\n')
      .filter((l) => l.includes('prefetch:'));
    assert.equal(lines.length, 1, h.logs());
    assert.match(lines[0]!, /OBO credential \(keyvault_unavailable/);
    // Only the failed step: the warm-ups that need the credential are skipped, not failed (or retried) again.
    assert.doesNotMatch(lines[0]!, /MSAL|MCP server|modules/);
    assert.ok(!h.logs().includes(emulator.clientSecret));

    emulator.resetCounts();
    await firstCall(h);
    assert.equal(count('keyvault.secret'), 2, 'read on demand (challenge, then the read)');
    assert.equal(count('entra.token.obo'), 1);
  });
});
