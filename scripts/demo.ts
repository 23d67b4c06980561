#!/usr/bin/env node
// `npm run demo`: the whole On-Behalf-Of flow offline in one command. Starts the local Azure emulator
// in-process (device codes approved automatically for a demo user), the MCP dev host as a child process
// against it (OBO_CREDENTIAL=keyvault), and the azure-obo-mcp client twice (device code, then silently from
// the token cache). Every line is prefixed with the component that printed it. Stops everything it started,
// also on failure and on Ctrl-C.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/index.js';
import type { Emulator, EmulatorUser } from '../emulator/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The demo's signed-in user: three subscriptions, i.e. two ARM pages of two. */
export const DEMO_USER: EmulatorUser = {
  oid: 'd3a0d3a0-0000-4000-8000-0000000d3a00',
  upn: 'dana@contoso.example',
  name: 'Dana Demo',
  subscriptions: [
    {
      subscriptionId: 'aaaaaaaa-1111-4aaa-8aaa-aaaaaaaaaaaa',
      displayName: 'Contoso Production',
      state: 'Enabled',
      resourceGroups: [
        {
          name: 'rg-web',
          location: 'westeurope',
          resources: [{ name: 'contoso-web', type: 'Microsoft.Web/sites', location: 'westeurope' }],
        },
        {
          name: 'rg-data',
          location: 'northeurope',
          resources: [{ name: 'contoso-sql', type: 'Microsoft.Sql/servers', location: 'northeurope' }],
        },
      ],
    },
    {
      subscriptionId: 'bbbbbbbb-2222-4bbb-8bbb-bbbbbbbbbbbb',
      displayName: 'Contoso Dev/Test',
      state: 'Enabled',
      resourceGroups: [{ name: 'rg-dev', location: 'eastus', resources: [] }],
    },
    {
      subscriptionId: 'cccccccc-3333-4ccc-8ccc-cccccccccccc',
      displayName: 'Contoso Sandbox',
      state: 'Warned',
      resourceGroups: [],
    },
  ],
};

/** Options of runDemo. */
export interface DemoOptions {
  /** Receives every output line (default: stdout). */
  write?: (line: string) => void;
  /** Aborting stops the demo and everything it started (Ctrl-C). */
  signal?: AbortSignal;
}

/** Outcome of runDemo. */
export interface DemoResult {
  exitCode: number;
  durationMs: number;
}

class DemoFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

// @azure/functions announces that it runs outside the Functions host; true, and expected for the dev host.
const NOISE =
  /Failed to detect the Azure Functions runtime|because the "@azure\/functions" package is in test mode/;

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, write: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (!NOISE.test(line)) write(`${prefix} ${line}`);
  });
}

