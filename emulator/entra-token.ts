// Grants of the emulated v2.0 token endpoint (On-Behalf-Of, device code, refresh token) and the device
// authorization endpoint. Wire formats:
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
//   https://learn.microsoft.com/entra/workload-id/workload-identity-federation (client assertion checks)
import { createHash, randomBytes } from 'node:crypto';
import { checkConsent, isApiApp, requireClient } from './clients.js';
import { Errors } from './entra-errors.js';
import { checkResourceParam, parseScopes } from './scopes.js';
import type { ParsedScopes, ScopeConfig } from './scopes.js';
import type { Claims } from './tokens.js';
import {
  TOKEN_EXCHANGE_AUDIENCE,
  clientInfo,
  idTokenClaims,
  nowSec,
  signJwt,
  userAccessTokenClaims,
  v1Issuer,
  v2Issuer,
  verifyJwt,
} from './tokens.js';
import { findUser, recordIssued } from './types.js';
import type { AuthContext, EmulatorClientApp, EmulatorState, EmulatorUser } from './types.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const DEVICE_CODE_GRANTS = new Set(['device_code', 'urn:ietf:params:oauth:grant-type:device_code']);

export type ClientAuthKind = 'secret' | 'assertion' | 'none';

export function clientAuthKind(form: URLSearchParams): ClientAuthKind {
  if (form.has('client_assertion')) return 'assertion';
  if (form.has('client_secret')) return 'secret';
  return 'none';
}

function requireParam(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw Errors.missingParam(name);
  return value;
}

function requireOurClient(state: EmulatorState, form: URLSearchParams): void {
  const clientId = requireParam(form, 'client_id');
  if (clientId.toLowerCase() !== state.clientId.toLowerCase())
    throw Errors.unknownClient(clientId, state.tenantId);
}

/** Confidential client authentication: the app secret, or a managed-identity token via a federated credential. */
async function authenticateConfidential(state: EmulatorState, form: URLSearchParams): Promise<'1' | '2'> {
  const assertion = form.get('client_assertion');
  if (assertion) {
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) throw Errors.badAssertionType();
    const result = await verifyJwt(state.key, assertion);
    if (!result.ok) {
      if (result.reason === 'malformed') throw Errors.clientAssertionMalformed();
      if (result.reason === 'signature') throw Errors.clientAssertionSignature();
      throw Errors.clientAssertionExpired();
    }
    const { iss, sub, aud } = result.claims;
    const audList = Array.isArray(aud) ? aud : [aud];
    // The app's one federated identity credential: trust the managed identity of this tenant.
    if (
      iss !== v2Issuer(state.entraUrl, state.tenantId) ||
      sub !== state.managedIdentity.principalId ||
      !audList.includes(TOKEN_EXCHANGE_AUDIENCE)
    ) {
      throw Errors.noFederatedRecord(String(iss), String(sub), audList.join(','));
    }
    return '2';
  }
  const secret = form.get('client_secret');
  if (secret === null) throw Errors.missingClientCredential();
  if (secret !== state.clientSecret) throw Errors.badSecret(state.clientId);
  return '1';
}

/** The user behind an On-Behalf-Of assertion (a token issued for this app's API), and the assertion's claims. */
async function userFromAssertion(
  state: EmulatorState,
  assertion: string,
): Promise<{ user: EmulatorUser; claims: Claims }> {
  const now = nowSec();
  const result = await verifyJwt(state.key, assertion, now);
  if (!result.ok) {
    if (result.reason === 'malformed') throw Errors.assertionMalformed();
    if (result.reason === 'signature') throw Errors.assertionSignature(result.kid);
    throw Errors.assertionExpired(now, result.claims?.exp);
  }
  const c = result.claims;
  const issuers = [v1Issuer(state.tenantId), v2Issuer(state.entraUrl, state.tenantId)];
  if (typeof c.iss !== 'string' || !issuers.includes(c.iss) || c.tid !== state.tenantId) {
    throw Errors.assertionIssuer(String(c.iss));
  }
  const aud = typeof c.aud === 'string' ? c.aud : '';
  const audiences = [state.clientId, `api://${state.clientId}`, ...state.identifierUris].map((a) =>
    a.toLowerCase(),
  );
  if (!audiences.includes(aud.toLowerCase())) throw Errors.assertionAudience(aud, state.clientId);
  if (typeof c.scp !== 'string' || typeof c.oid !== 'string') throw Errors.assertionNotDelegated();
  const user = findUser(state, c.oid);
  if (!user) throw Errors.unknownUser(c.oid, state.tenantId);
  return { user, claims: c };
}

export interface TokenResponseBody {
  token_type: 'Bearer';
  scope: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  client_info?: string;
}

