// Must stay the first import: HTTP streaming is set up before the functions below register themselves.
import './setup.js';
import type { HttpFunctionOptions } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import { mcpFunction } from './mcp.js';
import { metadataFunctions } from './protected-resource-metadata.js';

/** An HTTP function as registered with the Functions host. */
export interface HttpFunctionDefinition {
  name: string;
  options: HttpFunctionOptions;
}

/** Every HTTP function of the app; importing this module registers them with the host. */
export const httpFunctions: HttpFunctionDefinition[] = [mcpFunction, ...metadataFunctions];

// Validate settings when the worker loads the app, so a missing or bad setting is in the logs at start (by name,
// never by value); requests then answer 500 server_misconfigured instead of crashing.
try {
  getRuntime();
} catch (error) {
  console.error(`azure-obo-mcp: ${error instanceof Error ? error.message : String(error)}`);
}
