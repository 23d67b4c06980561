#!/usr/bin/env node
// Runs the test suite with node's test runner. The emulator's throwaway CA is created first and handed to
// every test process through NODE_EXTRA_CA_CERTS, which Node reads only at process start; the app bundle the dev
// host serves is built first when missing or stale.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const caDir = process.env.EMULATOR_CA_DIR ?? join(root, '.cache', 'emulator-ca');

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests(join(root, 'tests'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

const ca = spawnSync(process.execPath, ['--import', 'tsx', 'emulator/ca.ts', caDir], {
  cwd: root,
  encoding: 'utf8',
});
if (ca.status !== 0) {
  process.stderr.write(ca.stderr);
  process.exit(ca.status ?? 1);
}
const caCert = ca.stdout.trim();

// The dev host serves the app bundle (dist/app/functions.mjs): build it once here, when missing or stale, rather
// than in whichever test starts a host first.
const bundle = spawnSync(process.execPath, ['--import', 'tsx', 'dev-host/bundle.ts'], {
  cwd: root,
  stdio: 'inherit',
});
if (bundle.status !== 0) process.exit(bundle.status ?? 1);

const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=300000', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caCert, EMULATOR_CA_DIR: caDir },
  },
);
process.exit(run.status ?? 1);
