// Runs the client CLI (cli/cli.ts) as a child process, the way users and the demo run it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '../../emulator/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Exit code and output of one CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The client's environment for `emulator`: ENTRA_* and the emulator's CA, HOME pointed at `home`. */
export function clientEnv(emulator: Emulator, home: string): Record<string, string> {
  return {
    ENTRA_CLIENT_ID: emulator.clientId,
    ENTRA_TENANT_ID: emulator.tenantId,
    ENTRA_AUTHORITY_HOST: emulator.entraUrl,
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
    HOME: home,
  };
}

/** A CLI child process that is still running: its output so far, and its end. */
export interface StartedCli {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** Starts `node --import tsx cli/cli.ts ...args` with only PATH and `env`; kills it after `timeoutMs`. */
export function startCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): StartedCli {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Runs `node --import tsx cli/cli.ts ...args` with only PATH and `env`; kills it after `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return startCli(args, env, timeoutMs).done;
}

/** A JWT (header and payload): CLI output must never hold one unless asked to. */
export const JWT = /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./;

/** A run's exit code and output, for assertion messages. */
export const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A local port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