/** The Conditional Access policy id in the emulator's MFA claims challenge (`capolids`). */
export const MFA_POLICY_ID = 'c0a1f001-0000-4000-8000-0000000000ca';
const PASSWORD_ONLY: AuthContext = { amr: ['pwd'] };

/**
 * The sign-in a `claims` request parameter leads to: the user completed MFA (and any `acrs` asked for). Malformed
 * JSON is AADSTS50005-ish in Entra; the emulator simply treats it as a plain sign-in.
 */
export function authContextFor(claims: string | null): AuthContext {
  if (!claims) return PASSWORD_ONLY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return PASSWORD_ONLY;
  }
  // Only an access_token claims request is a step-up; MSAL sends id_token claims (signin_state, …) on every
  // interactive sign-in.
  if (typeof parsed !== 'object' || parsed === null || !('access_token' in parsed)) return PASSWORD_ONLY;
  const acrs = (parsed as { access_token?: { acrs?: { value?: unknown; values?: unknown } } })?.access_token
    ?.acrs;
  const listed: unknown[] = Array.isArray(acrs?.values) ? (acrs.values as unknown[]) : [];
  const values = [acrs?.value, ...listed].filter((v): v is string => typeof v === 'string');
  return { amr: ['pwd', 'mfa'], ...(values.length ? { acrs: values } : {}) };
}

const MAX_TRACKED_ARM_TOKENS = 10_000;

function trackArmToken(state: EmulatorState, uti: string, oid: string): void {
  state.armTokens.set(uti, oid);
  if (state.armTokens.size > MAX_TRACKED_ARM_TOKENS) {
    const oldest = state.armTokens.keys().next().value;
    if (oldest !== undefined) state.armTokens.delete(oldest);
  }
}

interface IssueSpec {
  user: EmulatorUser;
  scopes: ParsedScopes;
  form: URLSearchParams;
  authLevel: '0' | '1' | '2';
  confidential: boolean;
  /** The client app the tokens are issued to (azp / appid, ID token audience). */
  clientId: string;
  auth: AuthContext;
}

/** Builds the success body: access token for the one resource, plus id/refresh token and client_info on request. */
async function issueTokens(state: EmulatorState, spec: IssueSpec): Promise<TokenResponseBody> {
  const { user, scopes, form, auth, clientId } = spec;
  const now = nowSec();
  const life = state.tokenLifetimeSec;
  let audience: string;
  let version: 1 | 2;
  if (scopes.resource === 'arm') {
    version = 1;
    audience =
      scopes.armHost === 'https://management.core.windows.net'
        ? 'https://management.core.windows.net/'
        : 'https://management.azure.com/';
  } else {
    version = state.userTokenVersion;
    audience = version === 2 ? state.clientId : (scopes.apiUri ?? `api://${state.clientId}`);
  }
  // v1 tokens always carry amr; v2 ones only after a step-up, where the server under test looks for `mfa`.
  const stepUp = auth.amr.includes('mfa');
  const extra: Record<string, unknown> = {
    ...(version === 1 || stepUp ? { amr: auth.amr } : {}),
    ...(auth.acrs ? { acrs: auth.acrs } : {}),
  };
  const claims = userAccessTokenClaims({
    user,
    tenantId: state.tenantId,
    entraUrl: state.entraUrl,
    version,
    audience,
    scopes: scopes.scp,
    clientAppId: clientId,
    clientAuthLevel: spec.authLevel,
    iat: now,
    nbf: now,
    exp: now + life,
    extra,
  });
  if (scopes.resource === 'arm') trackArmToken(state, String(claims.uti), user.oid);
  const access = await signJwt(state.key, claims);
  const body: TokenResponseBody = {
    token_type: 'Bearer',
    scope: scopes.requested.join(' '),
    expires_in: life,
    ext_expires_in: life,
    access_token: access,
  };
  if (scopes.offlineAccess) {
    const rt = `0.A${randomBytes(96).toString('base64url')}`;
    state.refreshTokens.set(rt, { oid: user.oid, clientId, confidential: spec.confidential, auth });
    body.refresh_token = rt;
  }
  if (scopes.openid) {
    body.id_token = await signJwt(
      state.key,
      idTokenClaims(user, {
        tenantId: state.tenantId,
        entraUrl: state.entraUrl,
        clientId,
        now,
        lifetimeSec: life,
      }),
    );
  }
  if (form.get('client_info') === '1') body.client_info = clientInfo(user.oid, state.tenantId);
  recordIssued(state, body.access_token, body.refresh_token, body.id_token);
  return body;
}

export function scopeConfig(state: EmulatorState): ScopeConfig {
  return {
    clientId: state.clientId,
    tenantId: state.tenantId,
    exposedScopes: state.exposedScopes,
    identifierUris: state.identifierUris,
  };
}

