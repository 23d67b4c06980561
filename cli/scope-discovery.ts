// How real MCP clients find the scope to request: an unauthenticated request gets a 401 whose
// WWW-Authenticate challenge names the protected resource metadata (RFC 9728), which lists scopes_supported.
import { ClientError } from './exit-codes.js';
import {
  RefusedUrlError,
  ResponseTooLargeError,
  describeNetworkError,
  guardedFetch,
  metadataUrlRefusal,
} from './fetch-guard.js';
/** Parameters of a `Bearer` WWW-Authenticate challenge (RFC 6750 / RFC 9728). */
export interface BearerChallenge {
  error?: string;
  errorDescription?: string;
  scope?: string;
  resourceMetadata?: string;
  /** Conditional Access step-up: base64 of Entra's claims JSON (with `error="insufficient_claims"`). */
  claims?: string;
}

/** What the server told about itself before sign-in. */
export interface ScopeDiscovery {
  /** The scope to request. */
  scope: string;
  /** Where the scope came from. */
  source: 'flag' | 'metadata' | 'challenge' | 'fallback';
  /** Tenant named by the metadata's authorization server, when on the expected authority host. */
  tenantId?: string;
  /** The authorization server `tenantId` was read from. */
  tenantSource?: string;
  /** What the user should know about the discovery (fallback reasons, ignored metadata), one sentence each. */
  notes?: string[];
  /** False when the server could not be reached at all. */
  reachable: boolean;
  /** The HTTP status of the unauthenticated request, when it was not the 401 challenge. */
  status?: number;
  /** Why the server could not be reached (ECONNREFUSED, timed out, ...), when `reachable` is false. */
  failure?: string;
}

/**
 * Parses a `Bearer k="v", k2="v2"` challenge; undefined when the header is not a Bearer challenge. Not the SDK's
 * extractWWWAuthenticateParams: it has no error_description or claims (step-up), and its unanchored match reads
 * `scope=` inside this server's own error_description ("request the scope in scope=\"...\"").
 */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  if (!header || !/^\s*Bearer\b/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const [, key, quoted, bare] = match;
    if (key) params[key.toLowerCase()] = (quoted ?? bare ?? '').replace(/\\(.)/g, '$1');
  }
  const out: BearerChallenge = {};
  if (params.error) out.error = params.error;
  if (params.error_description) out.errorDescription = params.error_description;
  if (params.scope) out.scope = params.scope;
  if (params.resource_metadata) out.resourceMetadata = params.resource_metadata;
  if (params.claims) out.claims = params.claims;
  return out;
}

/** The scope used when the server does not say: the demo's `api://<client-id>/execute`. */
export function fallbackScope(clientId: string): string {
  return `api://${clientId}/execute`;
}

// One path segment of RFC 6749 scope-token characters (no space, quote, backslash or control character).
const SCOPE_NAME = /^[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]+$/;

/**
 * Only scopes of this server's API are taken from a server: `api://<api-client-id>/<name>` of the configured API,
 * or `<server URL>/<name>` when the server's Application ID URI is its own MCP URL (aligned setup; the metadata's
 * `resource` must then be that URL). A server naming another API's scope (ARM, Graph, another app) would
 * otherwise get the user's token for that API.
 */
export function acceptableScope(
  scope: unknown,
  apiClientId: string | undefined,
  server: string,
): scope is string {
  if (typeof scope !== 'string') return false;
  const under = (prefix: string, caseInsensitive: boolean) => {
    const head = scope.slice(0, prefix.length);
    return (
      scope.length > prefix.length &&
      (caseInsensitive ? head.toLowerCase() === prefix.toLowerCase() : head === prefix) &&
      SCOPE_NAME.test(scope.slice(prefix.length))
    );
  };
  if (apiClientId && under(`api://${apiClientId}/`, true)) return true;
  const key = resourceKey(server);
  return key !== undefined && under(`${key}/`, false);
}

/** Origin + path without trailing slashes: how RFC 9728 §3.3 resource identifiers are compared here. */
export function resourceKey(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/** An unauthenticated `initialize` request body: what a client sends first, to get the server's 401 challenge. */
export function initializeBody(clientName: string): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: clientName, version: '0.1.0' },
    },
  });
}

const INITIALIZE = initializeBody('azure-obo-mcp-cli');

// Not the SDK's discoverOAuthProtectedResourceMetadata (doctor uses it): its schema check rejects a document
// without a string `resource`, and discovery must still say it ignored that document and why (RFC 9728 §3.3).
async function fetchJson(
  url: string,
  server: string,
  timeoutMs: number,
): Promise<Record<string, unknown> | undefined> {
  const guarded = guardedFetch({ refusal: (u) => metadataUrlRefusal(u, server), timeoutMs });
  const res = await guarded.fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const body: unknown = await res.json().catch((error: unknown) => {
    if (error instanceof ResponseTooLargeError) throw error;
    return undefined;
  });
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
}

