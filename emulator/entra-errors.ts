// Entra ID (v2.0 endpoint) error responses, in the shape the token endpoint really returns:
//   https://learn.microsoft.com/entra/identity-platform/reference-error-codes
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmuResponse } from './http.js';

/** Thrown by grant handlers; turned into the Entra error JSON by the token endpoint. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
    readonly suberror?: string,
    /** Entra's claims challenge (a JSON string), e.g. for Conditional Access. */
    readonly claims?: string,
  ) {
    super(`${error} AADSTS${code}`);
  }
}

/** `2016-01-09 02:02:12Z`, as Entra writes timestamps in errors. */
export function entraTimestamp(date = new Date()): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function correlationIdOf(req: EmuRequest): string {
  return req.header('client-request-id') ?? req.url.searchParams.get('client-request-id') ?? randomUUID();
}

export function entraErrorResponse(req: EmuRequest, entraUrl: string, e: OAuthError): EmuResponse {
  const timestamp = entraTimestamp();
  const traceId = randomUUID();
  const correlationId = correlationIdOf(req);
  const json: Record<string, unknown> = {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${entraUrl}/error?code=${e.code}`,
  };
  if (e.suberror) json.suberror = e.suberror;
  if (e.claims) json.claims = e.claims;
  return { status: e.status, json };
}

// The AADSTS errors the emulator produces, in one place.
export const Errors = {
  invalidTenant: (tenant: string) =>
    new OAuthError(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  missingParam: (name: string) =>
    new OAuthError(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    ),
  unknownClient: (clientId: string, tenant: string) =>
    new OAuthError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  missingClientCredential: () =>
    new OAuthError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  badSecret: (clientId: string) =>
    new OAuthError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  badAssertionType: () =>
    new OAuthError(
      400,
      'invalid_request',
      700023,
      "Invalid 'client_assertion_type' parameter value. Expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
    ),
  clientAssertionMalformed: () =>
    new OAuthError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.'),
  clientAssertionSignature: () =>
    new OAuthError(
      401,
      'invalid_client',
      700027,
      'The certificate with identifier used to sign the client assertion is not registered on application. Client assertion failed signature validation.',
    ),
  clientAssertionExpired: () =>
    new OAuthError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.'),
  noFederatedRecord: (iss: string, sub: string, aud: string) =>
    new OAuthError(
      401,
      'invalid_client',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'.`,
    ),
  assertionMalformed: () =>
    new OAuthError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'),
  assertionSignature: (kid: string | undefined) =>
    new OAuthError(
      400,
      'invalid_grant',
      50013,
      `Assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${kid ?? ''}']`,
    ),
  assertionExpired: (now: number, exp: unknown) =>
    new OAuthError(
      400,
      'invalid_grant',
      500133,
      `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'unknown'}.`,
    ),
  assertionAudience: (aud: string, clientId: string) =>
    new OAuthError(
      400,
      'invalid_grant',
      50013,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${clientId}' or one of the Application Uris of this application with App ID '${clientId}'.`,
    ),
  assertionIssuer: (iss: string) =>
    new OAuthError(
      400,
      'invalid_grant',
      50013,
      `Assertion contains an invalid issuer '${iss}' for this tenant.`,
    ),
  assertionNotDelegated: () =>
    new OAuthError(
      400,
      'invalid_grant',
      50013,
      'Assertion is not a delegated (user) token; on_behalf_of requires a user assertion.',
    ),
  unknownUser: (who: string, tenant: string) =>
    new OAuthError(
      400,
      'invalid_grant',
      50034,
      `The user account ${who} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`,
    ),
  consentRequired: (clientId: string, name = 'azure-obo-mcp', error = 'invalid_grant') =>
    new OAuthError(
      400,
      error,
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${name}'. Send an interactive authorization request for this user and resource.`,
      error === 'invalid_grant' ? 'consent_required' : undefined,
    ),
  resourceScopeMismatch: () =>
    new OAuthError(
      400,
      'invalid_target',
      9010010,
      "The resource parameter provided in the request doesn't match with the requested scopes.",
    ),
  redirectUriMismatch: (redirectUri: string, clientId: string) =>
    new OAuthError(
      400,
      'invalid_request',
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    ),
  replyAddressMismatch: (sent: string, original: string) =>
    new OAuthError(
      400,
      'invalid_client',
      500112,
      `The reply address '${sent}' does not match the reply address '${original}' provided when requesting Authorization code.`,
    ),
  unsupportedResponseType: () =>
    new OAuthError(
      400,
      'unsupported_response_type',
      70005,
      "The provided value for the input parameter 'response_type' is not allowed for this request. Expected value: code.",
    ),
  badCodeChallengeMethod: () =>
    new OAuthError(400, 'invalid_request', 50149, 'Invalid Code_Challenge_method parameter.'),
  badCodeChallengeSize: () =>
    new OAuthError(400, 'invalid_request', 501491, 'Invalid size of Code_Challenge parameter.'),
  missingCodeVerifier: () =>
    new OAuthError(
      400,
      'invalid_grant',
      50148,
      'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
    ),
  codeVerifierMismatch: () =>
    new OAuthError(
      400,
      'invalid_grant',
      501481,
      'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    ),
  codeRedeemed: () =>
    new OAuthError(
      400,
      'invalid_grant',
      54005,
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    ),
  codeExpired: () =>
    new OAuthError(
      400,
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    ),
  badCode: () =>
    new OAuthError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),
  mfaRequired: (resource: string, claims: string) =>
    new OAuthError(
      400,
      'interaction_required',
      50076,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource}'.`,
      undefined,
      claims,
    ),
  sessionRevoked: (issuedAt: number, validFrom: number) =>
    new OAuthError(
      400,
      'invalid_grant',
      50173,
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(issuedAt * 1000).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(validFrom * 1000).toISOString()}'.`,
    ),
  unknownResource: (resource: string, tenant: string) =>
    new OAuthError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  unknownScope: (clientId: string, scope: string, resource: string) =>
    new OAuthError(
      400,
      'invalid_client',
      650053,
      `The application '${clientId}' asked for scope '${scope}' that doesn't exist on the resource '${resource}'. Contact the app vendor.`,
    ),
  invalidScope: (scope: string) =>
    new OAuthError(
      400,
      'invalid_scope',
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid.`,
    ),
  multipleResources: () =>
    new OAuthError(
      400,
      'invalid_scope',
      28000,
      'Provided value for the input parameter scope is not valid because it contains more than one resource. Scope must contain a single resource.',
    ),
  unsupportedGrant: (grant: string) =>
    new OAuthError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`,
    ),
  authorizationPending: () =>
    new OAuthError(
      400,
      'authorization_pending',
      70016,
      'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
    ),
  deviceCodeExpired: () => new OAuthError(400, 'expired_token', 70019, 'Verification code expired.'),
  badDeviceCode: () =>
    new OAuthError(
      400,
      'invalid_grant',
      70000,
      "The provided value for the input parameter 'device_code' is not valid.",
    ),
  consentDeclined: () =>
    new OAuthError(400, 'consent_required', 65004, 'User declined to consent to access the app.'),
  conditionalAccessBlocked: () =>
    new OAuthError(
      400,
      'access_denied',
      53003,
      'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    ),
  refreshTokenOtherClient: () =>
    new OAuthError(400, 'invalid_grant', 700007, 'The grant was issued for a different client id.'),
  badRefreshToken: () =>
    new OAuthError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),
  throttled: () =>
    new OAuthError(
      429,
      'temporarily_unavailable',
      90055,
      'TenantThrottlingError - There are too many incoming requests. Please try again later.',
    ),
  unavailable: (status: number) =>
    new OAuthError(
      status,
      'temporarily_unavailable',
      90033,
      'A transient error has occurred. Please try again.',
    ),
} as const;