export async function oboGrant(state: EmulatorState, form: URLSearchParams): Promise<TokenResponseBody> {
  requireOurClient(state, form);
  const level = await authenticateConfidential(state, form);
  if (form.get('requested_token_use') !== 'on_behalf_of') throw Errors.missingParam('requested_token_use');
  const assertion = requireParam(form, 'assertion');
  const scopes = parseScopes(form.get('scope'), scopeConfig(state));
  const { user, claims } = await userFromAssertion(state, assertion);
  if (scopes.resource !== 'arm') throw Errors.invalidScope(form.get('scope') ?? '');
  if (user.sessionRevoked) {
    const issued = typeof claims.iat === 'number' ? claims.iat : nowSec();
    throw Errors.sessionRevoked(issued, issued + 1);
  }
  if (user.consentRequired) throw Errors.consentRequired(state.clientId);
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (user.armMfaRequired && !amr.includes('mfa')) {
    const challenge = JSON.stringify({
      access_token: { capolids: { essential: true, values: [MFA_POLICY_ID] } },
    });
    throw Errors.mfaRequired(scopes.armHost ?? 'https://management.azure.com', challenge);
  }
  return issueTokens(state, {
    user,
    scopes,
    form,
    authLevel: level,
    confidential: true,
    clientId: state.clientId,
    auth: { amr: amr.filter((a): a is string => typeof a === 'string') },
  });
}

/** Device code and refresh grants of a public client: the API app only while "Allow public client flows" is on. */
function requirePublicClient(state: EmulatorState, client: EmulatorClientApp): void {
  // "Allow public client flows" = No: Entra treats the app as confidential and asks for a credential.
  if (isApiApp(state, client) && !state.publicClientFlowsEnabled) throw Errors.missingClientCredential();
}

/** What Entra checks on every delegated public-client token request: resource, consent, the user. */
function checkTarget(
  state: EmulatorState,
  client: EmulatorClientApp,
  scopes: ParsedScopes,
  form: URLSearchParams,
  user: EmulatorUser,
): void {
  checkResourceParam(form.get('resource'), scopes.resource, scopeConfig(state));
  checkConsent(state, client, scopes.resource);
  if (scopes.resource === 'arm' && user.consentRequired) throw Errors.consentRequired(state.clientId);
}

export async function deviceCodeGrant(
  state: EmulatorState,
  form: URLSearchParams,
): Promise<TokenResponseBody> {
  const client = requireClient(state, form.get('client_id'));
  requirePublicClient(state, client);
  const code = requireParam(form, 'device_code');
  const entry = state.deviceCodes.get(code);
  if (!entry || entry.redeemed || entry.clientId.toLowerCase() !== client.clientId.toLowerCase())
    throw Errors.badDeviceCode();
  if (nowSec() >= entry.expiresAt) throw Errors.deviceCodeExpired();
  if (!entry.approvedBy) throw Errors.authorizationPending();
  const user = findUser(state, entry.approvedBy);
  if (!user) throw Errors.badDeviceCode();
  return redeem(state, client, user, form, entry, form.get('scope') ?? entry.scopes.join(' '));
}

// The end of a public client's device code or authorization code grant: the same target checks, then single use.
function redeem(
  state: EmulatorState,
  client: Parameters<typeof checkTarget>[1],
  user: EmulatorUser,
  form: URLSearchParams,
  entry: { redeemed: boolean; auth: Parameters<typeof issueTokens>[1]['auth'] },
  scope: string,
): ReturnType<typeof issueTokens> {
  const scopes = parseScopes(scope, scopeConfig(state));
  checkTarget(state, client, scopes, form, user);
  entry.redeemed = true;
  return issueTokens(state, {
    user,
    scopes,
    form,
    authLevel: '0',
    confidential: false,
    clientId: client.clientId,
    auth: entry.auth,
  });
}

export async function refreshTokenGrant(
  state: EmulatorState,
  form: URLSearchParams,
): Promise<TokenResponseBody> {
  const client = requireClient(state, form.get('client_id'));
  const rt = requireParam(form, 'refresh_token');
  const entry = state.refreshTokens.get(rt);
  if (!entry) throw Errors.badRefreshToken();
  if (entry.clientId.toLowerCase() !== client.clientId.toLowerCase()) throw Errors.refreshTokenOtherClient();
  let level: '0' | '1' | '2' = '0';
  if (entry.confidential) level = await authenticateConfidential(state, form);
  else requirePublicClient(state, client);
  const user = findUser(state, entry.oid);
  if (!user) throw Errors.badRefreshToken();
  const scopes = parseScopes(form.get('scope'), scopeConfig(state));
  if (!entry.confidential) checkTarget(state, client, scopes, form, user);
  else if (scopes.resource === 'arm' && user.consentRequired) throw Errors.consentRequired(state.clientId);
  // A claims challenge on refresh means a fresh interactive step-up in real Entra; the emulator grants it.
  const claims = form.get('claims');
  const auth = claims ? authContextFor(claims) : entry.auth;
  return issueTokens(state, {
    user,
    scopes,
    form,
    authLevel: level,
    confidential: entry.confidential,
    clientId: client.clientId,
    auth,
  });
}