function wellKnownUrl(server: string): string {
  const url = new URL(server);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

function tenantFrom(
  metadata: Record<string, unknown>,
  authorityHost: string,
): { tenantId: string; tenantSource: string } | undefined {
  const servers = metadata.authorization_servers;
  const first = Array.isArray(servers) && typeof servers[0] === 'string' ? servers[0] : undefined;
  if (!first) return undefined;
  try {
    const url = new URL(first);
    if (url.origin !== new URL(authorityHost).origin) return undefined;
    const tenant = url.pathname.split('/').filter(Boolean)[0];
    return tenant && !['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())
      ? { tenantId: tenant, tenantSource: first }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the scope to request from the server: unauthenticated POST → 401 challenge → resource_metadata →
 * scopes_supported; else the challenge's scope; else `api://<api-client-id>/execute`. Only scopes of the API
 * `apiClientId` or under the server's own URL are accepted, and only metadata whose `resource` is `server`.
 * Never throws.
 */
export async function discoverScope(
  server: string,
  opts: { apiClientId: string | undefined; authorityHost: string; timeoutMs: number },
): Promise<ScopeDiscovery> {
  const notes: string[] = [];
  const defaultScope = opts.apiClientId ? fallbackScope(opts.apiClientId) : '';
  const fallback = (why: string, tenant?: { tenantId: string; tenantSource: string }): ScopeDiscovery => ({
    scope: defaultScope,
    source: 'fallback',
    notes: [...notes, `using the default scope ${defaultScope}: ${why}.`],
    reachable: true,
    ...tenant,
  });
  let challenge: BearerChallenge | undefined;
  try {
    // The server itself (--server was checked); not redirected, bounded like every answer.
    const post = guardedFetch({ refusal: () => undefined, timeoutMs: opts.timeoutMs });
    const res = await post.fetch(server, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: INITIALIZE,
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 401)
      return {
        ...fallback(`the server answered HTTP ${res.status} without a token, not a 401 challenge`),
        status: res.status,
      };
    challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
  } catch (error) {
    return {
      scope: defaultScope,
      source: 'fallback',
      reachable: false,
      failure: describeNetworkError(error),
    };
  }

  let metadataUrl = wellKnownUrl(server);
  if (challenge?.resourceMetadata) {
    const refusal = metadataUrlRefusal(challenge.resourceMetadata, server);
    if (!refusal) metadataUrl = challenge.resourceMetadata;
    else
      notes.push(
        `ignored the challenge's resource_metadata ${challenge.resourceMetadata} (not fetched): it is ${refusal}.`,
      );
  }
  let metadata = await fetchJson(metadataUrl, server, opts.timeoutMs).catch((error: unknown) => {
    if (error instanceof ResponseTooLargeError || error instanceof RefusedUrlError)
      notes.push(`ignored the protected resource metadata: ${error.message}.`);
    return undefined;
  });
  if (metadata && resourceKey(String(metadata.resource)) !== resourceKey(server)) {
    notes.push(
      `ignored the protected resource metadata at ${metadataUrl}: its resource ${JSON.stringify(metadata.resource ?? null)} is not ${server} (RFC 9728 §3.3).`,
    );
    metadata = undefined;
  }
  const tenant = metadata ? tenantFrom(metadata, opts.authorityHost) : undefined;
  const offered = Array.isArray(metadata?.scopes_supported) ? (metadata.scopes_supported as unknown[]) : [];
  const fromMetadata = offered.find((s) => acceptableScope(s, opts.apiClientId, server));
  if (fromMetadata) return { scope: fromMetadata, source: 'metadata', reachable: true, notes, ...tenant };
  if (acceptableScope(challenge?.scope, opts.apiClientId, server))
    return { scope: challenge.scope, source: 'challenge', reachable: true, notes, ...tenant };

  const foreign = [...offered, challenge?.scope].filter(
    (s, i, all): s is string => typeof s === 'string' && s !== '' && all.indexOf(s) === i,
  );
  if (foreign.length > 0)
    return fallback(
      `the server asked for ${foreign.join(', ')}, which is neither a scope of app ${opts.apiClientId ?? '(none)'} nor under ${server} and is ignored (a server must not choose which API your token is for); if the server really needs another scope, pass it explicitly with --scope`,
      tenant,
    );
  if (metadata)
    return fallback(`the protected resource metadata lists no scope of app ${opts.apiClientId}`, tenant);
  return fallback('the server published no usable protected resource metadata');
}

/**
 * The failure to reach `server` at all, with the fix its cause suggests: an https:// URL whose server answered
 * without TLS (a plain http server, such as `npm run serve`) is a protocol mismatch, not a server that is down.
 */
export function unreachableServer(server: string, failure: string, cause?: unknown): ClientError {
  if (server.startsWith('https:') && /^ERR_SSL_|^EPROTO$|wrong version number/i.test(failure)) {
    return new ClientError(
      'server_unreachable',
      `The server at ${server} does not speak TLS (${failure}): it answers plain http, not https.`,
      {
        fix: `Use http:// for a plain http server (npm run serve: --server ${server.replace(/^https:/, 'http:')}), or check the port.`,
        cause,
      },
    );
  }
  return new ClientError('server_unreachable', `Cannot reach the MCP server at ${server} (${failure}).`, {
    fix: 'Is the server running (npm run serve, or func start)? Check --server.',
    cause,
  });
}
