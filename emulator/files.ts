// Atomic publication of small generated files (CA, signing key) shared by concurrent processes.
import { randomBytes } from 'node:crypto';
import { link, rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes `content` to `path` atomically. Without `replace`, an existing file wins (first writer wins,
 * via a hard link that fails with EEXIST); with `replace`, the file is swapped in by rename.
 */
export async function writeOnce(path: string, content: string, replace = false): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    if (replace) {
      await rename(tmp, path);
      return;
    }
    await link(tmp, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
