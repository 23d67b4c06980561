// What the CLI fetches because a server said so, and how much of it it reads. The server under test names URLs
// (its challenge's resource_metadata, its metadata's authorization servers); fetched blindly, they would let it
// aim the user's machine at any host — cloud instance metadata at 169.254.169.254, the intranet, a file: URL.
// Scope discovery and doctor share these rules.
import { isLoopbackUrl } from '../src/util/loopback.js';

/** Most bytes read of any server answer: MCP responses, metadata and challenges are a few KiB. */
export const MAX_RESPONSE_BYTES = 1_048_576;

/** A server answer longer than MAX_RESPONSE_BYTES: it is not read further. */
export class ResponseTooLargeError extends Error {
  constructor(readonly url: string) {
    super(`the answer of ${url} is larger than ${MAX_RESPONSE_BYTES / 1_048_576} MiB`);
    this.name = 'ResponseTooLargeError';
  }
}

/** A URL the guard refused: never fetched. */
export class RefusedUrlError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`not fetched: ${url} is ${reason}`);
    this.name = 'RefusedUrlError';
  }
}

function parse(url: string | URL): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function transportRefusal(url: URL): string | undefined {
  if (url.username || url.password) return 'a URL with user credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackUrl(url) ? undefined : 'plain http to another machine';
  return 'not an https:// URL';
}

/**
 * Why `url` must not be fetched as metadata of `server` (protected resource metadata, and the proxy mode's
 * authorization server metadata), or undefined when it may: https (plain http only on loopback) on the server's
 * own origin.
 */
export function metadataUrlRefusal(url: string | URL, server: string): string | undefined {
  const target = parse(url);
  if (!target) return 'not a URL';
  const own = new URL(server).origin;
  return (
    transportRefusal(target) ?? (target.origin === own ? undefined : `not on the server's own origin ${own}`)
  );
}

/** Why `url` must not be fetched as an issuer's metadata, or undefined when it may: on the configured authority host. */
export function issuerUrlRefusal(url: string | URL, authorityHost: string): string | undefined {
  const target = parse(url);
  if (!target) return 'not a URL';
  const host = new URL(authorityHost).origin;
  return (
    transportRefusal(target) ??
    (target.origin === host
      ? undefined
      : `not on the configured authority host ${host} (ENTRA_AUTHORITY_HOST / --authority-host)`)
  );
}

/**
 * `response` whose body errors with ResponseTooLargeError past `max` bytes. Hand-written: fetch has no body
 * limit, and the MCP SDK reads bodies itself, so the bound must sit in the stream it reads.
 */
export function boundedResponse(
  response: Response,
  url: string,
  options: { max?: number; onTooLarge?: () => void } = {},
): Response {
  const max = options.max ?? MAX_RESPONSE_BYTES;
  const tooLarge = () => {
    options.onTooLarge?.();
    return new ResponseTooLargeError(url);
  };
  // Null-body statuses cannot be rebuilt with a body (and have none to bound).
  if (!response.body || [101, 103, 204, 205, 304].includes(response.status)) return response;
  if (Number(response.headers.get('content-length')) > max) {
    void response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  let seen = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  const bounded = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // The SDK reads `url` (redirect targets); a constructed Response has none of its own.
  Object.defineProperty(bounded, 'url', { value: response.url });
  return bounded;
}

/** Options of `guardedFetch`. */
export interface GuardOptions {
  /** Why a URL must not be fetched, or undefined when it may (metadataUrlRefusal, issuerUrlRefusal, …). */
  refusal: (url: URL) => string | undefined;
  timeoutMs: number;
}

/**
 * A fetch that refuses (RefusedUrlError, before any connection) every URL the guard refuses — redirect targets
 * included: redirects are not followed, a 3xx answer is returned as it is — bounds each request by
 * `timeoutMs`, and each body by MAX_RESPONSE_BYTES. `lastFailure` names the last connection failure.
 */
export function guardedFetch(options: GuardOptions): {
  fetch: typeof fetch;
  lastFailure: () => string | undefined;
} {
  let failure: string | undefined;
  const guarded = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const reason = options.refusal(url);
    if (reason) throw new RefusedUrlError(url.href, reason);
    const limit = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(input, {
        ...init,
        redirect: 'manual',
        signal:
          init?.signal && typeof AbortSignal.any === 'function'
            ? AbortSignal.any([init.signal, limit])
            : limit,
      });
      return boundedResponse(response, url.href);
    } catch (error) {
      if (!(error instanceof ResponseTooLargeError)) failure = describeNetworkError(error);
      throw error;
    }
  }) as typeof fetch;
  return { fetch: guarded, lastFailure: () => failure };
}

/** A short, secret-free description of a fetch failure (ECONNREFUSED, ENOTFOUND, timed out, ...). */
export function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timed out';
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_')) return code;
    if (current instanceof Error && current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}
