import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../src/config/settings.js';
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
