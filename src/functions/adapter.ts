import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Logger } from '../util/log.js';

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * Converts a Functions HttpRequest into a web-standard Request (the MCP SDK's transport speaks these). The
 * body stays a stream: the handler reads it only after the caller is authenticated, up to its size limit.
 */
export function toWebRequest(request: HttpRequest): Request {
  const method = request.method.toUpperCase();
  const headers = new Headers();
  request.headers.forEach((value, name) => headers.append(name, value));
  const body = BODYLESS.has(method) ? null : request.body;
  // `duplex: 'half'` is required by fetch for stream bodies (not yet in the DOM typings).
  return new Request(request.url, {
    method,
    headers,
    body,
    ...(body ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/** Converts a web-standard Response into the Functions response shape. */
export async function toResponseInit(response: Response): Promise<HttpResponseInit> {
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  return { status: response.status, headers, ...(body ? { body } : {}) };
}

/** A logger writing to the invocation's log stream (Application Insights in Azure). */
export function contextLogger(context: InvocationContext): Logger {
  return {
    info: (m, ...a) => context.log(m, ...a),
    warn: (m, ...a) => context.warn(m, ...a),
    error: (m, ...a) => context.error(m, ...a),
  };
}

/** A generic 500 for a failure the flow did not anticipate: no stack, no internals, an id to quote. */
export function internalError(context: InvocationContext, error: unknown): HttpResponseInit {
  const kind = error instanceof Error ? error.name : 'unknown';
  const code = (error as { code?: unknown })?.code;
  const message = code === 'config_invalid' && error instanceof Error ? error.message : kind;
  context.error(`request failed: ${message} (invocation ${context.invocationId})`);
  return {
    status: 500,
    jsonBody: {
      error: code === 'config_invalid' ? 'server_misconfigured' : 'internal_error',
      error_description: `The server could not handle the request; quote invocation ${context.invocationId} to its operator.`,
    },
    headers: { 'Cache-Control': 'no-store' },
  };
}
