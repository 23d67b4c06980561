// How real MCP clients find the scope to request: an unauthenticated request gets a 401 whose
// WWW-Authenticate challenge names the protected resource metadata (RFC 9728), which lists scopes_supported.
/** Parameters of a `Bearer` WWW-Authenticate challenge (RFC 6750 / RFC 9728). */
export interface BearerChallenge {
  error?: string;
  errorDescription?: string;
  scope?: string;
  resourceMetadata?: string;
}

/** What the server told about itself before sign-in. */
export interface ScopeDiscovery {
  /** The scope to request. */
  scope: string;
  /** Where the scope came from. */
  source: 'flag' | 'metadata' | 'challenge' | 'fallback';
  /** Tenant named by the metadata's authorization server, when on the expected authority host. */
  tenantId?: string;
  /** Why discovery fell back, for a note on stderr. */
  note?: string;
  /** False when the server could not be reached at all. */
  reachable: boolean;
}

/** Parses a `Bearer k="v", k2="v2"` challenge; undefined when the header is not a Bearer challenge. */
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
  return out;
}

/** The scope used when the server does not say: the demo's `api://<client-id>/execute`. */
export function fallbackScope(clientId: string): string {
  return `api://${clientId}/execute`;
}

/**
 * Only scopes of a custom API (`api://...`) are taken from the server: a server naming e.g. an ARM or Graph
 * scope would get the user's token for that API sent to it.
 */
function acceptable(scope: string | undefined): scope is string {
  return typeof scope === 'string' && /^api:\/\/[^\s/]+\/[^\s/]+$/.test(scope);
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'azure-obo-mcp-cli', version: '0.1.0' },
  },
});

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(url, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) return undefined;
  const body: unknown = await res.json().catch(() => undefined);
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
}

function wellKnownUrl(server: string): string {
  const url = new URL(server);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

function tenantFrom(metadata: Record<string, unknown>, authorityHost: string): string | undefined {
  const servers = metadata.authorization_servers;
  const first = Array.isArray(servers) && typeof servers[0] === 'string' ? servers[0] : undefined;
  if (!first) return undefined;
  try {
    const url = new URL(first);
    if (url.origin !== new URL(authorityHost).origin) return undefined;
    const tenant = url.pathname.split('/').filter(Boolean)[0];
    return tenant && !['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())
      ? tenant
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the scope to request from the server: unauthenticated POST → 401 challenge → resource_metadata →
 * scopes_supported; else the challenge's scope; else `api://<client-id>/execute`. Never throws.
 */
export async function discoverScope(
  server: string,
  opts: { clientId: string | undefined; authorityHost: string; timeoutMs: number },
): Promise<ScopeDiscovery> {
  const fallback = (note: string, reachable = true, tenantId?: string): ScopeDiscovery => ({
    scope: opts.clientId ? fallbackScope(opts.clientId) : '',
    source: 'fallback',
    note,
    reachable,
    ...(tenantId ? { tenantId } : {}),
  });
  let challenge: BearerChallenge | undefined;
  try {
    const res = await fetch(server, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: INITIALIZE,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    await res.body?.cancel();
    if (res.status !== 401)
      return fallback(`the server answered HTTP ${res.status} without a token, not a 401 challenge`);
    challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
  } catch (error) {
    return fallback(`the server did not answer (${describeNetworkError(error)})`, false);
  }
  try {
    const metadata = await fetchJson(challenge?.resourceMetadata ?? wellKnownUrl(server), opts.timeoutMs);
    if (metadata) {
      const tenantId = tenantFrom(metadata, opts.authorityHost);
      const scopes = Array.isArray(metadata.scopes_supported) ? metadata.scopes_supported : [];
      const scope = scopes.find((s): s is string => acceptable(s as string | undefined));
      if (scope) return { scope, source: 'metadata', reachable: true, ...(tenantId ? { tenantId } : {}) };
      if (acceptable(challenge?.scope))
        return {
          scope: challenge.scope,
          source: 'challenge',
          reachable: true,
          ...(tenantId ? { tenantId } : {}),
        };
      return fallback('the protected resource metadata lists no api:// scope', true, tenantId);
    }
  } catch {
    // fall through: the challenge's scope, then the fallback
  }
  if (acceptable(challenge?.scope)) return { scope: challenge.scope, source: 'challenge', reachable: true };
  return fallback('the server published no protected resource metadata');
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
