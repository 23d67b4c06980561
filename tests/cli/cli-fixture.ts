// The emulated Entra ID / ARM and a dev host for the CLI's end-to-end test files, one pair per file.
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** The CLI's environment, the dev host tied to the emulator's API (ENTRA_API_SERVER_URLS). */
  env: Record<string, string>;
  /** alice, who approves every device code. */
  alice: () => Emulator['users'][number];
  /** A fresh directory under home (not created). */
  newDir: () => string;
  /** A cache file in a fresh 0700 directory under home. */
  newCache: () => string;
  /** The CLI with --yes, the dev host and a cache file. */
  cli: (cache: string, ...args: string[]) => Promise<CliRun>;
  /** env with the test "browser": follows the authorize redirects and posts the form to the loopback. */
  browserEnv: () => Record<string, string>;
}

const FETCH_BROWSER = fileURLToPath(new URL('./fetch-browser.mjs', import.meta.url));

/**
 * Registers the file's before/after hooks; the fields are set once `before` ran. `hostEnv` gives the dev
 * host's settings (default: the emulator's Key Vault credential mode).
 */
export function cliFixture(
  hostEnv: (emulator: Emulator) => Record<string, string> = (e) => e.env('keyvault'),
): CliFixture {
  let dirs = 0;
  const f = {
    alice: () => f.emulator.users[0]!,
    newDir: () => join(f.home, `run-${++dirs}`),
    newCache: () => {
      const dir = f.newDir();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return join(dir, 'c.json');
    },
    cli: (cache: string, ...args: string[]) =>
      runCli(['--yes', '--server', f.host.mcpUrl, '--cache', cache, ...args], f.env),
    browserEnv: (): Record<string, string> => ({ ...f.env, BROWSER: `${process.execPath} ${FETCH_BROWSER}` }),
  } as CliFixture;

  before(async () => {
    f.emulator = await startEmulator({ autoApproveDeviceCode: 'alice@contoso.example' });
    f.host = await startDevHost(hostEnv(f.emulator));
    f.home = await mkdtemp(join(tmpdir(), 'obo-client-test-'));
    // The dev host is this API's server: the CLI may send it a token for the api:// scope.
    f.env = { ...clientEnv(f.emulator, f.home), ENTRA_API_SERVER_URLS: f.host.mcpUrl };
  });
  after(async () => {
    await f.host?.stop();
    await f.emulator?.stop();
    if (f.home) await rm(f.home, { recursive: true, force: true });
  });
  beforeEach(() => f.emulator.resetCounts());
  return f;
}
