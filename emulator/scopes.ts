// Parses a v2.0 `scope` parameter into the one resource it targets, like Entra ID does, and checks the RFC 8707
// `resource` parameter against it (Entra's v2 endpoint refuses a `resource` that is not an identifier URI of
// the API the scopes belong to: AADSTS9010010).
// https://learn.microsoft.com/entra/identity-platform/scopes-oidc
import { Errors } from './entra-errors.js';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const ARM_HOSTS = ['https://management.azure.com', 'https://management.core.windows.net'];
const ARM_SCOPES = new Set(['user_impersonation', '.default']);

export type ResourceKind = 'api' | 'arm';

export interface ParsedScopes {
  resource: ResourceKind;
  /** Value of the resulting token's `aud`-independent `scp` claim (space-separated). */
  scp: string[];
  /** The resource scopes as requested (full URIs), echoed in the response `scope`. */
  requested: string[];
  /** For ARM: which identifier URI was used (decides `aud`). */
  armHost?: string;
  /** For the API: the Application ID URI the scopes were requested under (a v1 token's `aud`). */
  apiUri?: string;
  openid: boolean;
  offlineAccess: boolean;
}

export interface ScopeConfig {
  clientId: string;
  tenantId: string;
  exposedScopes: string[];
  identifierUris: string[];
}

interface ScopeTarget {
  kind: ResourceKind;
  /** ARM host, or the API's identifier URI as registered. */
  uri: string;
  names: string[];
}

function splitScope(scope: string): { resource: string; name: string } {
  const i = scope.lastIndexOf('/');
  if (i < 0) return { resource: '', name: scope };
  return { resource: scope.slice(0, i).replace(/\/+$/, ''), name: scope.slice(i + 1) };
}

function classify(scope: string, cfg: ScopeConfig): ScopeTarget {
  const { resource, name } = splitScope(scope);
  const lower = resource.toLowerCase();
  if (ARM_HOSTS.includes(lower)) {
    if (!ARM_SCOPES.has(name)) throw Errors.unknownScope(cfg.clientId, name, resource);
    return { kind: 'arm', uri: lower, names: ['user_impersonation'] };
  }
  const registered = cfg.identifierUris.find((u) => u.replace(/\/+$/, '').toLowerCase() === lower);
  if (registered !== undefined || lower === cfg.clientId.toLowerCase()) {
    let names: string[];
    if (name === '.default') names = [...cfg.exposedScopes];
    else if (cfg.exposedScopes.includes(name)) names = [name];
    else throw Errors.unknownScope(cfg.clientId, name, cfg.clientId);
    return { kind: 'api', uri: registered ?? cfg.identifierUris[0] ?? `api://${cfg.clientId}`, names };
  }
  // Bare names (e.g. User.Read) mean Microsoft Graph, which the emulator does not host.
  throw Errors.unknownResource(resource || 'https://graph.microsoft.com', cfg.tenantId);
}

function resourceScopesOf(raw: string | null): string[] {
  if (raw === null || raw.trim() === '') throw Errors.missingParam('scope');
  const resourceScopes = raw
    .trim()
    .split(/\s+/)
    .filter((s) => !OIDC_SCOPES.has(s));
  if (resourceScopes.length === 0) throw Errors.invalidScope(raw);
  return resourceScopes;
}

/**
 * The authorize endpoint's view: every scope must exist (the authorize leg may name several resources), and a
 * `resource` parameter must be an identifier URI of each of them.
 */
export function checkAuthorizeScopes(raw: string | null, cfg: ScopeConfig, resource: string | null): void {
  const targets = resourceScopesOf(raw).map((s) => classify(s, cfg));
  for (const t of targets) checkResourceParam(resource, t.kind, cfg);
}

/** The token endpoint's view: scopes of exactly one resource. */
export function parseScopes(raw: string | null, cfg: ScopeConfig): ParsedScopes {
  const resourceScopes = resourceScopesOf(raw);
  const all = (raw ?? '').trim().split(/\s+/);
  let first: ScopeTarget | undefined;
  const scp = new Set<string>();
  for (const scope of resourceScopes) {
    const t = classify(scope, cfg);
    if (first !== undefined && first.kind !== t.kind) throw Errors.multipleResources();
    first ??= t;
    t.names.forEach((n) => scp.add(n));
  }
  if (first === undefined) throw Errors.invalidScope(raw ?? '');
  return {
    resource: first.kind,
    scp: [...scp],
    requested: resourceScopes,
    ...(first.kind === 'arm' ? { armHost: first.uri } : { apiUri: first.uri }),
    openid: all.includes('openid'),
    offlineAccess: all.includes('offline_access'),
  };
}

/** RFC 8707 `resource`, when sent, must be an identifier URI of the API the scopes belong to (AADSTS9010010). */
export function checkResourceParam(resource: string | null, kind: ResourceKind, cfg: ScopeConfig): void {
  if (resource === null) return;
  const wanted = resource.toLowerCase();
  const ok =
    kind === 'arm'
      ? ARM_HOSTS.some((h) => wanted === h || wanted === `${h}/`)
      : cfg.identifierUris.some((u) => u.toLowerCase() === wanted);
  if (!ok) throw Errors.resourceScopeMismatch();
}
