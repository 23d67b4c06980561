// The one place an OAuthProxyError becomes an HTTP answer: JSON at the token and registration endpoints
// (RFC 6749 §5.2, RFC 7591 §3.2.2), a redirect back to a trusted redirect URI (RFC 6749 §4.1.2.1 with RFC 9207's
// `iss`), or an error page when there is no trusted place to send the browser.
import { OAuthProxyError } from '../errors.js';
import { markFailed } from '../telemetry/telemetry.js';
import { errorPage } from './pages.js';
import type { Page } from './pages.js';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

// RFC 6749 allows only these characters in error_description (%x20-21 / %x23-5B / %x5D-7E).
export function oauthDescription(text: string): string {
  return text
    .replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]+/g, ' ')
    .slice(0, 300)
    .trim();
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...NO_STORE, ...headers },
  });
}

export function oauthErrorJson(error: OAuthProxyError): Response {
  markFailed(error.code);
  return jsonResponse(
    error.status,
    { error: error.code, error_description: oauthDescription(error.message) },
    error.retryAfterSec ? { 'Retry-After': String(error.retryAfterSec) } : {},
  );
}

export function pageResponse(page: Page, setCookie?: string): Response {
  const headers = new Headers(page.headers);
  if (setCookie) headers.append('Set-Cookie', setCookie);
  return new Response(page.body, { status: page.status, headers });
}

/**
 * An authorization request that cannot be answered at a redirect URI: an error page for the person, or JSON for a
 * client checking its registration first (mcp-remote asks with `Accept: application/json` and re-registers on
 * `invalid_client`).
 */
export function authorizationErrorPage(error: OAuthProxyError, request: Request): Response {
  markFailed(error.code);
  const accept = request.headers.get('accept') ?? '';
  if (/\bapplication\/json\b/i.test(accept) && !/\btext\/html\b/i.test(accept)) {
    return oauthErrorJson(
      new OAuthProxyError(error.code, error.message, { status: error.status >= 500 ? error.status : 400 }),
    );
  }
  const status = error.status >= 500 ? error.status : 400;
  return pageResponse(
    errorPage(status, 'This sign-in request cannot be completed', oauthDescription(error.message)),
  );
}

/** 302 to `redirectUri` with `params` added to its query (kept as the client registered it otherwise). */
export function redirectResponse(
  redirectUri: string,
  params: Record<string, string | undefined>,
  setCookie?: string,
): Response {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.append(name, value);
  const headers = new Headers({ Location: url.toString(), ...NO_STORE, 'Referrer-Policy': 'no-referrer' });
  if (setCookie) headers.append('Set-Cookie', setCookie);
  return new Response(null, { status: 302, headers });
}

/** The authorization error response at the client's redirect URI, with its state and this issuer. */
export function redirectError(
  redirectUri: string,
  error: OAuthProxyError,
  state: string | undefined,
  issuer: string,
): Response {
  markFailed(error.code);
  return redirectResponse(redirectUri, {
    error: error.code,
    error_description: oauthDescription(error.message),
    state,
    iss: issuer,
  });
}
