import type { Settings } from '../config/settings.js';
import { MetadataUnavailableError, OboError, TokenError } from '../errors.js';
import type { TokenErrorCode } from '../errors.js';
import { GUID } from '../util/guid.js';
import { requiredScopeUri, resourceUrls } from './resource.js';

/** An HTTP answer to a request that did not get past authentication. */
export interface Challenge {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

// Fixed, caller-safe descriptions: they say what to do, never what the token contained.
const DESCRIPTIONS: Partial<Record<TokenErrorCode, string>> = {
  token_missing: 'Send an Entra ID access token for this API in the Authorization header (Bearer).',
  token_expired: 'The access token has expired; acquire a new one.',
  token_not_yet_valid: 'The access token is not valid yet; check the client clock.',
  token_bad_audience: 'The access token was issued for another API; request the scope in scope="...".',
  token_bad_issuer: "The access token was not issued by this API's tenant.",
  token_bad_tenant: "The access token belongs to another tenant than this API's.",
  insufficient_scope: 'The access token lacks the required scope; request the scope in scope="...".',
};
// Longer than discovery's failure back-off (2 s), so a client retrying then gets a fresh attempt.
const METADATA_RETRY_AFTER_SEC = 5;

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/** `WWW-Authenticate: Bearer …` (RFC 6750) ending with the RFC 9728 metadata URL and the scope to request. */
function bearer(params: string[], settings: Settings, requestUrl: string): Record<string, string> {
  const { metadataUrl } = resourceUrls(settings, requestUrl);
  const all = [
    ...params,
    `resource_metadata=${quote(metadataUrl)}`,
    `scope=${quote(requiredScopeUri(settings))}`,
  ];
  return { 'WWW-Authenticate': `Bearer ${all.join(', ')}` };
}

function tokenChallenge(error: TokenError, settings: Settings, requestUrl: string): Challenge {
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
  // Without a token there is no error to name (RFC 6750 §3.1): the challenge only says where to sign in.
  const params =
    error.code === 'token_missing' ? [] : [`error=${quote(code)}`, `error_description=${quote(description)}`];
  return {
    status,
    headers: bearer(params, settings, requestUrl),
    body: { error: code, error_description: description },
  };
}

/**
 * With Entra's claims (MFA / Conditional Access on Azure Resource Manager) the challenge is
 * `insufficient_claims` carrying them, so the client can request a token that satisfies them; without (revoked
 * session) it is the usual `invalid_token`.
 */
function reauthenticationChallenge(error: OboError, settings: Settings, requestUrl: string): Challenge {
  const [code, description, extra]: [string, string, string[]] =
    error.claims !== undefined
      ? [
          'insufficient_claims',
          'Azure Resource Manager requires a stronger sign-in (MFA or Conditional Access); sign in again with the claims of this challenge.',
          [
            `claims=${quote(Buffer.from(error.claims, 'utf8').toString('base64'))}`,
            // Microsoft's claims-challenge format names where to sign in; MSAL-style parsers expect it.
            `authorization_uri=${quote(`${settings.authorityHost}/${settings.tenantId}/oauth2/v2.0/authorize`)}`,
          ],
        ]
      : [
          'invalid_token',
          'The sign-in is no longer valid (for example, the session was revoked); sign in again.',
          [],
        ];
  const params = [`error=${quote(code)}`, `error_description=${quote(description)}`, ...extra];
  return {
    status: 401,
    headers: bearer(params, settings, requestUrl),
    body: { error: code, error_description: description },
  };
}

/**
 * The one place a failure becomes an HTTP answer instead of an MCP result: a bad or missing bearer token
 * (401/403), unreachable signing keys (503), or an On-Behalf-Of failure only a new sign-in can fix (401).
 * Undefined for everything else, which stays a tool error (consent, outages, the server's own credential).
 */
export function challengeFor(error: unknown, settings: Settings, requestUrl: string): Challenge | undefined {
  if (error instanceof TokenError) return tokenChallenge(error, settings, requestUrl);
  if (error instanceof MetadataUnavailableError) {
    return {
      status: 503,
      headers: { 'Retry-After': String(METADATA_RETRY_AFTER_SEC) },
      body: {
        error: 'temporarily_unavailable',
        error_description: 'Token signing keys are unavailable; retry shortly.',
      },
    };
  }
  if (error instanceof OboError && error.needsReauthentication) {
    return reauthenticationChallenge(error, settings, requestUrl);
  }
  return undefined;
}
