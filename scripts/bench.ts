// `npm run bench`: cold start, round trips, import time, throughput and memory of the server, through the dev host
// (serving the app bundle, built first when missing or stale) against the emulator. Absolute times depend on the machine; round trips (emulated latency)
// and ratios measured in one run are what compare across machines.
//   BENCH_LATENCY_MS  emulated upstream round trip (default 100)
//   BENCH_RSS_USERS   comma-separated user counts for the memory figures (default 100,2000,10000)
//   BENCH_CALLS       calls per throughput run (default 400)
//   BENCH_COLD_RUNS   fresh instances per cold-start case, median reported (default 3)
//   BENCH_IMPORT_RUNS fresh processes per import-time figure, median reported (default 15)
//   BENCH_ONLY        comma-separated parts to run: import,cold,throughput,telemetry,memory (default all)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE, ensureBundle } from '../dev-host/bundle.js';
import { startEmulator } from '../emulator/index.js';
import type { CredentialMode, Emulator } from '../emulator/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 100);
const RSS_USERS = (process.env.BENCH_RSS_USERS ?? '100,2000,10000').split(',').map(Number);
const CALLS = Number(process.env.BENCH_CALLS ?? 400);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 3);
const IMPORT_RUNS = Number(process.env.BENCH_IMPORT_RUNS ?? 15);
// The app compiled file by file with tsc, importing its dependencies from node_modules: what the bundle replaces.
const TSC_DIR = join(ROOT, '.cache', 'bench-tsc');
const UNBUNDLED = join(TSC_DIR, 'src', 'functions', 'index.js');

interface Host {
  url: string;
  pid: number;
  logs: () => string;
  stop: () => Promise<void>;
}

/**
 * The dev host on a free port serving `env` with the deployment bundle, as in Azure: once ready (its start-up work
 * done), or with `whileStarting` as soon as it accepts requests.
 */
