import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import type { ProxyEndpoint } from '../oauth/proxy.js';
import { contextLogger, internalError, toResponseInit, toWebRequest } from './adapter.js';
import type { HttpFunctionDefinition } from './index.js';

// As the host answers a path with no function: the proxy's routes do not exist while MCP_OAUTH_PROXY=off.
const NOT_FOUND: HttpResponseInit = { status: 404 };

function proxyHandler(endpoint: ProxyEndpoint) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const runtime = getRuntime();
      if (!runtime.proxy) return NOT_FOUND;
      const proxy = await runtime.proxy();
      return await toResponseInit(
        await proxy.handle(endpoint, toWebRequest(request), contextLogger(context)),
      );
    } catch (error) {
      return internalError(context, error);
    }
  };
}

function proxyFunction(
  name: string,
  endpoint: ProxyEndpoint,
  route: string,
  methods: HttpFunctionDefinition['options']['methods'],
): HttpFunctionDefinition {
  return { name, options: { route, methods, authLevel: 'anonymous', handler: proxyHandler(endpoint) } };
}

/** MCP_OAUTH_PROXY=on: this server as its MCP clients' OAuth authorization server (src/oauth/). */
export const oauthFunctions: HttpFunctionDefinition[] = [
  proxyFunction('oauthAuthorizationServerMetadata', 'metadata', '.well-known/oauth-authorization-server', [
    'GET',
    'HEAD',
    'OPTIONS',
  ]),
  proxyFunction('oauthRegister', 'register', 'oauth/register', ['POST', 'OPTIONS']),
  proxyFunction('oauthAuthorize', 'authorize', 'oauth/authorize', ['GET']),
  proxyFunction('oauthConsent', 'consent', 'oauth/consent', ['POST']),
  proxyFunction('oauthCallback', 'callback', 'oauth/callback', ['GET']),
  proxyFunction('oauthToken', 'token', 'oauth/token', ['POST', 'OPTIONS']),
];
