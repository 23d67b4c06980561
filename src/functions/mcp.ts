import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import { contextLogger, internalError, toResponseInit, toWebRequest } from './adapter.js';
import type { HttpFunctionDefinition } from './index.js';
import type * as Handler from '../mcp/handler.js';

type HandlerModule = typeof Handler;

let handlerModule: Promise<HandlerModule> | undefined;

// The MCP SDK is loaded on first use (the start-up prefetch usually has), off the app's module-load path; the
// promise is kept because every import() call goes through the module loader (and any loader hooks) again.
function loadHandler(): Promise<HandlerModule> {
  handlerModule ??= import('../mcp/handler.js').catch((error: unknown) => {
    handlerModule = undefined; // a failed import is retried by the next request, not remembered
    throw error;
  });
  return handlerModule;
}

/** HTTP trigger of `/mcp`: the bearer token is the authentication, so the function key is off. */
export async function mcpHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { handleMcpRequest } = await loadHandler();
    const response = await handleMcpRequest(
      toWebRequest(request),
      getRuntime(),
      contextLogger(context),
      context.traceContext,
    );
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