/** POST …/oauth2/v2.0/token with grant_type=authorization_code (public clients; PKCE as Entra checks it). */
export async function authorizationCodeGrant(
  state: EmulatorState,
  form: URLSearchParams,
): Promise<TokenResponseBody> {
  const client = requireClient(state, form.get('client_id'));
  const code = requireParam(form, 'code');
  const redirectUri = requireParam(form, 'redirect_uri');
  const entry = state.authCodes.get(code);
  if (!entry || entry.clientId.toLowerCase() !== client.clientId.toLowerCase()) throw Errors.badCode();
  if (entry.redeemed) throw Errors.codeRedeemed();
  if (nowSec() >= entry.expiresAt) throw Errors.codeExpired();
  if (redirectUri !== entry.redirectUri) throw Errors.replyAddressMismatch(redirectUri, entry.redirectUri);
  if (entry.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier');
    if (!verifier) throw Errors.missingCodeVerifier();
    const derived =
      entry.codeChallengeMethod === 'S256'
        ? createHash('sha256').update(verifier, 'ascii').digest('base64url')
        : verifier;
    if (derived !== entry.codeChallenge) throw Errors.codeVerifierMismatch();
  }
  const user = findUser(state, entry.oid);
  if (!user) throw Errors.badCode();
  if (entry.confidential) {
    // A Web redirect URI makes the code a confidential client's: no credential, no tokens (AADSTS7000218).
    const level = await authenticateConfidential(state, form);
    const scopes = parseScopes(form.get('scope') ?? entry.scope, scopeConfig(state));
    checkTarget(state, client, scopes, form, user);
    entry.redeemed = true;
    return issueTokens(state, {
      user,
      scopes,
      form,
      authLevel: level,
      confidential: true,
      clientId: client.clientId,
      auth: entry.auth,
    });
  }
  return redeem(state, client, user, form, entry, form.get('scope') ?? entry.scope);
}

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ23456789';

function userCode(): string {
  const bytes = randomBytes(9);
  return Array.from(bytes, (b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join('');
}

/** POST /{tenant}/oauth2/v2.0/devicecode */
export function deviceAuthorization(state: EmulatorState, form: URLSearchParams): Record<string, unknown> {
  const client = requireClient(state, form.get('client_id'));
  // Validates; redemption re-parses the scope it is sent and checks consent.
  const parsed = parseScopes(form.get('scope'), scopeConfig(state));
  checkResourceParam(form.get('resource'), parsed.resource, scopeConfig(state));
  const code = userCode();
  const deviceCode = `DAQABIQEAAAB${randomBytes(96).toString('base64url')}`;
  const auto = state.autoApproveDeviceCode ? findUser(state, state.autoApproveDeviceCode) : undefined;
  state.deviceCodes.set(deviceCode, {
    deviceCode,
    userCode: code,
    clientId: client.clientId,
    auth: authContextFor(form.get('claims')),
    scopes: (form.get('scope') ?? '').split(/\s+/).filter(Boolean),
    expiresAt: nowSec() + state.deviceCodeLifetimeSec,
    ...(auto ? { approvedBy: auto.oid } : {}),
    redeemed: false,
  });
  const verificationUri = `${state.entraUrl}/devicelogin`;
  return {
    user_code: code,
    device_code: deviceCode,
    verification_uri: verificationUri,
    expires_in: state.deviceCodeLifetimeSec,
    interval: state.deviceCodeIntervalSec,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code} to authenticate.`,
  };
}

/** Marks a pending device code as approved by `user` (oid or upn). Throws on unknown/expired codes or users. */
export function approveDeviceCode(state: EmulatorState, code: string, user: string): void {
  const wanted = code.replace(/[-\s]/g, '').toUpperCase();
  const entry = [...state.deviceCodes.values()].find((e) => e.userCode === wanted && !e.redeemed);
  if (!entry) throw new Error('Unknown or already redeemed user code');
  if (nowSec() >= entry.expiresAt) throw new Error('User code expired');
  const found = findUser(state, user);
  if (!found) throw new Error(`Unknown user ${user}`);
  entry.approvedBy = found.oid;
}
