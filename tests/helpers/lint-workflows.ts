// `npm run workflows:check` (scripts/infra/lint-workflows.mjs) on variants of the shipped deploy workflow.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The lint's exit status and output on a repository whose only workflow is `deployYaml`. */
export function lintWorkflow(deployYaml: string): SpawnSyncReturns<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lint-workflows-'));
  try {
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'deploy.yml'), deployYaml);
    const lint = join(root, 'scripts', 'infra', 'lint-workflows.mjs');
    return spawnSync(process.execPath, [lint, dir], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shipped deploy.yml with `replacement` for `part`, which must be in it. */
export function deployWith(part: string | RegExp, replacement: string): string {
  const text = readFileSync(join(root, '.github', 'workflows', 'deploy.yml'), 'utf8');
  assert.ok(typeof part === 'string' ? text.includes(part) : part.test(text), String(part));
  return text.replace(part, replacement);
}

/** The shipped deploy.yml with one more step, running `command`, in the deploy job before Provision. */
export const deployRunning = (command: string): string =>
  deployWith(
    '      - name: Provision\n',
    `      - name: Extra\n        run: ${command}\n\n      - name: Provision\n`,
  );
