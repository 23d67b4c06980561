// Parses a v2.0 `scope` parameter into the one resource it targets, like Entra ID does.
// https://learn.microsoft.com/entra/identity-platform/scopes-oidc
import { Errors } from './entra-errors.js';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const ARM_HOSTS = ['https://management.azure.com', 'https://management.core.windows.net'];
const ARM_SCOPES = new Set(['user_impersonation', '.default']);

export interface ParsedScopes {
  resource: 'api' | 'arm';
  /** Value of the resulting token's `aud`-independent `scp` claim (space-separated). */
  scp: string[];
  /** The resource scopes as requested (full URIs), echoed in the response `scope`. */
  requested: string[];
  /** For ARM: which identifier URI was used (decides `aud`). */
  armHost?: string;
  openid: boolean;
  offlineAccess: boolean;
}

interface ScopeConfig {
  clientId: string;
  tenantId: string;
  exposedScopes: string[];
}

function splitScope(scope: string): { resource: string; name: string } {
  const i = scope.lastIndexOf('/');
  if (i < 0) return { resource: '', name: scope };
  return { resource: scope.slice(0, i).replace(/\/+$/, ''), name: scope.slice(i + 1) };
}

export function parseScopes(raw: string | null, cfg: ScopeConfig): ParsedScopes {
  if (raw === null || raw.trim() === '') throw Errors.missingParam('scope');
  const all = raw.trim().split(/\s+/);
  const openid = all.includes('openid');
  const offlineAccess = all.includes('offline_access');
  const resourceScopes = all.filter((s) => !OIDC_SCOPES.has(s));
  if (resourceScopes.length === 0) throw Errors.invalidScope(raw);

  let kind: 'api' | 'arm' | undefined;
  let armHost: string | undefined;
  const scp = new Set<string>();
  for (const scope of resourceScopes) {
    const { resource, name } = splitScope(scope);
    let thisKind: 'api' | 'arm';
    const lowerResource = resource.toLowerCase();
    if (ARM_HOSTS.includes(lowerResource)) {
      thisKind = 'arm';
      armHost = lowerResource;
      if (!ARM_SCOPES.has(name)) throw Errors.unknownScope(cfg.clientId, name, resource);
      scp.add('user_impersonation');
    } else if (
      lowerResource === `api://${cfg.clientId}`.toLowerCase() ||
      lowerResource === cfg.clientId.toLowerCase()
    ) {
      thisKind = 'api';
      if (name === '.default') cfg.exposedScopes.forEach((s) => scp.add(s));
      else if (cfg.exposedScopes.includes(name)) scp.add(name);
      else throw Errors.unknownScope(cfg.clientId, name, cfg.clientId);
    } else {
      // Bare names (e.g. User.Read) mean Microsoft Graph, which the emulator does not host.
      throw Errors.unknownResource(resource || 'https://graph.microsoft.com', cfg.tenantId);
    }
    if (kind !== undefined && kind !== thisKind) throw Errors.multipleResources();
    kind = thisKind;
  }
  if (kind === undefined) throw Errors.invalidScope(raw);
  return {
    resource: kind,
    scp: [...scp],
    requested: resourceScopes,
    ...(armHost ? { armHost } : {}),
    openid,
    offlineAccess,
  };
}
