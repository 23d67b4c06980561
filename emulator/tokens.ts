// JWT minting and checking for the emulated Entra ID. Claim sets follow the Microsoft identity platform
// access token reference (v1.0 and v2.0 claims) and the ID token reference:
//   https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
//   https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
import { SignJWT, compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type { JWTPayload } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import type { SigningKey } from './signing.js';
import type { EmulatorUser } from './types.js';

export const ARM_AUDIENCES = [
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
];
export const VAULT_AUDIENCE = 'https://vault.azure.net';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export type Claims = JWTPayload & Record<string, unknown>;

export function v1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export function v2Issuer(entraUrl: string, tenantId: string): string {
  return `${entraUrl}/${tenantId}/v2.0`;
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

function rand(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Pairwise subject like Entra's: stable per (user, app), opaque. */
export function pairwiseSub(oid: string, appId: string): string {
  return createHash('sha256').update(`${oid}|${appId}`).digest('base64url');
}

export async function signJwt(key: SigningKey, claims: Claims): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5t: key.kid, kid: key.kid })
    .sign(key.privateKey);
}

export type VerifyResult =
  | { ok: true; claims: Claims }
  | { ok: false; reason: 'malformed' | 'signature'; claims?: Claims; kid?: string }
  | { ok: false; reason: 'expired' | 'not_yet_valid'; claims: Claims };

/**
 * Checks signature (our key only), then exp / nbf against `now` (no clock skew, so tests of expiry are
 * deterministic). Audience, issuer and tenant are left to the caller, which knows which error to give.
 */
export async function verifyJwt(key: SigningKey, token: string, now = nowSec()): Promise<VerifyResult> {
  let claims: Claims;
  let kid: string | undefined;
  try {
    claims = decodeJwt<Record<string, unknown>>(token);
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  try {
    await compactVerify(token, key.publicKey, { algorithms: ['RS256'] });
  } catch {
    return { ok: false, reason: 'signature', claims, ...(kid ? { kid } : {}) };
  }
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, reason: 'expired', claims };
  if (typeof claims.nbf === 'number' && claims.nbf > now)
    return { ok: false, reason: 'not_yet_valid', claims };
  return { ok: true, claims };
}

function splitName(name: string): { given_name: string; family_name: string } {
  const parts = name.trim().split(/\s+/);
  const family = parts.length > 1 ? (parts.pop() ?? '') : '';
  return { given_name: parts.join(' '), family_name: family };
}

export interface UserTokenSpec {
  user: EmulatorUser;
  tenantId: string;
  entraUrl: string;
  version: 1 | 2;
  audience: string;
  scopes: string[];
  /** Client app the user signed in to (azp / appid). */
  clientAppId: string;
  /** 0 public client, 1 client secret, 2 certificate / assertion. */
  clientAuthLevel: '0' | '1' | '2';
  issuer?: string;
  iat: number;
  nbf: number;
  exp: number;
  extra?: Record<string, unknown>;
}

/** A delegated (user) access token in Entra's v1.0 or v2.0 claim shape. */
export function userAccessTokenClaims(spec: UserTokenSpec): Claims {
  const { user, tenantId } = spec;
  const common = {
    aud: spec.audience,
    iat: spec.iat,
    nbf: spec.nbf,
    exp: spec.exp,
    aio: rand(48),
    name: user.name,
    oid: user.oid,
    rh: `0.A${rand(40)}.`,
    scp: spec.scopes.join(' '),
    sub: pairwiseSub(user.oid, spec.clientAppId),
    tid: tenantId,
    uti: rand(16),
  };
  if (spec.version === 2) {
    return {
      ...common,
      iss: spec.issuer ?? v2Issuer(spec.entraUrl, tenantId),
      azp: spec.clientAppId,
      azpacr: spec.clientAuthLevel,
      preferred_username: user.upn,
      ver: '2.0',
      ...spec.extra,
    };
  }
  return {
    ...common,
    iss: spec.issuer ?? v1Issuer(tenantId),
    acr: '1',
    amr: ['pwd'],
    appid: spec.clientAppId,
    appidacr: spec.clientAuthLevel,
    ...splitName(user.name),
    idtyp: 'user',
    ipaddr: '127.0.0.1',
    unique_name: user.upn,
    upn: user.upn,
    ver: '1.0',
    ...spec.extra,
  };
}

/** An OpenID Connect ID token (always v2.0 from the v2.0 endpoint). */
export function idTokenClaims(
  user: EmulatorUser,
  o: { tenantId: string; entraUrl: string; clientId: string; now: number; lifetimeSec: number },
): Claims {
  return {
    aud: o.clientId,
    iss: v2Issuer(o.entraUrl, o.tenantId),
    iat: o.now,
    nbf: o.now,
    exp: o.now + o.lifetimeSec,
    name: user.name,
    oid: user.oid,
    preferred_username: user.upn,
    rh: `0.A${rand(40)}.`,
    sub: pairwiseSub(user.oid, o.clientId),
    tid: o.tenantId,
    uti: rand(16),
    ver: '2.0',
  };
}

/** An app-only token for a managed identity (v2.0 for api://AzureADTokenExchange, v1.0 otherwise). */
export function managedIdentityClaims(o: {
  resource: string;
  tenantId: string;
  entraUrl: string;
  miClientId: string;
  principalId: string;
  now: number;
  lifetimeSec: number;
}): Claims {
  const common = {
    aud: o.resource,
    iat: o.now,
    nbf: o.now,
    exp: o.now + o.lifetimeSec,
    aio: rand(48),
    idtyp: 'app',
    oid: o.principalId,
    rh: `0.A${rand(40)}.`,
    sub: o.principalId,
    tid: o.tenantId,
    uti: rand(16),
    xms_mirid: `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-mi`,
  };
  if (o.resource === TOKEN_EXCHANGE_AUDIENCE) {
    return { ...common, iss: v2Issuer(o.entraUrl, o.tenantId), azp: o.miClientId, azpacr: '2', ver: '2.0' };
  }
  return { ...common, iss: v1Issuer(o.tenantId), appid: o.miClientId, appidacr: '2', ver: '1.0' };
}

export function clientInfo(oid: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tenantId })).toString('base64url');
}
