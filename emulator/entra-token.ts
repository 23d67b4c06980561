// Grants of the emulated v2.0 token endpoint (On-Behalf-Of, device code, refresh token) and the device
// authorization endpoint. Wire formats:
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
//   https://learn.microsoft.com/entra/workload-id/workload-identity-federation (client assertion checks)
import { randomBytes } from 'node:crypto';
import { Errors } from './entra-errors.js';
import { parseScopes } from './scopes.js';
import type { ParsedScopes } from './scopes.js';
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
import { findUser } from './types.js';
import type { EmulatorState, EmulatorUser } from './types.js';

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

/** The user behind an On-Behalf-Of assertion (a token issued for this app's API). */
async function userFromAssertion(state: EmulatorState, assertion: string): Promise<EmulatorUser> {
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
  if (aud !== state.clientId && aud !== `api://${state.clientId}`)
    throw Errors.assertionAudience(aud, state.clientId);
  if (typeof c.scp !== 'string' || typeof c.oid !== 'string') throw Errors.assertionNotDelegated();
  const user = findUser(state, c.oid);
  if (!user) throw Errors.unknownUser(c.oid, state.tenantId);
  return user;
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

/** Builds the success body: access token for the one resource, plus id/refresh token and client_info on request. */
async function issueTokens(
  state: EmulatorState,
  user: EmulatorUser,
  scopes: ParsedScopes,
  form: URLSearchParams,
  authLevel: '0' | '1' | '2',
  confidential: boolean,
): Promise<TokenResponseBody> {
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
    audience = version === 2 ? state.clientId : `api://${state.clientId}`;
  }
  const access = await signJwt(
    state.key,
    userAccessTokenClaims({
      user,
      tenantId: state.tenantId,
      entraUrl: state.entraUrl,
      version,
      audience,
      scopes: scopes.scp,
      clientAppId: state.clientId,
      clientAuthLevel: authLevel,
      iat: now,
      nbf: now,
      exp: now + life,
    }),
  );
  const body: TokenResponseBody = {
    token_type: 'Bearer',
    scope: scopes.requested.join(' '),
    expires_in: life,
    ext_expires_in: life,
    access_token: access,
  };
  if (scopes.offlineAccess) {
    const rt = `0.A${randomBytes(96).toString('base64url')}`;
    state.refreshTokens.set(rt, { oid: user.oid, clientId: state.clientId, confidential });
    body.refresh_token = rt;
  }
  if (scopes.openid) {
    body.id_token = await signJwt(
      state.key,
      idTokenClaims(user, {
        tenantId: state.tenantId,
        entraUrl: state.entraUrl,
        clientId: state.clientId,
        now,
        lifetimeSec: life,
      }),
    );
  }
  if (form.get('client_info') === '1') body.client_info = clientInfo(user.oid, state.tenantId);
  return body;
}

function scopeConfig(state: EmulatorState): { clientId: string; tenantId: string; exposedScopes: string[] } {
  return { clientId: state.clientId, tenantId: state.tenantId, exposedScopes: state.exposedScopes };
}

export async function oboGrant(state: EmulatorState, form: URLSearchParams): Promise<TokenResponseBody> {
  requireOurClient(state, form);
  const level = await authenticateConfidential(state, form);
  if (form.get('requested_token_use') !== 'on_behalf_of') throw Errors.missingParam('requested_token_use');
  const assertion = requireParam(form, 'assertion');
  const scopes = parseScopes(form.get('scope'), scopeConfig(state));
  const user = await userFromAssertion(state, assertion);
  if (scopes.resource !== 'arm') throw Errors.invalidScope(form.get('scope') ?? '');
  if (user.consentRequired) throw Errors.consentRequired(state.clientId);
  return issueTokens(state, user, scopes, form, level, true);
}

function requirePublicClient(state: EmulatorState): void {
  // "Allow public client flows" = No: Entra treats the app as confidential and asks for a credential.
  if (!state.publicClientFlowsEnabled) throw Errors.missingClientCredential();
}

export async function deviceCodeGrant(
  state: EmulatorState,
  form: URLSearchParams,
): Promise<TokenResponseBody> {
  requireOurClient(state, form);
  requirePublicClient(state);
  const code = requireParam(form, 'device_code');
  const entry = state.deviceCodes.get(code);
  if (!entry || entry.redeemed) throw Errors.badDeviceCode();
  if (nowSec() >= entry.expiresAt) throw Errors.deviceCodeExpired();
  if (!entry.approvedBy) throw Errors.authorizationPending();
  const user = findUser(state, entry.approvedBy);
  if (!user) throw Errors.badDeviceCode();
  const scopes = parseScopes(form.get('scope') ?? entry.scopes.join(' '), scopeConfig(state));
  entry.redeemed = true;
  return issueTokens(state, user, scopes, form, '0', false);
}

export async function refreshTokenGrant(
  state: EmulatorState,
  form: URLSearchParams,
): Promise<TokenResponseBody> {
  requireOurClient(state, form);
  const rt = requireParam(form, 'refresh_token');
  const entry = state.refreshTokens.get(rt);
  if (!entry) throw Errors.badRefreshToken();
  let level: '0' | '1' | '2' = '0';
  if (entry.confidential) level = await authenticateConfidential(state, form);
  else requirePublicClient(state);
  const user = findUser(state, entry.oid);
  if (!user) throw Errors.badRefreshToken();
  const scopes = parseScopes(form.get('scope'), scopeConfig(state));
  if (scopes.resource === 'arm' && user.consentRequired) throw Errors.consentRequired(state.clientId);
  return issueTokens(state, user, scopes, form, level, entry.confidential);
}

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ23456789';

function userCode(): string {
  const bytes = randomBytes(9);
  return Array.from(bytes, (b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join('');
}

/** POST /{tenant}/oauth2/v2.0/devicecode */
export function deviceAuthorization(state: EmulatorState, form: URLSearchParams): Record<string, unknown> {
  requireOurClient(state, form);
  parseScopes(form.get('scope'), scopeConfig(state)); // validates; redemption re-parses the scope it is sent
  const code = userCode();
  const deviceCode = `DAQABIQEAAAB${randomBytes(96).toString('base64url')}`;
  const auto = state.autoApproveDeviceCode ? findUser(state, state.autoApproveDeviceCode) : undefined;
  state.deviceCodes.set(deviceCode, {
    deviceCode,
    userCode: code,
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
