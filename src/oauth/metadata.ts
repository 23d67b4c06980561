// Where the proxy's endpoints are and what it announces (RFC 8414). The issuer is the origin of the public MCP URL,
// so a client that found this server through its Protected Resource Metadata finds the same issuer here.
import { requiredScopeUri, resourceUrls } from '../auth/resource.js';
import type { Settings } from '../config/settings.js';

export const PROXY_PATHS = {
  metadata: '/.well-known/oauth-authorization-server',
  authorize: '/oauth/authorize',
  consent: '/oauth/consent',
  // Registered in Entra ID as the API app's web redirect URI: the one path that is not the proxy's to choose.
  callback: '/oauth/callback',
  token: '/oauth/token',
  register: '/oauth/register',
} as const;

export interface ProxyUrls {
  issuer: string;
  /** The protected resource: RFC 8707 `resource`, the `aud` of the proxy's access tokens. */
  resource: string;
  callback: string;
}

export function proxyUrls(settings: Settings, requestUrl: string): ProxyUrls {
  const { resource } = resourceUrls(settings, requestUrl);
  const issuer = new URL(resource).origin;
  return { issuer, resource, callback: `${issuer}${PROXY_PATHS.callback}` };
}

/** The scope the proxy grants: the API's own, as the Protected Resource Metadata names it. */
export function proxyScope(settings: Settings): string {
  return requiredScopeUri(settings);
}

/** RFC 8414 authorization server metadata of the proxy. */
export function authorizationServerMetadata(settings: Settings, requestUrl: string): Record<string, unknown> {
  const { issuer } = proxyUrls(settings, requestUrl);
  return {
    issuer,
    authorization_endpoint: `${issuer}${PROXY_PATHS.authorize}`,
    token_endpoint: `${issuer}${PROXY_PATHS.token}`,
    registration_endpoint: `${issuer}${PROXY_PATHS.register}`,
    scopes_supported: [proxyScope(settings)],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}
