// infra/main.bicep compiled to an ARM template, offline (scripts/infra/bicep.mjs restores the pinned Bicep CLI
// from NuGet when it is not cached yet; never skipped).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The compiled template of infra/main.bicep, parsed. */
export function compileMain<T = unknown>(): T {
  const out = mkdtempSync(join(tmpdir(), 'infra-compiled-'));
  try {
    const armFile = join(out, 'main.json');
    const build = spawnSync(
      process.execPath,
      [join(root, 'scripts', 'infra', 'bicep.mjs'), 'build', armFile],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    assert.equal(build.status, 0, build.stderr);
    return JSON.parse(readFileSync(armFile, 'utf8')) as T;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
