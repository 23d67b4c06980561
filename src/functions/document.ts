import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime.js';
import { ORIGIN_NOT_ALLOWED, allowedOrigin, documentCorsHeaders, preflightHeaders } from '../util/cors.js';
import { internalError } from './adapter.js';
import type { HttpFunctionDefinition } from './index.js';

/** A public document's GET answer; documentFunction adds HEAD, the CORS preflight and the CORS headers. */
export type DocumentHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** The methods of a public document's route (the host routes only the methods a function lists). */
export const DOCUMENT_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/** The GET answer without its body, as a HEAD answer: same status and headers (the JSON content type included). */
function withoutBody(answer: HttpResponseInit, headers: Headers): HttpResponseInit {
  if (answer.jsonBody !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/json');
  const rest = { ...answer };
  delete rest.body;
  delete rest.jsonBody;
  return rest;
}

/**
 * An anonymous public document at `route` (metadata such as RFC 9728's or RFC 8414's): GET answers with `handler`,
 * HEAD like GET without the body (a GET-only route would be the host's 404), OPTIONS is the CORS preflight of an
 * allowed browser origin (MCP_ALLOWED_ORIGINS), and the CORS headers agree with the platform's CORS on Flex.
 */
export function documentFunction(
  name: string,
  route: string,
  handler: DocumentHandler,
): HttpFunctionDefinition {
  return {
    name,
    options: {
      route,
      methods: [...DOCUMENT_METHODS],
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
        const answer = await handler(request, context);
        const headers = new Headers(answer.headers);
        for (const [name, value] of Object.entries(documentCorsHeaders(origin, allowed)))
          headers.set(name, value);
        const init = request.method.toUpperCase() === 'HEAD' ? withoutBody(answer, headers) : answer;
        const out: Record<string, string> = {};
        headers.forEach((value, key) => (out[key] = value));
        return { ...init, headers: out };
      },
    },
  };
}
