// The standalone emulator's settings as a file a POSIX shell loads with `source` (or `.`).
import { randomBytes } from 'node:crypto';
import { chmod, rename, writeFile } from 'node:fs/promises';

/** `value` quoted for a POSIX shell: in single quotes, each ' written as '\''. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One `export NAME='value'` line per setting, after `header` as comments. */
export function envFileText(env: Record<string, string>, header: string[] = []): string {
  const lines = Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a shell variable name: ${name}`);
    return `export ${name}=${shellQuote(value)}`;
  });
  return `${[...header.map((h) => `# ${h.replace(/\n/g, ' ')}`), ...lines].join('\n')}\n`;
}

/** Writes `text` next to `path` and renames it over it, readable by its owner only (it may hold a secret). */
export async function writeEnvFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}