async function startHost(env: Record<string, string>, whileStarting = false): Promise<Host> {
  const announcement = whileStarting
    ? /accepting requests: (http:\/\/\S+\/mcp)/
    : /listening: (http:\/\/\S+\/mcp)/;
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev-host/serve.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = announcement.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`dev host exited with ${code}:\n${out}`)));
  });
  return {
    url,
    pid: child.pid ?? 0,
    logs: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let rpcId = 0;

/** One stateless MCP tools/call, as the first request a client sends to a fresh instance may be. */
async function callTool(url: string, token: string | undefined, name: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: ++rpcId,
      method: 'tools/call',
      params: { name, arguments: {} },
    }),
  });
  const text = await response.text();
  if (!response.ok || !text.includes('"result"') || text.includes('"isError":true')) {
    throw new Error(`${name} failed: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const rt = (ms: number): string => `${(ms / LATENCY).toFixed(1)} RT (${ms.toFixed(0)} ms)`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** First-call round trips of fresh instances, and warm calls, with every upstream LATENCY ms away. */
async function coldCalls(emulator: Emulator): Promise<void> {
  // Warm this process's own fetch (undici) first, so its first-use cost is not counted as the server's.
  const warm = createServer((_req, res) => res.writeHead(204).end()).listen(0, '127.0.0.1');
  await new Promise((resolve) => warm.once('listening', resolve));
  await (await fetch(`http://127.0.0.1:${(warm.address() as AddressInfo).port}/`)).text();
  warm.close();
  emulator.update({ latencyMs: LATENCY });
  console.log(
    `\nround trips (every upstream ${LATENCY} ms away; get_subscriptions = OBO + 2 ARM pages; median of ${COLD_RUNS} fresh instances [each])`,
  );
  try {
    for (const mode of ['keyvault', 'managed-identity'] as CredentialMode[]) {
      const afterStart: number[] = [];
      const whileStarting: number[] = [];
      const warmNew: number[] = [];
      const warmCached: number[] = [];
      const prefetchMs: string[] = [];
      let firstCallRequests = '';
      // Fresh instances per case, the median reported: one cold start on a 2-core machine is mostly noise.
      for (let run = 0; run < COLD_RUNS; run++) {
        // A request after the start-up work is done (≥ 1.5 s), then one that arrives as the instance starts.
        const settled = await startHost(emulator.env(mode), true);
        try {
          await sleep(1500);
          // On a busy machine loading the lazy modules can outlast 1.5 s; the figure is for a settled instance.
          const deadline = Date.now() + 10_000; // builds without a prefetch never log one
          while (!/prefetch: .*(ready|failed)/.test(settled.logs()) && Date.now() < deadline) await sleep(20);
          prefetchMs.push(/prefetch: .*? (\d+) ms/.exec(settled.logs())?.[1] ?? '–');
          const token = await emulator.issueUserToken({});
          emulator.resetCounts();
          afterStart.push(await timed(() => callTool(settled.url, token, 'get_subscriptions')));
          firstCallRequests = Object.entries(emulator.counts())
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
          warmCached.push(await timed(() => callTool(settled.url, token, 'get_subscriptions')));
          const fresh = await emulator.issueUserToken({ extraClaims: { uti: `bench-warm-${run}` } });
          warmNew.push(await timed(() => callTool(settled.url, fresh, 'get_subscriptions')));
        } finally {
          await settled.stop();
        }
        const starting = await startHost(emulator.env(mode), true);
        try {
          const token = await emulator.issueUserToken({});
          whileStarting.push(await timed(() => callTool(starting.url, token, 'get_subscriptions')));
        } finally {
          await starting.stop();
        }
      }
      const figure = (xs: number[]): string =>
        `${rt(median(xs))}  [${xs.map((x) => (x / LATENCY).toFixed(1)).join(', ')}]`;
      console.log(`  ${mode}: prefetch done ${prefetchMs.join(', ')} ms after load`);
      console.log(`    first call ≥1.5 s after start  ${figure(afterStart)}  upstream: ${firstCallRequests}`);
      console.log(`    first call while starting     ${figure(whileStarting)}`);
      console.log(`    warm call, new user token     ${figure(warmNew)}`);
      console.log(`    warm call, cached OBO token   ${figure(warmCached)}`);
    }
  } finally {
    emulator.update({ latencyMs: 0 });
  }
}

/** Module load of fresh processes: median of runs minus a bare `node -e 0` (wall clock, as the worker sees it). */
/** Compiles src/ with tsc into TSC_DIR (the unbundled app, for the import comparison). */
function compileUnbundled(): void {
  rmSync(TSC_DIR, { recursive: true, force: true });
  const config = join(ROOT, '.cache', 'bench-tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: false, sourceMap: false, outDir: './bench-tsc', rootDir: '..' },
      include: ['../src'],
    }),
  );
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
}

