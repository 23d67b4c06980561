// Redirect URIs of the proxy's clients: which ones may be registered, and how a request's redirect_uri is matched
// against them (exactly, except the port of a loopback one: RFC 8252 §7.3, OAuth 2.1 §8.4.2).
import { isLoopbackHost } from '../util/loopback.js';

/** Longest redirect URI accepted: it travels inside the proxy's state and codes. */
export const MAX_REDIRECT_URI_LENGTH = 512;

// Schemes a browser runs or reads locally instead of handing to an app; never a redirect target.
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
  'ws:',
  'wss:',
  'ftp:',
  'mailto:',
  'chrome:',
  'view-source:',
]);

// RFC 8252 §7.1: a native app's private-use scheme is a domain name it controls, reversed (com.example.app).
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+:$/;
// Widely used MCP clients whose app scheme predates that rule: Cursor registers
// cursor://anysphere.cursor-mcp/oauth/callback. Matched exactly, like every non-loopback redirect URI.
const KNOWN_APP_SCHEMES = new Set(['cursor:']);

/** Why `uri` may not be registered as a redirect URI, or undefined when it may. */
export function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0) return 'a redirect URI must be a non-empty string';
  if (uri.length > MAX_REDIRECT_URI_LENGTH)
    return `a redirect URI may have at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters and spaces have no place in a URI
  if (/[\u0000-\u0020\u007f]/.test(uri))
    return 'a redirect URI must not contain spaces or control characters';
  if (!URL.canParse(uri)) return 'a redirect URI must be an absolute URI';
  const url = new URL(uri);
  if (uri.includes('#')) return 'a redirect URI must not contain a fragment';
  if (url.username || url.password) return 'a redirect URI must not contain user information';
  const scheme = url.protocol.toLowerCase();
  if (FORBIDDEN_SCHEMES.has(scheme)) return `the ${scheme} scheme is not allowed for redirect URIs`;
  // What the browser is sent to is the parsed form: it must be what the consent page shows and the match compares
  // (no dot segments, backslashes, or anything else parsing rewrites; a bare origin may omit its slash).
  if ((scheme === 'https:' || scheme === 'http:') && url.href !== uri && url.href !== `${uri}/`)
    return 'a redirect URI must be written in its normal form (no dot segments, backslashes or upper-case scheme and host)';
  if (scheme === 'https:') return url.hostname ? undefined : 'an https redirect URI needs a host';
  if (scheme === 'http:') {
    return isLoopbackHost(url.hostname)
      ? undefined
      : 'http redirect URIs are allowed only on loopback hosts (localhost, 127.0.0.1, [::1]); use https';
  }
  if (REVERSE_DOMAIN_SCHEME.test(scheme) || KNOWN_APP_SCHEMES.has(scheme)) return undefined;
  return `the ${scheme} scheme is not allowed: use https, http on a loopback host, or a reverse domain name scheme such as com.example.app:`;
}

/** True for an http redirect URI on a loopback host, whose port is the client's to choose per request. */
export function isLoopbackRedirect(uri: string): boolean {
  if (!URL.canParse(uri)) return false;
  const url = new URL(uri);
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

// The authority of an http URI with its port taken out (an explicit default port too), as written otherwise.
const LOOPBACK_PORT = /^(http:\/\/(?:\[[^\]]*\]|[^/:?#]*))(?::\d*)?/i;

/** `requested` is `registered`, exactly, or differs only in the port of a loopback http URI. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  if (!isLoopbackRedirect(registered) || !isLoopbackRedirect(requested) || requested.includes('#'))
    return false;
  return registered.replace(LOOPBACK_PORT, '$1') === requested.replace(LOOPBACK_PORT, '$1');
}

/** The host a redirect URI sends the browser to, as shown on the consent page (for private-use schemes the scheme). */
export function redirectTarget(uri: string): string {
  const url = new URL(uri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.host : url.protocol.replace(/:$/, '');
}
