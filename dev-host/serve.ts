#!/usr/bin/env node
// `npm run serve`: the Functions app's HTTP handlers on plain node:http, without Azure Functions Core Tools. Serves
// the bundle the Functions host loads (dist/app/functions.mjs, built first when missing or stale); `--tsx`
// (`npm run serve:dev`) serves the TypeScript sources instead, for quick edits without a build.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpFunctionDefinition } from '../src/functions/index.js';
import { loadSettings } from '../src/config/settings.js';
import { BUNDLE, ensureBundle } from './bundle.js';
import { HOST_BODY_LIMIT_BYTES } from './dev-server.js';
import { applyLocalSettings } from './local-settings.js';

// @azure/functions says so for every function it cannot register outside the Functions host: true, and expected
// here, where the dev host serves the registered handlers itself (the functions it serves are listed instead).
const TEST_MODE_WARNING =
  /Failed to detect the Azure Functions runtime|because the "@azure\/functions" package is in test mode/;

function fail(message: string): never {
  console.error(`azure-obo-mcp: ${message}`);
  process.exit(1);
}

/** FUNCTIONS_REQUEST_BODY_SIZE_LIMIT as the host reads it: bytes, default ~100 MB. */
function hostBodyLimit(env: NodeJS.ProcessEnv): number {
  const raw = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT?.trim();
  if (!raw) return HOST_BODY_LIMIT_BYTES;
  const bytes = Number(raw);
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    fail('Setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a whole number of bytes.');
  return bytes;
}

/** Which build of the app to serve: DEV_HOST_APP, the sources with --tsx, else the (fresh) bundle. */
function appModule(): { specifier: string; label: string } {
  if (process.env.DEV_HOST_APP) {
    const file = resolve(process.env.DEV_HOST_APP);
    return { specifier: pathToFileURL(file).href, label: file };
  }
  if (process.argv.includes('--tsx'))
    return { specifier: '../src/functions/index.js', label: 'src/ through tsx (--tsx)' };
  try {
    ensureBundle((line) => console.log(`azure-obo-mcp: ${line}`));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  return { specifier: pathToFileURL(BUNDLE).href, label: 'dist/app/functions.mjs' };
}

/** What the app module exports (src/functions/index.ts). */
interface AppModule {
  httpFunctions: HttpFunctionDefinition[];
  /** Settles when the app's start-up prefetch did (absent in builds from before it). */
  started?: Promise<void>;
  /** What the host's app-terminate hook runs: exports buffered telemetry. */
  stop?: () => Promise<void>;
}

async function importApp(specifier: string): Promise<AppModule> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && TEST_MODE_WARNING.test(args[0]))) warn(...args);
  };
  try {
    return (await import(specifier)) as AppModule;
  } finally {
    console.warn = warn;
  }
}

// The Functions host reports itself started once the worker loaded the app and indexed its functions, which covers
// the app's start-up prefetch; the dev host waits for it, up to this long, before it says it is ready.
const STARTUP_WAIT_MS = 10_000;

async function main(): Promise<void> {
  applyLocalSettings(resolve(process.cwd(), 'local.settings.json'));
  const bodyLimitBytes = hostBodyLimit(process.env);
  const app = appModule();
  try {
    loadSettings(process.env); // validates settings now: a bad setting stops the host with its name
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  // Imported after settings are in place (the module validates them and starts its prefetch when loaded).
  const { httpFunctions, started, stop: stopApp } = await importApp(app.specifier);
  const { startDevHost, toRoutes } = await import('./dev-server.js');
  const port = Number(process.env.PORT ?? 7071);
  const { server, url } = await startDevHost({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    functions: httpFunctions,
    bodyLimitBytes,
  });
  // Requests are served from here on; a request arriving now races the start-up work, as one that triggers a cold
  // start in Azure may (tests and the bench use this line for that).
  console.log(`azure-obo-mcp dev host accepting requests: ${url}/mcp (starting)`);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    started ?? Promise.resolve(),
    new Promise((resolve) => (timer = setTimeout(resolve, STARTUP_WAIT_MS))),
  ]);
  clearTimeout(timer);
  // As `func start` lists them once the host is up.
  const lines = toRoutes(httpFunctions).map((r) => `  ${r.name}: [${r.methods.join(',')}] ${url}${r.path}`);
  console.log(`azure-obo-mcp dev host serving ${app.label}\nFunctions:\n${lines.join('\n')}`);
  console.log(
    `azure-obo-mcp dev host listening: ${url}/mcp (metadata: ${url}/.well-known/oauth-protected-resource/mcp)`,
  );
  // As the host on shutdown: stop taking requests, run the app's terminate hook (bounded), exit.
  const stop = () => {
    server.close();
    const hook = stopApp?.() ?? Promise.resolve();
    void Promise.race([hook, new Promise((done) => setTimeout(done, 5000))]).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  fail(`dev host failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
