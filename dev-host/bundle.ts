// The app bundle `npm run serve` serves: dist/app/functions.mjs, what the Functions host loads (package.json
// "main"), rebuilt with scripts/bundle.mjs when missing or older than any of its inputs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const bundleOf = (root: string): string => join(root, 'dist', 'app', 'functions.mjs');
/** The bundle of this repository. */
export const BUNDLE = bundleOf(ROOT);
// What esbuild reads: the app's sources, the bundler script, the dependency versions and the TypeScript options.
const INPUT_FILES = ['scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json'];
const INPUT_DIRS = ['src'];
const LOCK_STALE_MS = 120_000;

function newestIn(dir: string): number {
  let newest = statSync(dir).mtimeMs; // a file removed or renamed changes its folder
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Why the bundle of `root` needs building, or undefined when it is newer than every input. */
export function staleReason(root = ROOT): string | undefined {
  let built: number;
  try {
    built = statSync(bundleOf(root)).mtimeMs;
  } catch {
    return 'not built yet';
  }
  const inputs = [
    ...INPUT_FILES.map((file) => ({ name: file, mtime: statSync(join(root, file)).mtimeMs })),
    ...INPUT_DIRS.map((dir) => ({ name: `${dir}/`, mtime: newestIn(join(root, dir)) })),
  ];
  const newer = inputs.filter((input) => input.mtime > built).map((input) => input.name);
  return newer.length > 0 ? `${newer.join(', ')} changed since the last build` : undefined;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Holds a lock directory while `fn` runs, so concurrent starts build once, one after another. */
function withLock<T>(root: string, fn: () => T): T {
  const lock = join(root, 'dist', '.bundle.lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left behind by a killed build does not block forever.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (!held) continue; // released meanwhile
      if (Date.now() - held.mtimeMs > LOCK_STALE_MS || Date.now() > deadline)
        rmSync(lock, { recursive: true, force: true });
      else sleep(100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the bundle of `root` when it is missing or stale (the entry and its chunks only, not dist/deploy); returns
 * why it was built, or undefined when it was up to date. Throws when the build fails.
 */
export function ensureBundle(log: (line: string) => void = () => undefined, root = ROOT): string | undefined {
  if (staleReason(root) === undefined) return undefined;
  return withLock(root, () => {
    const reason = staleReason(root); // another process may have built it meanwhile
    if (reason === undefined) return undefined;
    const bundle = bundleOf(root);
    log(`building ${bundle} (${reason})…`);
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), bundle], {
      cwd: root,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`the bundle failed to build:\n${build.stderr || build.stdout}`);
    const now = new Date();
    utimesSync(bundle, now, now); // built now, also when esbuild left an unchanged file as it was
    return reason;
  });
}

// `node --import tsx dev-host/bundle.ts`: builds the bundle if needed (scripts/test.mjs, before the tests).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    ensureBundle((line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
