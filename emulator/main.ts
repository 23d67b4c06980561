// Standalone emulator: `node --import tsx emulator/main.ts [--mode secret|keyvault|managed-identity]
// [--auto-approve <oid|upn>] [--latency-ms <ms>]` (or EMULATOR_LATENCY_MS). Prints the server's environment as KEY=VALUE lines, then `EMULATOR READY`,
// and runs until SIGINT/SIGTERM. In `secret` mode the lines include the emulator's throwaway app secret.
import { startEmulator } from './index.js';
import type { CredentialMode } from './index.js';

const MODES: CredentialMode[] = ['secret', 'keyvault', 'managed-identity'];

function arg(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = args[i] ?? '';
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}

async function main(): Promise<void> {
  const mode = (arg('mode') ?? 'keyvault') as CredentialMode;
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
  const autoApprove = arg('auto-approve');
  const latency = arg('latency-ms') ?? process.env.EMULATOR_LATENCY_MS;
  const latencyMs = latency === undefined ? 0 : Number(latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error('--latency-ms must be a number >= 0');
  const emulator = await startEmulator({
    latencyMs,
    ...(autoApprove ? { autoApproveDeviceCode: autoApprove } : {}),
  });
  for (const [k, v] of Object.entries(emulator.env(mode))) process.stdout.write(`${k}=${v}\n`);
  process.stdout.write('EMULATOR READY\n');

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
  process.stderr.write(`emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
