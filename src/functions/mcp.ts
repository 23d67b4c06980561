import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import { contextLogger, internalError, toResponseInit, toWebRequest } from './adapter.js';
import type { HttpFunctionDefinition } from './index.js';

/** HTTP trigger of `/mcp`: the bearer token is the authentication, so the function key is off. */
export async function mcpHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    // The MCP SDK is loaded on first use (the start-up prefetch usually has), off the app's module-load path.
    const { handleMcpRequest } = await import('../mcp/handler.js');
    const response = await handleMcpRequest(toWebRequest(request), getRuntime(), contextLogger(context));
    return await toResponseInit(response);
  } catch (error) {
    return internalError(context, error);
  }
}

export const mcpFunction: HttpFunctionDefinition = {
  name: 'mcp',
  options: {
    route: 'mcp',
    methods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
    authLevel: 'anonymous',
    handler: mcpHandler,
  },
};
