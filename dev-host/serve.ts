#!/usr/bin/env node
// `npm run serve`: the Functions app's HTTP handlers on plain node:http, without Azure Functions Core Tools.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpFunctionDefinition } from '../src/functions/index.js';
import { getRuntime } from '../src/runtime.js';
import { applyLocalSettings } from './local-settings.js';

async function main(): Promise<void> {
  applyLocalSettings(resolve(process.cwd(), 'local.settings.json'));
  try {
    getRuntime(); // validates settings now: a bad setting stops the host with its name
  } catch (error) {
    console.error(`azure-obo-mcp: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  // Imported after settings are in place; registering functions outside the Functions host only warns.
  // DEV_HOST_APP serves another build of the app instead, e.g. the deployment bundle dist/app/functions.mjs.
  const appModule = process.env.DEV_HOST_APP
    ? pathToFileURL(resolve(process.env.DEV_HOST_APP)).href
    : '../src/functions/index.js';
  const { httpFunctions } = (await import(appModule)) as { httpFunctions: HttpFunctionDefinition[] };
  const { startDevHost } = await import('./dev-server.js');
  const port = Number(process.env.PORT ?? 7071);
  const { server, url } = await startDevHost({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    functions: httpFunctions,
  });
  console.log(
    `azure-obo-mcp dev host listening: ${url}/mcp (metadata: ${url}/.well-known/oauth-protected-resource/mcp)`,
  );
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(
    `azure-obo-mcp: dev host failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
