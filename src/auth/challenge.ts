import type { Settings } from '../config/settings.js';
import type { TokenError } from '../errors.js';
import { MetadataUnavailableError } from '../errors.js';
import { requiredScopeUri, resourceUrls } from './resource.js';

/** An HTTP answer to a request that did not get past authentication. */
export interface Challenge {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

// Fixed, caller-safe descriptions: they say what to do, never what the token contained.
const DESCRIPTIONS: Record<string, string> = {
  token_missing: 'Send an Entra ID access token for this API in the Authorization header (Bearer).',
  token_expired: 'The access token has expired; acquire a new one.',
  token_not_yet_valid: 'The access token is not valid yet; check the client clock.',
  token_bad_audience: 'The access token was issued for another API; request the scope in scope="...".',
  token_bad_issuer: "The access token was not issued by this API's tenant.",
  token_bad_tenant: "The access token belongs to another tenant than this API's.",
  insufficient_scope: 'The access token lacks the required scope; request the scope in scope="...".',
};

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/**
 * Builds the 401/403/503 answer for an authentication failure, with an RFC 6750 / RFC 9728
 * `WWW-Authenticate` challenge pointing at the protected resource metadata.
 */
export function buildChallenge(
  error: TokenError | MetadataUnavailableError,
  settings: Settings,
  requestUrl: string,
): Challenge {
  const { metadataUrl } = resourceUrls(settings, requestUrl);
  const scope = requiredScopeUri(settings);
  if (error instanceof MetadataUnavailableError) {
    return {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: {
        error: 'temporarily_unavailable',
        error_description: 'Token signing keys are unavailable; retry shortly.',
      },
    };
  }
  const params: string[] = [];
  let status: 401 | 403 = 401;
  let code = 'invalid_token';
  if (error.code === 'insufficient_scope') {
    status = 403;
    code = 'insufficient_scope';
  }
  if (error.code !== 'token_missing') params.push(`error=${quote(code)}`);
  const description = DESCRIPTIONS[error.code] ?? 'The access token is not valid for this API.';
  if (error.code !== 'token_missing') params.push(`error_description=${quote(description)}`);
  params.push(`resource_metadata=${quote(metadataUrl)}`, `scope=${quote(scope)}`);
  return {
    status,
    headers: { 'WWW-Authenticate': `Bearer ${params.join(', ')}` },
    body: { error: code, error_description: description },
  };
}
