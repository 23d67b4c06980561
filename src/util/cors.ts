// CORS answers that agree with the Functions platform's. On Linux Consumption and Flex the host's own CORS
// middleware (ASP.NET Core CORS with the app's allowed origins, any header, any method, no max age, no credentials)
// answers every preflight before a function runs, and puts the request's origin in Access-Control-Allow-Origin of
// an allowed origin's responses. Hosts without it (the dev host, other plans) get the same answers from the app.

type HeaderMap = Record<string, string>;

/** The body of the app's 403 to a browser origin not in MCP_ALLOWED_ORIGINS. */
export const ORIGIN_NOT_ALLOWED = {
  error: 'origin_not_allowed',
  error_description: 'This origin may not call this endpoint.',
} as const;

// RFC 9110 token: a method or header name.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The request's Origin when it is one of `allowed` (compared without trailing slashes), else undefined. */
export function allowedOrigin(origin: string | null, allowed: readonly string[]): string | undefined {
  return origin !== null && allowed.includes(origin.replace(/\/+$/, '')) ? origin : undefined;
}

/**
 * The preflight answer's headers for an allowed origin, as the platform sends them: the origin, and the requested
 * method and headers echoed (any method, any header; the function still answers a method it does not take with
 * 405). No Access-Control-Max-Age: the platform has no setting for it, so browsers keep a preflight for their
 * default (5 s in Chromium) on either host.
 */
export function preflightHeaders(origin: string, headers: Headers): HeaderMap {
  const out: HeaderMap = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  const method = headers.get('access-control-request-method')?.trim();
  if (method && TOKEN.test(method)) out['Access-Control-Allow-Methods'] = method;
  const requested = (headers.get('access-control-request-headers') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (requested.length > 0 && requested.every((name) => TOKEN.test(name)))
    out['Access-Control-Allow-Headers'] = requested.join(', ');
  return out;
}

/**
 * CORS headers of a public document (protected resource metadata): `*` for anyone, or the allowed origin itself,
 * which is what the platform's middleware makes of the `*` for an allowed origin.
 */
export function documentCorsHeaders(origin: string | null, allowed: readonly string[]): HeaderMap {
  const match = allowedOrigin(origin, allowed);
  return match
    ? { 'Access-Control-Allow-Origin': match, Vary: 'Origin' }
    : { 'Access-Control-Allow-Origin': '*' };
}
