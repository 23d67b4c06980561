import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { protectedResourceMetadata } from '../auth/resource.js';
import { getRuntime } from '../runtime.js';
import { internalError } from './adapter.js';
import { documentFunction } from './document.js';
import type { HttpFunctionDefinition } from './index.js';

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
      // The document changes only with the settings; an hour of caching spares the function most fetches.
      headers: { 'Cache-Control': 'public, max-age=3600' },
    });
  } catch (error) {
    return Promise.resolve(internalError(context, error));
  }
}

// The metadata at the root and at the path-inserted (`/mcp`) well-known URL (RFC 9728 §3.1).
export const metadataFunctions: HttpFunctionDefinition[] = [
  documentFunction(
    'protectedResourceMetadata',
    '.well-known/oauth-protected-resource',
    protectedResourceMetadataHandler,
  ),
  documentFunction(
    'protectedResourceMetadataMcp',
    '.well-known/oauth-protected-resource/mcp',
    protectedResourceMetadataHandler,
  ),
];
