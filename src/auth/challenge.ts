import type { Settings } from '../config/settings.js';
import type { TokenError } from '../errors.js';
import { MetadataUnavailableError, OboError } from '../errors.js';
import { GUID } from '../util/guid.js';
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
  let description = DESCRIPTIONS[error.code] ?? 'The access token is not valid for this API.';
  if (error.code === 'insufficient_scope') {
    status = 403;
    code = 'insufficient_scope';
  }
  if (error.code === 'client_not_allowed') {
    // 403, not 401: signing in again with the same client yields the same azp, so a 401 would only make
    // clients loop through re-authentication. The app id is not secret; a non-GUID one is not echoed.
    status = 403;
    const app =
      error.clientAppId && GUID.test(error.clientAppId)
        ? `Client application ${error.clientAppId}`
        : 'The client application of this token';
    description = `${app} is not allowed to call this API; use an allowed client, or ask the operator to allow this one.`;
  }
  if (error.code !== 'token_missing') params.push(`error=${quote(code)}`);
  if (error.code !== 'token_missing') params.push(`error_description=${quote(description)}`);
  params.push(`resource_metadata=${quote(metadataUrl)}`, `scope=${quote(scope)}`);
  return {
    status,
    headers: { 'WWW-Authenticate': `Bearer ${params.join(', ')}` },
    body: { error: code, error_description: description },
  };
}

/**
 * The 401 for an On-Behalf-Of failure only a new sign-in can fix, or undefined for failures that stay tool
 * errors (consent, outages, the server's own credential). With Entra's claims (MFA / Conditional Access on
 * Azure Resource Manager) the challenge is `insufficient_claims` carrying them, so the client can request a
 * token that satisfies them; without (revoked session) it is the usual `invalid_token`.
 */
export function oboChallenge(error: unknown, settings: Settings, requestUrl: string): Challenge | undefined {
  if (!(error instanceof OboError) || !error.needsReauthentication) return undefined;
  const { metadataUrl } = resourceUrls(settings, requestUrl);
  const scope = requiredScopeUri(settings);
  const params: string[] = [];
  let code: string;
  let description: string;
  if (error.claims !== undefined) {
    code = 'insufficient_claims';
    description =
      'Azure Resource Manager requires a stronger sign-in (MFA or Conditional Access); sign in again with the claims of this challenge.';
    params.push(`error=${quote(code)}`, `error_description=${quote(description)}`);
    params.push(`claims=${quote(Buffer.from(error.claims, 'utf8').toString('base64'))}`);
  } else {
    code = 'invalid_token';
    description = 'The sign-in is no longer valid (for example, the session was revoked); sign in again.';
    params.push(`error=${quote(code)}`, `error_description=${quote(description)}`);
  }
  params.push(`resource_metadata=${quote(metadataUrl)}`, `scope=${quote(scope)}`);
  return {
    status: 401,
    headers: { 'WWW-Authenticate': `Bearer ${params.join(', ')}` },
    body: { error: code, error_description: description },
  };
}
