import functions from '@azure/functions';
import type { HttpFunctionOptions, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { protectedResourceMetadata } from '../auth/resource.js';
import { getRuntime } from '../runtime.js';
import { internalError } from './adapter.js';

/** RFC 9728 Protected Resource Metadata: tells MCP clients which authorization server and scope to use. */
export function protectedResourceMetadataHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { settings } = getRuntime();
    return Promise.resolve({
      status: 200,
      jsonBody: protectedResourceMetadata(settings, request.url),
      headers: { 'Cache-Control': 'public, max-age=3600', 'Access-Control-Allow-Origin': '*' },
    });
  } catch (error) {
    return Promise.resolve(internalError(context, error));
  }
}

/** Registrations of the metadata function at the root and path-inserted (`/mcp`) well-known URLs. */
export const metadataFunctions: { name: string; options: HttpFunctionOptions }[] = [
  {
    name: 'protectedResourceMetadata',
    options: {
      route: '.well-known/oauth-protected-resource',
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: protectedResourceMetadataHandler,
    },
  },
  {
    name: 'protectedResourceMetadataMcp',
    options: {
      route: '.well-known/oauth-protected-resource/mcp',
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: protectedResourceMetadataHandler,
    },
  },
];

for (const { name, options } of metadataFunctions) functions.app.http(name, options);
