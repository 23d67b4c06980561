import { knownAuthoritiesFor } from '../util/authority.js';

/**
 * MSAL auth options that hand it the tenant's v2 discovery document we already hold, so it does not fetch the
 * document again (`authorityMetadata`), and, for hosts outside Microsoft's clouds, the instance metadata it would
 * otherwise derive from `knownAuthorities` (`cloudDiscoveryMetadata`). Microsoft's own hosts keep MSAL's built-in
 * instance metadata (their aliases), which needs no request either. Without a document MSAL fetches it itself.
 */
export function msalAuthorityMetadata(
  authorityHost: string,
  v2Document: string | undefined,
): { authorityMetadata?: string; cloudDiscoveryMetadata?: string } {
  if (!v2Document) return {};
  if (!knownAuthoritiesFor(authorityHost).knownAuthorities) return { authorityMetadata: v2Document };
  const host = new URL(authorityHost).host.toLowerCase();
  const cloudDiscoveryMetadata = JSON.stringify({
    tenant_discovery_endpoint: `${authorityHost}/common/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
  return { authorityMetadata: v2Document, cloudDiscoveryMetadata };
}