function importTime(): void {
  compileUnbundled();
  const env = { PATH: process.env.PATH ?? '' };
  const wall = (args: string[]): number => {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore', env });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
    return performance.now() - start;
  };
  const load = (file: string) => ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`];
  const bare: number[] = [];
  const bundle: number[] = [];
  const unbundled: number[] = [];
  // Interleaved, so machine noise hits all three alike.
  for (let i = 0; i < IMPORT_RUNS; i++) {
    bare.push(wall(['-e', '0']));
    bundle.push(wall(load(BUNDLE)));
    unbundled.push(wall(load(UNBUNDLED)));
  }
  const b = median(bundle) - median(bare);
  const u = median(unbundled) - median(bare);
  const entryKb = readFileSync(BUNDLE).byteLength / 1024;
  console.log(
    `\nimport of the app module (fresh process, median of ${IMPORT_RUNS} minus bare node ${median(bare).toFixed(0)} ms):` +
      ` bundle ${b.toFixed(0)} ms (entry ${entryKb.toFixed(0)} KiB, SDKs in lazy chunks), tsc output + node_modules ${u.toFixed(0)} ms, ${(u / b).toFixed(1)}x`,
  );
}

/** The MCP SDK's stateless Streamable HTTP handler alone on node:http: one tool, no auth, no upstream. */
async function bareServer(): Promise<void> {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { WebStandardStreamableHTTPServerTransport } =
    await import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const mcp = new McpServer({ name: 'bare', version: '1' });
        mcp.registerTool('get_user_info', { description: 'static' }, () => ({
          content: [{ type: 'text', text: '{"oid":"bare"}' }],
        }));
        const transport = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          enableJsonResponse: true,
        });
        await mcp.connect(transport);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
        const response = await transport.handleRequest(
          new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers }),
          { parsedBody: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown },
        );
        const text = await response.text();
        const out: Record<string, string> = {};
        response.headers.forEach((value, name) => (out[name] = value));
        res.writeHead(response.status, out);
        res.end(text);
        await mcp.close();
      })();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening: http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
}

async function throughput(
  url: string,
  token: string | undefined,
  calls: number,
  tool = 'get_user_info',
): Promise<number> {
  const concurrency = 10;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        await callTool(url, token, tool);
      }
    }),
  );
  return (calls * 1000) / (performance.now() - started);
}

async function throughputRatio(emulator: Emulator): Promise<void> {
  const ours = await startHost(emulator.env('secret'));
  const bareChild = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--bare-server'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const bareUrl = await new Promise<string>((resolve) => {
      let out = '';
      bareChild.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening: (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
    });
    const token = await emulator.issueUserToken({});
    // Warm up both (JIT, keys), then alternate runs so machine noise hits both alike.
    await throughput(ours.url, token, 100);
    await throughput(bareUrl, undefined, 100);
    const oursRuns: number[] = [];
    const bareRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      oursRuns.push(await throughput(ours.url, token, CALLS));
      bareRuns.push(await throughput(bareUrl, undefined, CALLS));
    }
    const o = median(oursRuns);
    const b = median(bareRuns);
    console.log(
      `\nthroughput, get_user_info (verification, per-request MCP server), 10 concurrent clients: ${o.toFixed(0)} calls/s` +
        ` vs bare stateless SDK handler ${b.toFixed(0)} calls/s, ratio ${(o / b).toFixed(2)}`,
    );
  } finally {
    bareChild.kill('SIGTERM');
    await ours.stop();
  }
}

/** An OTLP/HTTP collector that takes everything and keeps nothing (the exporters' cost, not a collector's). */
async function sinkCollector(): Promise<{ url: string; received: () => number; close: () => void }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    close: () => server.close(),
  };
}

/** MCP_TELEMETRY=on (OTLP to a local sink) against off: start-up to ready, and throughput. */
async function telemetryCost(emulator: Emulator): Promise<void> {
  const sink = await sinkCollector();
  const off = emulator.env('secret');
  const on = {
    ...off,
    MCP_TELEMETRY: 'on',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_BSP_SCHEDULE_DELAY: '1000',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
  };
  try {
    // Start-up to ready (settings, app import, telemetry SDK, prefetch), fresh processes, alternated.
    const ready: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let i = 0; i < COLD_RUNS; i++) {
      for (const [name, env] of [
        ['off', off],
        ['on', on],
      ] as const) {
        const start = performance.now();
        const host = await startHost(env);
        ready[name].push(performance.now() - start);
        await host.stop();
      }
    }
    const [hostOff, hostOn] = [await startHost(off), await startHost(on)];
    try {
      const token = await emulator.issueUserToken({});
      const lines: string[] = [];
      // get_user_info: no upstream, CPU-bound, the per-request cost of telemetry at its most visible;
      // get_subscriptions with a cached ARM token: a typical call, two ARM pages BENCH_LATENCY_MS away.
      for (const [tool, calls] of [
        ['get_user_info', CALLS],
        ['get_subscriptions', Math.max(50, Math.round(CALLS / 4))],
      ] as const) {
        await throughput(hostOff.url, token, 50, tool);
        await throughput(hostOn.url, token, 50, tool);
        const runs: Record<'off' | 'on', number[]> = { off: [], on: [] };
        for (let i = 0; i < 5; i++) {
          runs.off.push(await throughput(hostOff.url, token, calls, tool));
          runs.on.push(await throughput(hostOn.url, token, calls, tool));
        }
        const [o, n] = [median(runs.off), median(runs.on)];
        lines.push(
          `  throughput, ${tool}, 10 concurrent clients (median of 5)  off ${o.toFixed(0)} calls/s, on ${n.toFixed(0)} calls/s, cost ${((1 - n / o) * 100).toFixed(1)} %`,
        );
      }
      await sleep(1500); // the last batch goes out
      console.log(
        `\ntelemetry (MCP_TELEMETRY=on, OTLP/HTTP to a local sink) vs off (target ≤ 5 %; ${sink.received()} exports received):` +
          `\n  start to ready (median of ${COLD_RUNS})  off ${median(ready.off).toFixed(0)} ms, on ${median(ready.on).toFixed(0)} ms\n` +
          lines.join('\n'),
      );
    } finally {
      await Promise.all([hostOff.stop(), hostOn.stop()]);
    }
  } finally {
    sink.close();
  }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** RSS of the server after N distinct users each made a fresh OBO exchange (the OBO cache bounds it). */
async function memory(emulator: Emulator): Promise<void> {
  const host = await startHost(emulator.env('secret'));
  try {
    await callTool(host.url, await emulator.issueUserToken({}), 'get_subscriptions');
    const figures: string[] = [`start ${rssMiB(host.pid).toFixed(0)} MiB`];
    console.log(
      `\nRSS by distinct users (each a fresh OBO exchange, secret mode, no latency): ${figures[0]}`,
    );
    let done = 0;
    const started = performance.now();
    for (const target of RSS_USERS) {
      let next = done;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < target) {
            const i = next++;
            const user = emulator.users[i % emulator.users.length]!.oid;
            // A distinct token per user: each is a cache entry and an OBO exchange of its own.
            const token = await emulator.issueUserToken({ user, extraClaims: { uti: `bench-${i}` } });
            await callTool(host.url, token, 'get_subscriptions');
          }
        }),
      );
      done = target;
      figures.push(`${target} users ${rssMiB(host.pid).toFixed(0)} MiB`);
      console.log(`  … ${figures.at(-1)}`);
    }
    const oboCount = emulator.counts()['entra.token.obo'] ?? 0;
    console.log(
      `RSS of the server process: ${figures.join(', ')} (${oboCount} OBO exchanges in ${((performance.now() - started) / 1000).toFixed(0)} s; OBO_CACHE_MAX_USERS default 1000)`,
    );
  } finally {
    await host.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--bare-server')) return bareServer();
  console.log(
    `azure-obo-mcp bench, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${(await import('node:os')).cpus().length} cores, dev host serving the bundle`,
  );
  const only = process.env.BENCH_ONLY?.split(',');
  const parts = ['import', 'cold', 'throughput', 'telemetry', 'memory'];
  const unknown = only?.filter((part) => !parts.includes(part)) ?? [];
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown part ${unknown.join(', ')} (one of ${parts.join(', ')})`);
  for (const [name, value] of [
    ['BENCH_COLD_RUNS', COLD_RUNS],
    ['BENCH_IMPORT_RUNS', IMPORT_RUNS],
    ['BENCH_CALLS', CALLS],
    ['BENCH_LATENCY_MS', LATENCY],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  }
  const wanted = (part: string): boolean => !only || only.includes(part);
  ensureBundle((line) => console.log(line));
  if (wanted('import')) importTime();
  const emulator = await startEmulator();
  try {
    if (wanted('cold')) await coldCalls(emulator);
    if (wanted('throughput')) await throughputRatio(emulator);
    if (wanted('telemetry')) await telemetryCost(emulator);
    emulator.resetCounts();
    if (wanted('memory')) await memory(emulator);
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
