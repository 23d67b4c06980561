// Standalone emulator (`npm run emulator -- [options]`, see USAGE): starts the four services, shows its users and how
// device codes are approved, writes the server's and the CLI's settings as `export` lines (to a file with
// --settings-file, else to stdout), prints `EMULATOR READY` and runs until SIGINT/SIGTERM. In `secret` mode the settings
// include the emulator's throwaway app secret.
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { envFileText, writeEnvFile } from './env-file.js';
import { startEmulator } from './index.js';
import type { CredentialMode, Emulator } from './index.js';

const MODES: CredentialMode[] = ['secret', 'keyvault', 'managed-identity'];
// Kept in the repository's git-ignored cache (the folder `npm test` uses too), so it outlives the emulator:
// NODE_EXTRA_CA_CERTS in a shell that loaded the settings keeps naming a file that exists.
const DEFAULT_CA_DIR = resolve(import.meta.dirname, '..', '.cache', 'emulator-ca');

const USAGE = `Usage: npm run emulator -- [--mode keyvault|managed-identity|secret] [--auto-approve <upn|oid>]
                           [--settings-file <path>] [--latency-ms <ms>] [--ca-dir <dir>]`;

interface Options {
  mode: CredentialMode;
  autoApprove: string | undefined;
  envFile: string | undefined;
  latencyMs: number;
  caDir: string;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      mode: { type: 'string', default: 'keyvault' },
      'auto-approve': { type: 'string' },
      'settings-file': { type: 'string' },
      'latency-ms': { type: 'string' },
      'ca-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const mode = values.mode as CredentialMode;
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
  const latency = values['latency-ms'] ?? process.env.EMULATOR_LATENCY_MS;
  const latencyMs = latency === undefined ? 0 : Number(latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error('--latency-ms must be a number >= 0');
  return {
    mode,
    autoApprove: values['auto-approve'],
    envFile: values['settings-file'],
    latencyMs,
    caDir: resolve(values['ca-dir'] ?? process.env.EMULATOR_CA_DIR ?? DEFAULT_CA_DIR),
  };
}

function describe(emulator: Emulator, opts: Options): string[] {
  const login = `${emulator.entraUrl}/devicelogin`;
  const users = emulator.users.map(
    (u) =>
      `  ${u.upn} (${u.name}, oid ${u.oid}): ${u.subscriptions.length} subscription${u.subscriptions.length === 1 ? '' : 's'}`,
  );
  const example = emulator.users[0]!.upn;
  const approval = opts.autoApprove
    ? [`Device codes: approved at once as ${opts.autoApprove}.`]
    : [
        'Device codes: not approved automatically. Approve each code the CLI shows, as one of the users:',
        `  curl --cacert ${join(opts.caDir, 'ca-cert.pem')} -d user_code=<CODE> -d user=${example} ${login}`,
        `  (or the form at ${login}), or restart with --auto-approve ${example}.`,
      ];
  return [
    `Local Azure emulator, OBO_CREDENTIAL=${opts.mode}:`,
    `  Entra ID          ${emulator.entraUrl}/${emulator.tenantId} (app ${emulator.clientId})`,
    `  ARM               ${emulator.armUrl}`,
    `  Key Vault         ${emulator.keyVaultUrl}`,
    `  Managed identity  ${emulator.identityEndpoint}`,
    'Users:',
    ...users,
    ...approval,
  ];
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const emulator = await startEmulator({
    latencyMs: opts.latencyMs,
    caDir: opts.caDir,
    ...(opts.autoApprove ? { autoApproveDeviceCode: opts.autoApprove } : {}),
  });
  if (opts.autoApprove && !emulator.users.some((u) => [u.upn, u.oid].includes(opts.autoApprove!))) {
    await emulator.stop();
    throw new Error(
      `--auto-approve: no user ${opts.autoApprove}; one of ${emulator.users.map((u) => u.upn).join(', ')}`,
    );
  }
  const env = emulator.env(opts.mode);
  const unset = `unset ${Object.keys(env).join(' ')}`;
  const out = describe(emulator, opts);
  const trust = [
    `NODE_EXTRA_CA_CERTS names the emulator's throwaway test CA, ${env.NODE_EXTRA_CA_CERTS}, which stays after`,
    'the emulator stops (Node reads it at start). To stop trusting it and forget these settings, open a new shell or:',
    `  ${unset}`,
  ];
  if (opts.envFile) {
    // npm runs scripts in the package folder; a relative path is the user's, from where they typed it.
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const path = resolve(cwd, opts.envFile);
    const shown = relative(cwd, path) || path;
    await writeEnvFile(
      path,
      envFileText(env, [
        `azure-obo-mcp emulator settings, valid while this emulator runs (its ports change at each start).`,
        `Load them in each shell that runs the server or the client: source ${shown}`,
        `Undo: ${unset}`,
      ]),
    );
    out.push(
      `Settings written to ${shown}. In each shell that runs the server or the client:`,
      `  source ${shown}`,
      ...trust,
    );
  } else {
    out.push(
      'Settings (paste into the shell that runs the server or the client, or use --settings-file <path>):',
      ...envFileText(env).trimEnd().split('\n'),
      ...trust,
    );
  }
  process.stdout.write(`${out.join('\n')}\nEMULATOR READY\n`);

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(err instanceof TypeError ? 2 : 1);
});
