import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import type { ProxyEndpoint } from '../oauth/proxy.js';
import { ORIGIN_NOT_ALLOWED, allowedOrigin, documentCorsHeaders, preflightHeaders } from '../util/cors.js';
import { contextLogger, internalError, toResponseInit, toWebRequest } from './adapter.js';
import { documentFunction } from './document.js';
import type { HttpFunctionDefinition } from './index.js';

// As the host answers a path with no function: the proxy's routes do not exist while MCP_OAUTH_PROXY=off.
const NOT_FOUND: HttpResponseInit = { status: 404 };

async function answer(
  endpoint: ProxyEndpoint,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const runtime = getRuntime();
    if (!runtime.proxy) return NOT_FOUND;
    const proxy = await runtime.proxy();
    const response = await proxy.handle(
      endpoint,
      toWebRequest(request),
      contextLogger(context),
      context.traceContext,
    );
    return await toResponseInit(response);
  } catch (error) {
    return internalError(context, error);
  }
}

/**
 * An endpoint browser-based clients call with fetch (registration, token): CORS as for the public documents, which
 * is what the platform's CORS gives them on Flex (the preflight for an allowed origin only; answers carry `*`, or
 * the allowed origin itself).
 */
function fetchedEndpoint(name: string, endpoint: ProxyEndpoint, route: string): HttpFunctionDefinition {
  return {
    name,
    options: {
      route,
      methods: ['POST', 'OPTIONS'],
      authLevel: 'anonymous',
      handler: async (request, context) => {
        let allowed: readonly string[];
        try {
          allowed = getRuntime().settings.allowedOrigins;
        } catch (error) {
          return internalError(context, error);
        }
        const origin = request.headers.get('origin');
        if (request.method.toUpperCase() === 'OPTIONS') {
          const match = allowedOrigin(origin, allowed);
          if (!match) return { status: 403, jsonBody: ORIGIN_NOT_ALLOWED };
          return { status: 204, headers: preflightHeaders(match, request.headers) };
        }
        const init = await answer(endpoint, request, context);
        return {
          ...init,
          headers: { ...(init.headers as Record<string, string>), ...documentCorsHeaders(origin, allowed) },
        };
      },
    },
  };
}

/** A page the browser navigates to (authorize, consent, callback): no CORS. */
function pageEndpoint(
  name: string,
  endpoint: ProxyEndpoint,
  route: string,
  method: 'GET' | 'POST',
): HttpFunctionDefinition {
  return {
    name,
    options: { route, methods: [method], authLevel: 'anonymous', handler: (r, c) => answer(endpoint, r, c) },
  };
}

/** MCP_OAUTH_PROXY=on: this server as its MCP clients' OAuth authorization server (src/oauth/). */
export const oauthFunctions: HttpFunctionDefinition[] = [
  documentFunction('oauthAuthorizationServerMetadata', '.well-known/oauth-authorization-server', (r, c) =>
    answer('metadata', r, c),
  ),
  fetchedEndpoint('oauthRegister', 'register', 'oauth/register'),
  pageEndpoint('oauthAuthorize', 'authorize', 'oauth/authorize', 'GET'),
  pageEndpoint('oauthConsent', 'consent', 'oauth/consent', 'POST'),
  pageEndpoint('oauthCallback', 'callback', 'oauth/callback', 'GET'),
  fetchedEndpoint('oauthToken', 'token', 'oauth/token'),
];
