// createRuntime: the start-up log of the client policy, and the start-up prefetch (runs once, never rejects, logs
// one line; failures are left to requests).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/index.js';
import { loadSettings } from '../src/config/settings.js';
import { CredentialError } from '../src/errors.js';
import type { ClientCredentialSource } from '../src/obo/credential-source.js';
import { createRuntime } from '../src/runtime.js';
import type { Logger } from '../src/util/log.js';

const BASE = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'x',
};

function capture(): { logger: Logger; info: string[]; warn: string[] } {
  const info: string[] = [];
  const warn: string[] = [];
  return {
    info,
    warn,
    logger: { info: (m) => info.push(m), warn: (m) => warn.push(m), error: (m) => warn.push(m) },
  };
}

describe('createRuntime logs the client application policy once', () => {
  it('the default list: this app and VS Code', () => {
    const log = capture();
    createRuntime(loadSettings(BASE), log.logger, {});
    const lines = log.info.filter((m) => m.includes('client applications allowed'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`${BASE.ENTRA_CLIENT_ID}, aebc6443-996d-45c2-90f0-388ff96faa56`));
    assert.deepEqual(
      log.warn.filter((m) => m.includes('ENTRA_ALLOWED_CLIENT_IDS')),
      [],
    );
  });

  it("'*' as a warning", () => {
    const log = capture();
    createRuntime(loadSettings({ ...BASE, ENTRA_ALLOWED_CLIENT_IDS: '*' }), log.logger, {});
    assert.equal(log.warn.filter((m) => m.includes('ENTRA_ALLOWED_CLIENT_IDS=*')).length, 1);
  });
});

describe("createRuntime warns about the sample settings' placeholder GUIDs", () => {
  const ZERO = '00000000-0000-0000-0000-000000000000';
  const placeholders = (env: Record<string, string>): string[] => {
    const log = capture();
    createRuntime(loadSettings({ ...BASE, ...env }), log.logger, {});
    return log.warn.filter((m) => m.includes('placeholder'));
  };

  it('one line per setting that holds it, naming the setting', () => {
    const lines = placeholders({ ENTRA_TENANT_ID: ZERO, ENTRA_CLIENT_ID: ZERO });
    assert.deepEqual(
      lines.map(
        (l) =>
          /^config: (\w+) is the placeholder all-zero GUID of local\.settings\.sample\.json/.exec(l)?.[1],
      ),
      ['ENTRA_TENANT_ID', 'ENTRA_CLIENT_ID'],
    );
    assert.equal(
      placeholders({
        OBO_CREDENTIAL: 'managed-identity',
        OBO_CLIENT_SECRET: '',
        MANAGED_IDENTITY_CLIENT_ID: ZERO,
      }).length,
      1,
    );
  });

  it('none for real ids', () => {
    assert.deepEqual(placeholders({}), []);
  });
});

let emulator: Emulator;

function recorder(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (message: string) => lines.push({ level: 'info', message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
  };
}

/** A credential source whose prefetch fails like an unreachable Key Vault, counting its calls. */
function failingSource(): ClientCredentialSource & { prefetches: number } {
  const source = {
    mode: 'keyvault' as const,
    prefetches: 0,
    get: () => Promise.reject(new CredentialError('keyvault_unavailable', 'Key Vault could not be reached.')),
    prefetch() {
      source.prefetches++;
      return Promise.reject(
        new CredentialError('keyvault_unavailable', 'Key Vault could not be reached; retry shortly.'),
      );
    },
    invalidate: () => false,
  };
  return source;
}

before(async () => {
  emulator = await startEmulator();
});

after(async () => {
  await emulator?.stop();
});

beforeEach(() => emulator.resetCounts());

describe('Runtime.prefetch', () => {
  it('warms discovery (v1, v2) and the v2 key set once, and logs one info line', async () => {
    const logger = recorder();
    const runtime = createRuntime(loadSettings(emulator.env('secret')), logger, {});
    await Promise.all([runtime.prefetch(), runtime.prefetch()]);
    await runtime.prefetch();
    assert.deepEqual(emulator.counts(), {
      'entra.discovery.v1': 1,
      'entra.discovery.v2': 1,
      'entra.jwks': 1,
    });
    assert.equal(logger.lines.filter((l) => l.message.startsWith('prefetch:')).length, 1);
    assert.equal(logger.lines.find((l) => l.message.startsWith('prefetch:'))?.level, 'info');
  });

  it('a failure resolves anyway, runs once and is logged once, naming what failed', async () => {
    await emulator.setDown('entra', true);
    try {
      const logger = recorder();
      const source = failingSource();
      const runtime = createRuntime(loadSettings(emulator.env('keyvault')), logger, {}, { source });
      await Promise.all([runtime.prefetch(), runtime.prefetch()]);
      await runtime.prefetch();
      assert.equal(source.prefetches, 1);
      const warnings = logger.lines.filter((l) => l.level === 'warn');
      assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
      assert.match(warnings[0]!.message, /^prefetch: /);
      assert.match(warnings[0]!.message, /Entra ID discovery and signing keys \(metadata_unavailable/);
      assert.match(warnings[0]!.message, /OBO credential \(keyvault_unavailable/);
      assert.match(warnings[0]!.message, /requests fetch them on demand/);
      assert.ok(!warnings[0]!.message.includes(emulator.clientSecret));
    } finally {
      await emulator.setDown('entra', false);
    }
  });

  it('after a failed prefetch, the request path fetches on demand', async () => {
    await emulator.setDown('entra', true);
    const runtime = createRuntime(loadSettings(emulator.env('secret')), recorder(), {});
    try {
      await runtime.prefetch();
    } finally {
      await emulator.setDown('entra', false);
    }
    // Past the discovery back-off (2 s), the first verification loads discovery and keys itself.
    await new Promise((r) => setTimeout(r, 2100));
    emulator.resetCounts();
    const user = await runtime.verifier.verify(await emulator.issueUserToken({}));
    assert.equal(user.oid, emulator.users[0]!.oid);
    assert.deepEqual(emulator.counts(), {
      'entra.discovery.v1': 1,
      'entra.discovery.v2': 1,
      'entra.jwks': 1,
    });
  });
});
