import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import type { TokenCacheContext } from '@azure/msal-node';
import { defaultCachePath, fileCachePlugin, removeCache, writeFileAtomic } from '../../cli/cache-plugin.js';
import { ClientError, ExitCode } from '../../cli/exit-codes.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'obo-client-cache-'))));
after(async () => rm(dir, { recursive: true, force: true }));

describe('token cache file', () => {
  it('writes atomically with mode 0600 and leaves no temp file', async () => {
    const file = join(dir, 'atomic.json');
    await writeFileAtomic(file, '{"a":1}');
    await writeFileAtomic(file, '{"a":2}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('atomic')),
      ['atomic.json'],
    );
  });

  it('tightens a loosened cache file and rejects a corrupt one', async () => {
    const file = join(dir, 'loose.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    chmodSync(file, 0o644);
    let loaded = '';
    const ctx = { tokenCache: { deserialize: (t: string) => (loaded = t) } } as unknown as TokenCacheContext;
    await fileCachePlugin(file).beforeCacheAccess(ctx);
    assert.equal(loaded, '{}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, 'garbage');
    await assert.rejects(
      fileCachePlugin(file).beforeCacheAccess(ctx),
      (e: unknown) =>
        e instanceof ClientError && e.exitCode === ExitCode.signIn && /logout/.test(e.fix ?? ''),
    );
  });

  it('removes the temp file when writing fails, not only when the rename fails', async () => {
    const file = join(dir, 'failing.json');
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = mock.method(proto, 'sync', () => Promise.reject(new Error('EIO: simulated')));
    try {
      await assert.rejects(writeFileAtomic(file, '{"a":1}'), /simulated/);
    } finally {
      sync.mock.restore();
    }
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('failing')),
      [],
    );
  });

  it('logout removes the cache and leftover <cache>.*.tmp files, nothing else', async () => {
    const d = join(dir, 'logout');
    mkdirSync(d);
    const file = join(d, 'c.json');
    writeFileSync(join(d, 'c.json.1234.abcdef012345.tmp'), '{}');
    writeFileSync(join(d, 'keep.json.1.tmp'), '{}');
    writeFileSync(join(d, 'c.json.bak'), '{}');
    assert.equal(await removeCache(file), true, 'a leftover alone is removed too');
    assert.deepEqual(readdirSync(d).sort(), ['c.json.bak', 'keep.json.1.tmp']);
    writeFileSync(file, '{}');
    writeFileSync(join(d, 'c.json.99.ffffffffffff.tmp'), '{}');
    assert.equal(await removeCache(file), true);
    assert.deepEqual(readdirSync(d).sort(), ['c.json.bak', 'keep.json.1.tmp']);
    assert.equal(await removeCache(file), false);
    assert.equal(await removeCache(join(dir, 'no-such-dir', 'c.json')), false);
  });

  it('refuses a symlink, a non-regular file, and a file of another user', async () => {
    const ctx = { tokenCache: { deserialize: () => undefined } } as unknown as TokenCacheContext;
    const isCorrupt = (reason: RegExp) => (e: unknown) =>
      e instanceof ClientError &&
      e.exitCode === ExitCode.signIn &&
      /unreadable or corrupt/.test(e.message) &&
      reason.test(e.message);
    const target = join(dir, 'target.json');
    writeFileSync(target, '{}', { mode: 0o600 });
    const link = join(dir, 'link.json');
    symlinkSync(target, link);
    await assert.rejects(fileCachePlugin(link).beforeCacheAccess(ctx), isCorrupt(/symbolic link/));
    const sub = join(dir, 'a-directory.json');
    mkdirSync(sub);
    await assert.rejects(
      fileCachePlugin(sub).beforeCacheAccess(ctx),
      (e: unknown) =>
        e instanceof ClientError &&
        e.exitCode === ExitCode.signIn &&
        e.message === `The token cache ${sub} is a directory, not a regular file.` &&
        e.fix ===
          `--cache names the cache file itself: pass a file path, e.g. --cache ${join(sub, 'token-cache.json')}.`,
    );
    await assert.rejects(
      removeCache(sub),
      (e: unknown) =>
        e instanceof ClientError &&
        e.exitCode === ExitCode.usage &&
        e.message === `${sub} is a folder, not the token cache file; nothing removed.`,
    );
    assert.ok(statSync(sub).isDirectory(), 'the folder is left alone');
    if (process.getuid?.() === 0) {
      const foreign = join(dir, 'foreign.json');
      writeFileSync(foreign, '{}', { mode: 0o644 });
      chownSync(foreign, 4242, 4242);
      await assert.rejects(fileCachePlugin(foreign).beforeCacheAccess(ctx), isCorrupt(/owned by uid 4242/));
      assert.equal(statSync(foreign).mode & 0o777, 0o644, 'not touched');
    }
  });

  it('a FIFO at the cache path fails at once with a clear message instead of blocking the open', async () => {
    const ctx = { tokenCache: { deserialize: () => undefined } } as unknown as TokenCacheContext;
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    await assert.rejects(
      fileCachePlugin(fifo).beforeCacheAccess(ctx),
      (e: unknown) =>
        e instanceof ClientError &&
        e.exitCode === ExitCode.signIn &&
        e.message === `The token cache ${fifo} is a named pipe (FIFO), not a regular file.` &&
        /another --cache path/.test(e.fix ?? ''),
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it('a character device at the cache path is refused, not read', async () => {
    const ctx = { tokenCache: { deserialize: () => undefined } } as unknown as TokenCacheContext;
    await assert.rejects(
      fileCachePlugin('/dev/null').beforeCacheAccess(ctx),
      (e: unknown) => e instanceof ClientError && /is a device, not a regular file/.test(e.message),
    );
  });

  it('refuses a --cache folder others can write (read and write), tightens only the default folder', async () => {
    const ctx = {
      tokenCache: { deserialize: () => undefined, serialize: () => '{}' },
      cacheHasChanged: true,
    } as unknown as TokenCacheContext;
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const file = join(shared, 'c.json');
    const unsafe = (e: unknown) =>
      e instanceof ClientError &&
      e.exitCode === ExitCode.signIn &&
      e.message === `The token cache folder ${shared} is not safe for ${file}: writable by other users.` &&
      /chmod go-w/.test(e.fix ?? '');
    await assert.rejects(fileCachePlugin(file).beforeCacheAccess(ctx), unsafe);
    await assert.rejects(fileCachePlugin(file).afterCacheAccess(ctx), unsafe);
    assert.ok(!existsSync(file), 'nothing written into the unsafe folder');
    chmodSync(shared, 0o775);
    await assert.rejects(
      fileCachePlugin(file).beforeCacheAccess(ctx),
      (e: unknown) => e instanceof ClientError && /writable by its group/.test(e.message),
    );
    assert.equal(statSync(shared).mode & 0o777, 0o775, 'a --cache folder is not changed');
    await fileCachePlugin(file, { isDefault: true }).afterCacheAccess(ctx);
    assert.equal(statSync(shared).mode & 0o777, 0o700, 'the default folder is tightened');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(shared, 4242, 4242);
      chmodSync(shared, 0o700);
      await assert.rejects(
        fileCachePlugin(file).beforeCacheAccess(ctx),
        (e: unknown) => e instanceof ClientError && /owned by uid 4242, not by you/.test(e.message),
      );
    }
  });

  it('lives in $XDG_CACHE_HOME or ~/.cache', () => {
    assert.equal(defaultCachePath({ XDG_CACHE_HOME: '/x' }), '/x/azure-obo-mcp/token-cache.json');
    assert.match(defaultCachePath({}), /\.cache\/azure-obo-mcp\/token-cache\.json$/);
  });
});
