// The emulated Entra ID / ARM and a dev host for the CLI's end-to-end files (cli*.test.ts), one per file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { startEmulator } from '../../emulator/index.js';
import type { Emulator } from '../../emulator/index.js';
import { startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';
import { clientEnv, runCli } from './run-cli.js';
import type { CliRun } from './run-cli.js';

export interface CliFixture {
  emulator: Emulator;
  /** The dev host (Key Vault credential mode) in front of the emulator. */
  host: DevHost;
  /** HOME of the CLI runs, removed at the end. */
  home: string;
  env: Record<string, string>;
  /** alice, who approves every device code. */
  alice: () => Emulator['users'][number];
  /** A fresh directory under home (not created). */
  newDir: () => string;
  /** The CLI with --yes, the dev host and a cache file. */
  cli: (cache: string, ...args: string[]) => Promise<CliRun>;
}

/** Registers the file's before/after hooks; the fields are set once `before` ran. */
export function cliFixture(): CliFixture {
  let dirs = 0;
  const f = {
    alice: () => f.emulator.users[0]!,
    newDir: () => join(f.home, `run-${++dirs}`),
    cli: (cache: string, ...args: string[]) =>
      runCli(['--yes', '--server', f.host.mcpUrl, '--cache', cache, ...args], f.env),
  } as CliFixture;

  before(async () => {
    f.emulator = await startEmulator({ autoApproveDeviceCode: 'alice@contoso.example' });
    f.host = await startDevHost(f.emulator.env('keyvault'));
    f.home = await mkdtemp(join(tmpdir(), 'obo-client-test-'));
    f.env = clientEnv(f.emulator, f.home);
  });
  after(async () => {
    await f.host?.stop();
    await f.emulator?.stop();
    if (f.home) await rm(f.home, { recursive: true, force: true });
  });
  beforeEach(() => f.emulator.resetCounts());
  return f;
}
