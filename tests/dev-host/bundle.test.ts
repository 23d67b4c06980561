// The bundle `npm run serve` serves is rebuilt exactly when it is missing or older than an input, and only once.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureBundle, staleReason } from '../../dev-host/bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let root: string;

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
const age = (path: string, seconds: number) => utimesSync(path, ago(seconds), ago(seconds));
/** Ages every file and folder under `dir` (files first: touching a file's times leaves its folder's alone). */
function ageTree(dir: string, seconds: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) ageTree(path, seconds);
    else age(path, seconds);
  }
  age(dir, seconds);
}

// A copy of the inputs (node_modules linked), so the test can age and touch files without touching the repository.
before(() => {
  root = mkdtempSync(join(tmpdir(), 'serve-bundle-'));
  for (const path of ['src', 'scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json'])
    cpSync(join(ROOT, path), join(root, path), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  ageTree(root, 300);
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('dev-host/bundle', () => {
  it('builds a missing bundle, then leaves a fresh one alone', () => {
    assert.equal(staleReason(root), 'not built yet');
    assert.equal(ensureBundle(undefined, root), 'not built yet');
    const bundle = join(root, 'dist', 'app', 'functions.mjs');
    const built = statSync(bundle).mtimeMs;
    assert.equal(staleReason(root), undefined);
    assert.equal(ensureBundle(undefined, root), undefined);
    assert.equal(statSync(bundle).mtimeMs, built, 'not rebuilt');
  });

  it('a source or the lock file newer than the bundle: rebuilt, naming what changed', () => {
    const bundle = join(root, 'dist', 'app', 'functions.mjs');
    age(bundle, 60);
    age(join(root, 'src', 'runtime.ts'), 30);
    assert.equal(staleReason(root), 'src/ changed since the last build');
    const logged: string[] = [];
    assert.equal(
      ensureBundle((line) => logged.push(line), root),
      'src/ changed since the last build',
    );
    assert.match(logged.join('\n'), /building .*functions\.mjs \(src\/ changed since the last build\)/);
    assert.equal(staleReason(root), undefined, 'the new bundle is newer than its inputs');
    age(bundle, 20);
    age(join(root, 'package-lock.json'), 10);
    assert.equal(staleReason(root), 'package-lock.json changed since the last build');
  });
});
