import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyLocalSettings } from '../../dev-host/local-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'local-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('applyLocalSettings', () => {
  it('copies Values without overriding the environment', () => {
    const path = join(dir, 'local.settings.json');
    writeFileSync(
      path,
      JSON.stringify({ IsEncrypted: false, Values: { A: 'from-file', B: 'from-file', N: 5 } }),
    );
    const env: NodeJS.ProcessEnv = { A: 'from-env' };
    assert.deepEqual(applyLocalSettings(path, env), ['B']);
    assert.equal(env.A, 'from-env');
    assert.equal(env.B, 'from-file');
    assert.equal(env.N, undefined, 'non-string values are ignored');
  });

  it('ignores a missing file and rejects a malformed one', () => {
    assert.deepEqual(applyLocalSettings(join(dir, 'absent.json'), {}), []);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    assert.throws(() => applyLocalSettings(bad, {}), /not valid JSON/);
  });
});
