import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
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

function corrupt(path: string, cause?: unknown): ClientError {
  return new ClientError('sign_in', `The token cache ${path} is unreadable or corrupt.`, {
    fix: `Run "azure-obo-mcp logout" (or delete ${path}) and sign in again.`,
    cause,
  });
}

/** Reads the cache file; undefined when it does not exist. Throws a sign-in ClientError when unusable. */
async function readCache(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corrupt(path, error);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
  } catch (error) {
    throw corrupt(path, error);
  }
  // Someone loosened the file's mode: tighten it back (the cache holds refresh tokens).
  if (process.platform !== 'win32') {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) await chmod(path, 0o600);
  }
  return text;
}

/** Writes `text` to `path` atomically: a 0600 temp file next to it, fsync, then rename over it. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Creates the cache's directory (0700); the default directory is tightened to 0700 if it already exists. */
async function ensureDir(path: string, isDefault: boolean): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (isDefault && process.platform !== 'win32') await chmod(dir, 0o700);
}

/**
 * MSAL cache plugin persisting the token cache in a file only the user can read (0600, directory 0700),
 * written atomically so an interrupted run never leaves a truncated cache.
 */
export function fileCachePlugin(path: string, options: { isDefault?: boolean } = {}): ICachePlugin {
  return {
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      const text = await readCache(path);
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

/** Deletes the cache file; true when there was one. */
export async function removeCache(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
