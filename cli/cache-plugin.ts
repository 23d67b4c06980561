import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { ClientError } from './exit-codes.js';

/** The per-user cache directory of the CLI (`$XDG_CACHE_HOME/azure-obo-mcp`, else `~/.cache/azure-obo-mcp`). */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'azure-obo-mcp');
  const base = env.XDG_CACHE_HOME?.trim() ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'azure-obo-mcp');
}

/** The default token cache file. */
export function defaultCachePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(defaultCacheDir(env), 'token-cache.json');
}

function corrupt(path: string, cause?: unknown, reason?: string): ClientError {
  return new ClientError(
    'sign_in',
    `The token cache ${path} is unreadable or corrupt${reason ? ` (${reason})` : ''}.`,
    {
      fix: `Run "azure-obo-mcp logout" (or delete ${path}) and sign in again.`,
      cause,
    },
  );
}

function kindOf(info: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

function unsafeFolder(path: string, dir: string, reason: string): ClientError {
  return new ClientError('sign_in', `The token cache folder ${dir} is not safe for ${path}: ${reason}.`, {
    fix: `Keep the cache in a folder only you can write (e.g. chmod go-w ${dir}), or pass another --cache path.`,
  });
}

/**
 * The cache's folder must be yours (or root's) and writable by nobody else: whoever can write the folder can
 * swap the file between runs. The default folder is ours to tighten; a --cache folder is only checked.
 */
async function checkFolder(path: string, isDefault: boolean): Promise<void> {
  if (process.platform === 'win32') return;
  const dir = dirname(path);
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unsafeFolder(path, dir, 'it cannot be read');
  }
  if (!info.isDirectory()) throw unsafeFolder(path, dir, 'not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid && info.uid !== 0)
    throw unsafeFolder(path, dir, `owned by uid ${info.uid}, not by you (uid ${uid})`);
  if ((info.mode & 0o022) === 0) return;
  if (isDefault && info.uid === uid) {
    await chmod(dir, 0o700);
    return;
  }
  throw unsafeFolder(path, dir, `writable by ${info.mode & 0o002 ? 'other users' : 'its group'}`);
}

/**
 * Opens the cache without following a symlink and without blocking (a FIFO at the path would otherwise hang
 * the open), then checks the opened file itself (no race with a swap): a regular file owned by this user,
 * tightened to 0600 if someone loosened it (it holds refresh tokens).
 */
async function openCache(path: string, isDefault: boolean): Promise<FileHandle | undefined> {
  await checkFolder(path, isDefault);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw corrupt(
      path,
      error,
      code === 'ELOOP' ? 'a symbolic link' : code === 'ENXIO' ? 'a socket or device' : undefined,
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new ClientError('sign_in', `The token cache ${path} is ${kindOf(info)}, not a regular file.`, {
        fix: info.isDirectory()
          ? `--cache names the cache file itself: pass a file path, e.g. --cache ${join(path, 'token-cache.json')}.`
          : `Remove ${path} (azure-obo-mcp logout) or pass another --cache path.`,
      });
    const uid = process.getuid?.();
    if (uid !== undefined && info.uid !== uid)
      throw corrupt(path, undefined, `owned by uid ${info.uid}, not by you (uid ${uid})`);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) await handle.chmod(0o600);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof ClientError ? error : corrupt(path, error);
  }
}

/** Reads the cache file; undefined when it does not exist. Throws a sign-in ClientError when unusable. */
async function readCache(path: string, isDefault: boolean): Promise<string | undefined> {
  const handle = await openCache(path, isDefault);
  if (!handle) return undefined;
  let text: string;
  try {
    text = await handle.readFile('utf8');
  } catch (error) {
    throw corrupt(path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
  } catch (error) {
    throw corrupt(path, error);
  }
  return text;
}

/** Writes `text` to `path` atomically: a 0600 temp file next to it, fsync, then rename over it. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // Never leave a (possibly partial) copy of the tokens behind.
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Creates the cache's directory (0700); the default directory is tightened to 0700 if it already exists. */
async function ensureDir(path: string, isDefault: boolean): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (isDefault && process.platform !== 'win32') await chmod(dir, 0o700);
  await checkFolder(path, isDefault);
}

/**
 * MSAL cache plugin persisting the token cache in a file only the user can read (0600, directory 0700),
 * written atomically so an interrupted run never leaves a truncated cache.
 */
export function fileCachePlugin(path: string, options: { isDefault?: boolean } = {}): ICachePlugin {
  return {
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      const text = await readCache(path, options.isDefault ?? false);
      if (text === undefined) return;
      try {
        context.tokenCache.deserialize(text);
      } catch (error) {
        throw corrupt(path, error);
      }
    },
    async afterCacheAccess(context: TokenCacheContext): Promise<void> {
      if (!context.cacheHasChanged) return;
      await ensureDir(path, options.isDefault ?? false);
      await writeFileAtomic(path, context.tokenCache.serialize());
    },
  };
}

/** Deletes the cache file and leftover temp files of interrupted writes (`<path>.*.tmp`); true when there was any. */
export async function removeCache(path: string): Promise<boolean> {
  let removed = false;
  try {
    await rm(path);
    removed = true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Never a folder: `--cache` names the cache file, and the folder may hold anything.
    if (code === 'ERR_FS_EISDIR' || code === 'EISDIR')
      throw new ClientError('usage', `${path} is a folder, not the token cache file; nothing removed.`, {
        fix: `--cache names the cache file itself, e.g. --cache ${join(path, 'token-cache.json')}.`,
      });
    if (code !== 'ENOENT') throw error;
  }
  const prefix = `${basename(path)}.`;
  let names: string[] = [];
  try {
    names = await readdir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const leftovers = names.filter(
    (name) => name.length > prefix.length + 4 && name.startsWith(prefix) && name.endsWith('.tmp'),
  );
  for (const name of leftovers) {
    const gone = await rm(join(dirname(path), name), { force: true }).then(
      () => true,
      () => false,
    );
    removed ||= gone;
  }
  return removed;
}
