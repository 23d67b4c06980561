import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Spawns `dev-host/serve.ts` on a free port with only `env` (a clean environment keeps tests honest about settings).
 * It serves the app bundle dist/app/functions.mjs, what the Functions host loads (scripts/test.mjs builds it first).
 */
function spawnServe(
  env: Record<string, string>,
  args: string[] = [],
): {
  child: ChildProcess & { stdout: Readable };
  output: { text: string };
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev-host/serve.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  child.stdout.on('data', (d: Buffer) => (output.text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
  return { child, output };
}

/** A dev host (`npm run serve`) running in a child process, with everything it logged. */
export interface DevHost {
  url: string;
  mcpUrl: string;
  logs: () => string;
  stop: () => Promise<void>;
  process: ChildProcess;
}

/**
 * Starts `dev-host/serve.ts [args]` in a child process with `env` (plus PORT=0) and waits until it is ready (its
 * start-up work done), or with `whileStarting` only until it accepts requests (a first request then races it).
 */
export async function startDevHost(
  env: Record<string, string>,
  args: string[] = [],
  options: { whileStarting?: boolean } = {},
): Promise<DevHost> {
  const { child, output } = spawnServe(env, args);
  const announcement = options.whileStarting
    ? /accepting requests: (http:\/\/[^\s]+)\/mcp/
    : /listening: (http:\/\/[^\s]+)\/mcp/;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev host did not start:\n${output.text}`)), 20_000);
    const check = () => {
      const match = announcement.exec(output.text);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev host exited with ${code}:\n${output.text}`));
    });
  });
  return {
    url,
    mcpUrl: `${url}/mcp`,
    logs: () => output.text,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs `dev-host/serve.ts` expecting it to fail at start; returns its exit code and output. */
export function runDevHostExpectingFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnServe(env);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.text });
    });
  });
}
