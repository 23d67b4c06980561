import type { Cookie, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { parseSetCookie } from 'set-cookie-parser';
import { ConfigError } from '../errors.js';
import { readAtMost } from '../util/body.js';
import type { ChunkReader } from '../util/body.js';
import type { Logger } from '../util/log.js';
import { withTelemetryLog } from '../telemetry/state.js';

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
// At most what the host itself accepts: infra sets FUNCTIONS_REQUEST_BODY_SIZE_LIMIT to twice MCP_MAX_BODY_BYTES,
// whose largest value is 16 MiB.
const DRAIN_LIMIT_BYTES = 32 * 1_048_576;

interface BodySource {
  getReader(): ChunkReader;
}

/**
 * Passes `source` on, but a cancel (the handler stopped at its size limit) drains the rest in the background
 * instead: with HTTP streaming the body is the host's proxied request, and cancelling it destroys the socket that
 * our 413 must go back on. Past `limit` bytes the source is cancelled after all.
 */
export function drainOnCancel(source: BodySource, limit = DRAIN_LIMIT_BYTES): ReadableStream<Uint8Array> {
  // Untouched until the handler reads: an unread body stays the host's to discard, as without this wrapper.
  let reader: ReturnType<BodySource['getReader']> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source.getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel() {
        const started = reader;
        if (!started) return;
        // The source failing on its own leaves nothing to drain.
        void readAtMost(started, limit).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Converts a Functions HttpRequest into a web-standard Request (the MCP SDK's transport speaks these). The
 * body stays a stream: the handler reads it only after the caller is authenticated, up to its size limit.
 */
export function toWebRequest(request: HttpRequest): Request {
  const method = request.method.toUpperCase();
  const headers = new Headers();
  request.headers.forEach((value, name) => headers.append(name, value));
  const body = BODYLESS.has(method) || !request.body ? null : drainOnCancel(request.body as BodySource);
  // `duplex: 'half'` is required by fetch for stream bodies (not yet in the DOM typings).
  return new Request(request.url, {
    method,
    headers,
    body,
    ...(body ? { duplex: 'half' } : {}),
  });
}

const SAME_SITE: Record<string, Cookie['sameSite']> = { strict: 'Strict', lax: 'Lax', none: 'None' };

/**
 * Set-Cookie header values as the Functions library's `cookies`. Its worker passes response headers on one entry at
 * a time, so of several Set-Cookie headers only the last would reach the client; `cookies` all do. The library
 * serializes each again (the `cookie` package, values through encodeURIComponent), so a cookie it could not
 * reproduce exactly (a value it would re-encode, `Partitioned`, an unknown SameSite) fails instead of changing.
 */
export function toCookies(setCookies: string[]): Cookie[] {
  return parseSetCookie(setCookies, { decodeValues: false }).map((parsed) => {
    let value: string;
    try {
      value = decodeURIComponent(parsed.value);
    } catch {
      value = '';
    }
    const sameSite = parsed.sameSite === undefined ? undefined : SAME_SITE[parsed.sameSite.toLowerCase()];
    if (encodeURIComponent(value) !== parsed.value || parsed.partitioned || (parsed.sameSite && !sameSite))
      throw new Error(
        `Set-Cookie ${parsed.name}: the Functions worker cannot pass this cookie on unchanged.`,
      );
    const cookie: Cookie = { name: parsed.name, value };
    if (parsed.domain !== undefined) cookie.domain = parsed.domain;
    if (parsed.path !== undefined) cookie.path = parsed.path;
    if (parsed.expires !== undefined) cookie.expires = parsed.expires;
    if (parsed.maxAge !== undefined) cookie.maxAge = parsed.maxAge;
    if (parsed.secure) cookie.secure = true;
    if (parsed.httpOnly) cookie.httpOnly = true;
    if (sameSite) cookie.sameSite = sameSite;
    return cookie;
  });
}

/** A web-standard Response as the Functions library's response: status, headers, Set-Cookie as `cookies`, body. */
export async function toResponseInit(response: Response): Promise<HttpResponseInit> {
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const setCookies = response.headers.getSetCookie();
  return {
    status: response.status,
    headers,
    ...(setCookies.length > 0 ? { cookies: toCookies(setCookies) } : {}),
    ...(body ? { body } : {}),
  };
}

/** A logger writing to the invocation's log stream (Application Insights in Azure), and to OTLP when exported. */
export function contextLogger(context: InvocationContext): Logger {
  return withTelemetryLog({
    info: (m, ...a) => context.log(m, ...a),
    warn: (m, ...a) => context.warn(m, ...a),
    error: (m, ...a) => context.error(m, ...a),
  });
}

/** A generic 500 for a failure the flow did not anticipate: no stack, no internals, an id to quote. */
export function internalError(context: InvocationContext, error: unknown): HttpResponseInit {
  const misconfigured = error instanceof ConfigError;
  // A ConfigError's message names the setting, never its value; any other message may carry internals.
  const message = misconfigured ? error.message : error instanceof Error ? error.name : 'unknown';
  context.error(`request failed: ${message} (invocation ${context.invocationId})`);
  return {
    status: 500,
    jsonBody: {
      error: misconfigured ? 'server_misconfigured' : 'internal_error',
      error_description: `The server could not handle the request; quote invocation ${context.invocationId} to its operator.`,
    },
    headers: { 'Cache-Control': 'no-store' },
  };
}
