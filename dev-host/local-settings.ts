import { existsSync, readFileSync } from 'node:fs';

/**
 * Copies `Values` of a Core Tools `local.settings.json` into `env`, without overriding variables that are
 * already set (as `func start` does). Returns the names applied; a malformed file is an error.
 */
export function applyLocalSettings(path: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(path)) return [];
  let values: unknown;
  try {
    values = (JSON.parse(readFileSync(path, 'utf8')) as { Values?: unknown }).Values;
  } catch {
    throw new Error(`${path} is not valid JSON.`);
  }
  if (values === undefined) return [];
  if (typeof values !== 'object' || values === null) throw new Error(`${path}: "Values" must be an object.`);
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string' || env[name] !== undefined) continue;
    env[name] = value;
    applied.push(name);
  }
  return applied;
}
