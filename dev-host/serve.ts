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

async function importApp(specifier: string): Promise<HttpFunctionDefinition[]> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && TEST_MODE_WARNING.test(args[0]))) warn(...args);
  };
  try {
    return ((await import(specifier)) as { httpFunctions: HttpFunctionDefinition[] }).httpFunctions;
  } finally {
    console.warn = warn;
  }
}

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
  const httpFunctions = await importApp(app.specifier);
  const { startDevHost, toRoutes } = await import('./dev-server.js');
  const port = Number(process.env.PORT ?? 7071);
  const { server, url } = await startDevHost({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    functions: httpFunctions,
    bodyLimitBytes,
  });
  // As `func start` lists them once the host is up.
  const lines = toRoutes(httpFunctions).map((r) => `  ${r.name}: [${r.methods.join(',')}] ${url}${r.path}`);
  console.log(`azure-obo-mcp dev host serving ${app.label}\nFunctions:\n${lines.join('\n')}`);
  console.log(
    `azure-obo-mcp dev host listening: ${url}/mcp (metadata: ${url}/.well-known/oauth-protected-resource/mcp)`,
  );
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  fail(`dev host failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
