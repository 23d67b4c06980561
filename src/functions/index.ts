// Must stay the first import: HTTP streaming is set up before the functions below register themselves.
import './setup.js';
import functions from '@azure/functions';
import type { HttpFunctionOptions } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import { mcpFunction } from './mcp.js';
import { metadataFunctions } from './protected-resource-metadata.js';
import { oauthFunctions } from './oauth.js';
import { startTelemetry, stopTelemetry } from '../telemetry/state.js';
import { consoleLogger } from '../util/log.js';

export interface HttpFunctionDefinition {
  name: string;
  options: HttpFunctionOptions;
}

/** Every HTTP function of the app, registered with the Functions host here only; the dev host serves this list. */
export const httpFunctions: HttpFunctionDefinition[] = [mcpFunction, ...metadataFunctions, ...oauthFunctions];
for (const { name, options } of httpFunctions) functions.app.http(name, options);

/** Exports the telemetry still buffered: the host's app-terminate hook, and the dev host's shutdown. */
export const stop = (): Promise<void> => stopTelemetry();

/**
 * Validates settings when the worker loads the app, so a missing or bad setting is in the logs at start (by name,
 * never by value); requests then answer 500 server_misconfigured instead of crashing. With valid settings, starts
 * telemetry (MCP_TELEMETRY=on) and warms discovery, keys, the OBO credential and the lazy modules in the background
 * (never fails, never blocks start). Settles when that is done: the dev host announces readiness after it, as the
 * Functions host's start covers it.
 */
export const started: Promise<void> = (() => {
  try {
    const runtime = getRuntime();
    const { telemetry } = runtime.settings;
    if (!telemetry.enabled) return runtime.prefetch();
    functions.app.hook.appTerminate(stop);
    // The prefetch's own reads (Key Vault, identity) are traced too once the SDK is in place.
    return startTelemetry(telemetry, consoleLogger).then(() => runtime.prefetch());
  } catch (error) {
    console.error(`azure-obo-mcp: ${error instanceof Error ? error.message : String(error)}`);
    return Promise.resolve();
  }
})();
