import type { HttpFunctionOptions } from '@azure/functions';
import { mcpFunction } from './mcp.js';
import { metadataFunctions } from './protected-resource-metadata.js';

/** An HTTP function as registered with the Functions host. */
export interface HttpFunctionDefinition {
  name: string;
  options: HttpFunctionOptions;
}

/** Every HTTP function of the app; importing this module registers them with the host. */
export const httpFunctions: HttpFunctionDefinition[] = [mcpFunction, ...metadataFunctions];
