import type { Settings } from '../config/settings.js';

/** Public identity of this protected resource: its `/mcp` URL and where its metadata lives (RFC 9728). */
export interface ResourceUrls {
  resource: string;
  metadataUrl: string;
}

/** Derives the public `/mcp` URL (MCP_PUBLIC_URL wins) and its path-inserted metadata URL. */
export function resourceUrls(settings: Settings, requestUrl: string): ResourceUrls {
  const resource = settings.publicUrl ?? `${new URL(requestUrl).origin}/mcp`;
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return { resource, metadataUrl: `${url.origin}/.well-known/oauth-protected-resource${path}` };
}

/** The full scope string clients must request: `<ENTRA_APP_ID_URI>/<scope>`, e.g. `api://<client-id>/execute`. */
export function requiredScopeUri(settings: Settings): string {
  return `${settings.appIdUri}/${settings.requiredScope}`;
}

/** The RFC 9728 Protected Resource Metadata document. */
export function protectedResourceMetadata(settings: Settings, requestUrl: string): Record<string, unknown> {
  const { resource } = resourceUrls(settings, requestUrl);
  return {
    resource,
    // MCP_OAUTH_PROXY=on: this server is its clients' authorization server (its issuer is its origin).
    authorization_servers: [
      settings.oauthProxy.enabled
        ? new URL(resource).origin
        : `${settings.authorityHost}/${settings.tenantId}/v2.0`,
    ],
    scopes_supported: [requiredScopeUri(settings)],
    bearer_methods_supported: ['header'],
    resource_name: 'azure-obo-mcp',
  };
}
