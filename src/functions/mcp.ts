import functions from '@azure/functions';
import type { HttpFunctionOptions, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import { contextLogger, internalError, toResponseInit, toWebRequest } from './adapter.js';

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

/** Registration of the `mcp` function (also served by the dev host). */
export const mcpFunction: { name: string; options: HttpFunctionOptions } = {
  name: 'mcp',
  options: {
    route: 'mcp',
    methods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
    authLevel: 'anonymous',
    handler: mcpHandler,
  },
};

functions.app.http(mcpFunction.name, mcpFunction.options);
