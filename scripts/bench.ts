// `npm run bench`: latency of the request path through the dev host against the emulator, printed as figures.
// Absolute times depend on the machine; compare the ratios, which are measured in one run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startEmulator } from '../emulator/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

async function startHost(env: Record<string, string>): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/host/serve.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening: (http:\/\/\S+\/mcp)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`dev host exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function client(url: string, token: string): Promise<Client> {
  const c = new Client({ name: 'bench', version: '1' });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return c;
}

function stats(samples: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

/** Cold start of a fresh process loading the app: the esbuild bundle vs. tsc output + node_modules. */
function coldStart(): void {
  const bundle = join(ROOT, 'dist/app/functions.mjs');
  const unbundled = join(ROOT, 'dist/src/functions/index.js');
  if (!existsSync(bundle) || !existsSync(unbundled)) {
    console.log('cold start: run `npm run build` first to compare the bundle with the tsc output');
    return;
  }
  const runs = 10;
  const load = (file: string): number[] =>
    Array.from({ length: runs }, () => {
      const start = performance.now();
      const r = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(file)})`], { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`loading ${file} failed`);
      return performance.now() - start;
    });
  const b = stats(load(bundle));
  const u = stats(load(unbundled));
  const prod = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const prodBytes = prod.stdout
    .split('\n')
    .filter((p) => p.includes('node_modules'))
    .reduce(
      (sum, p) =>
        sum +
        readdirSync(p)
          .filter((n) => n !== 'node_modules')
          .reduce((s2, n) => s2 + sizeOf(join(p, n)), 0),
      0,
    );
  const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MiB`;
  console.log(
    `cold start, process + app module load (${runs} runs): bundle p50 ${fmt(b.p50)}, tsc output + node_modules p50 ${fmt(u.p50)}, ratio ${(u.p50 / b.p50).toFixed(2)}x`,
  );
  console.log(
    `deployment payload: bundle ${mb(statSync(bundle).size)} vs production node_modules ${mb(prodBytes)} + tsc output`,
  );
}

async function main(): Promise<void> {
  coldStart();
  const emulator = await startEmulator();
  const host = await startHost(emulator.env('secret'));
  try {
    // Warm up the process (JWKS, discovery, JIT) so the comparisons below are between steady states.
    const warm = await client(host.url, await emulator.issueUserToken({}));
    for (let i = 0; i < 20; i++) await warm.callTool({ name: 'get_subscriptions', arguments: {} });
    await warm.close();

    const claims: number[] = [];
    const cached: number[] = [];
    const cold: number[] = [];
    const user = emulator.users[0]!.oid;
    const c = await client(host.url, await emulator.issueUserToken({ user }));
    for (let i = 0; i < ROUNDS; i++)
      claims.push(await time(() => c.callTool({ name: 'get_user_info', arguments: {} })));
    for (let i = 0; i < ROUNDS; i++)
      cached.push(await time(() => c.callTool({ name: 'get_subscriptions', arguments: {} })));
    await c.close();
    emulator.resetCounts();
    // A new token per call: every call needs its own OBO exchange (the cache key is the user's token).
    const coldRounds = Math.max(20, Math.floor(ROUNDS / 4));
    for (let i = 0; i < coldRounds; i++) {
      const fresh = await client(host.url, await emulator.issueUserToken({ user }));
      cold.push(await time(() => fresh.callTool({ name: 'get_subscriptions', arguments: {} })));
      await fresh.close();
    }
    const oboExchanges = emulator.counts()['entra.token.obo'] ?? 0;

    // Concurrency: 10 clients at once, two tokens per user, 10 calls each.
    emulator.resetCounts();
    const tokens = await Promise.all(
      emulator.users.flatMap((u) => [0, 1].map(() => emulator.issueUserToken({ user: u.oid }))),
    );
    const clients = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client(host.url, tokens[i % tokens.length]!)),
    );
    const started = performance.now();
    await Promise.all(
      clients.map(async (cl) => {
        for (let i = 0; i < 10; i++) await cl.callTool({ name: 'get_subscriptions', arguments: {} });
      }),
    );
    const elapsed = performance.now() - started;
    await Promise.all(clients.map((cl) => cl.close()));
    const concurrentObo = emulator.counts()['entra.token.obo'] ?? 0;

    const a = stats(claims);
    const b = stats(cached);
    const d = stats(cold);
    console.log(`azure-obo-mcp bench (${ROUNDS} rounds, dev host + emulator on this machine)`);
    console.log(
      `get_user_info (verify only)         p50 ${fmt(a.p50)}  p95 ${fmt(a.p95)}  mean ${fmt(a.mean)}`,
    );
    console.log(
      `get_subscriptions, cached OBO       p50 ${fmt(b.p50)}  p95 ${fmt(b.p95)}  mean ${fmt(b.mean)}`,
    );
    console.log(
      `get_subscriptions, new OBO each     p50 ${fmt(d.p50)}  p95 ${fmt(d.p95)}  mean ${fmt(d.mean)}  (${coldRounds} calls, ${oboExchanges} OBO exchanges)`,
    );
    console.log(`ratio new-OBO / cached-OBO (p50)    ${(d.p50 / b.p50).toFixed(2)}x`);
    console.log(`ratio cached-OBO / verify-only (p50) ${(b.p50 / a.p50).toFixed(2)}x`);
    console.log(
      `concurrent: 100 calls by 10 clients in ${fmt(elapsed)} = ${(100_000 / elapsed).toFixed(1)} calls/s, ${concurrentObo} OBO exchanges for ${tokens.length} distinct tokens`,
    );
  } finally {
    host.stop();
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