/** Runs the demo; resolves with its exit code (0 = the flow worked end to end). Never rejects. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string) => write(`[demo]     ${line}`);
  const children = new Set<ChildProcess>();
  let emulator: Emulator | undefined;
  let emulatorStarting: Promise<Emulator> | undefined;
  let hostStartTimer: NodeJS.Timeout | undefined;
  let tempDir: string | undefined;

  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(new DemoFailure('interrupted', 130));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);

  const spawnChild = (name: string, args: string[], env: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const prefix = `[${name}]`.padEnd(10);
    prefixLines(child.stdout, prefix, write);
    prefixLines(child.stderr, prefix, write);
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<number>((resolve) => {
      // Exited already: with a code, or killed by a signal (exitCode stays null then).
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? 128);
      else child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
    });

  try {
    say('Starting the local Azure emulator (Entra ID, ARM, Key Vault, managed identity endpoint)...');
    // The CA the test runner uses too (.cache/ is git-ignored): created once, reused by later runs.
    const caDir = process.env.EMULATOR_CA_DIR ?? join(ROOT, '.cache', 'emulator-ca');
    emulatorStarting = startEmulator({
      users: [DEMO_USER],
      autoApproveDeviceCode: DEMO_USER.upn,
      armPageSize: 2,
      caDir,
    });
    emulator = await Promise.race([emulatorStarting, aborted]);
    const em = emulator;
    write(`[emulator] Entra ID  ${em.entraUrl}/${em.tenantId}`);
    write(`[emulator] ARM       ${em.armUrl} (pages of 2)`);
    write(`[emulator] Key Vault ${em.keyVaultUrl} (holds the app's client secret)`);
    write(
      `[emulator] app registration ${em.clientId}; device codes are approved automatically as ${DEMO_USER.upn}`,
    );

    say('Starting the MCP dev host (npm run serve) with OBO_CREDENTIAL=keyvault...');
    const host = spawnChild('server', ['dev-host/serve.ts'], {
      ...em.env('keyvault'),
      NODE_EXTRA_CA_CERTS: em.caCertPath,
      PORT: '0',
    });
    say(`dev host pid ${host.pid ?? '?'}`);
    const mcpUrl = await Promise.race([
      new Promise<string>((resolve, reject) => {
        hostStartTimer = setTimeout(
          () => reject(new DemoFailure('the dev host did not start within 20 s')),
          20_000,
        );
        createInterface({ input: host.stdout }).on('line', (line) => {
          const match = /listening: (http:\/\/\S+\/mcp)/.exec(line);
          if (match?.[1]) {
            clearTimeout(hostStartTimer);
            resolve(match[1]);
          }
        });
        host.once('exit', (code) => {
          clearTimeout(hostStartTimer);
          reject(new DemoFailure(`the dev host exited with code ${code ?? '?'}`));
        });
      }),
      aborted,
    ]);

    tempDir = await mkdtemp(join(tmpdir(), 'azure-obo-mcp-demo-'));
    const clientEnv = {
      ENTRA_CLIENT_ID: em.clientId,
      ENTRA_TENANT_ID: em.tenantId,
      ENTRA_AUTHORITY_HOST: em.entraUrl,
      NODE_EXTRA_CA_CERTS: em.caCertPath,
      // The dev host serves the emulator's API: the CLI may send it a token for api://<client id>/execute.
      ENTRA_API_SERVER_URLS: mcpUrl,
    };
    const cache = join(tempDir, 'token-cache.json');
    const runClient = async (title: string, args: string[]) => {
      say(title);
      const child = spawnChild(
        'client',
        ['cli/cli.ts', '--yes', '--server', mcpUrl, '--cache', cache, ...args],
        clientEnv,
      );
      const code = await Promise.race([exited(child), aborted]);
      if (code !== 0) throw new DemoFailure(`the client exited with code ${code}`, code);
    };
    await runClient(
      'Client, first run: finds the scope via an unauthenticated request (the server logs token_missing), then signs in with a device code the emulator approves...',
      [],
    );
    const first = DEMO_USER.subscriptions[0]!.subscriptionId;
    await runClient('Client, second run: silent sign-in from the token cache, then list_resource_groups...', [
      'call',
      'list_resource_groups',
      JSON.stringify({ subscriptionId: first }),
    ]);

    const counts = em.counts();
    const n = (key: string) => counts[key] ?? 0;
    say(
      `Emulator saw: ${n('entra.devicecode')} device code request(s), ${n('entra.token.device_code')} device code redemption(s), ` +
        `${n('entra.token.obo')} OBO exchange(s), ${n('keyvault.secret')} Key Vault read(s), ` +
        `${n('arm.subscriptions')} ARM subscription page(s), ${n('arm.resourcegroups')} resource group page(s).`,
    );
    say(`✓ Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { exitCode: 0, durationMs: Date.now() - started };
  } catch (error) {
    const failure =
      error instanceof DemoFailure
        ? error
        : new DemoFailure(error instanceof Error ? error.message : String(error));
    say(failure.exitCode === 130 ? 'Interrupted; stopping everything.' : `✗ Demo failed: ${failure.message}`);
    return { exitCode: failure.exitCode, durationMs: Date.now() - started };
  } finally {
    clearTimeout(hostStartTimer);
    await Promise.all(
      [...children].map((child) => {
        const done = exited(child);
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        return done.finally(() => clearTimeout(force));
      }),
    );
    // Aborted while the emulator was starting: stop it once it is up, or it would keep the process alive.
    if (!emulator && emulatorStarting) emulator = await emulatorStarting.catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void runDemo({ signal: controller.signal }).then(({ exitCode }) => process.exit(exitCode));
}
