// Shared bits of the emulator's own tests.
import { createHash, randomBytes } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { Emulator } from '../../emulator/index.js';

export const ARM_SCOPE = 'https://management.azure.com/user_impersonation';

/** MSAL authority settings for the emulator (a non-Microsoft host must be listed in knownAuthorities). */
export function msalAuth(emu: Emulator): { clientId: string; authority: string; knownAuthorities: string[] } {
  return {
    clientId: emu.clientId,
    authority: `${emu.entraUrl}/${emu.tenantId}`,
    knownAuthorities: [new URL(emu.entraUrl).host],
  };
}

/** A TokenCredential that always returns one fixed token. */
export function staticCredential(token: string, expiresOnTimestamp = Date.now() + 3600_000): TokenCredential {
  return { getToken: (): Promise<AccessToken> => Promise.resolve({ token, expiresOnTimestamp }) };
}

/** An ARM token for `user` through the real OBO flow (client secret). */
export async function armTokenFor(emu: Emulator, user: string): Promise<string> {
  const cca = new ConfidentialClientApplication({
    auth: { ...msalAuth(emu), clientSecret: emu.clientSecret },
  });
  const assertion = await emu.issueUserToken({ user });
  const result = await cca.acquireTokenOnBehalfOf({
    oboAssertion: assertion,
    scopes: [ARM_SCOPE],
    skipCache: true,
  });
  if (!result?.accessToken) throw new Error('no ARM token');
  return result.accessToken;
}

export function decodePayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeResult {
  status: number;
  /** Query (or fragment) parameters of the redirect, when there is one. */
  params: URLSearchParams;
  location: string | null;
  body: string;
}

/** Does the "browser" step: GET the authorize URL without following the redirect. */
export async function browse(url: string | URL): Promise<AuthorizeResult> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  const body = await res.text();
  const params = location ? new URL(location).searchParams : new URLSearchParams();
  return { status: res.status, params, location, body };
}

export function authorizeUrl(emu: Emulator, params: Record<string, string>): URL {
  const url = new URL(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', ...params })) url.searchParams.set(k, v);
  return url;
}

export interface TokenResult {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

export async function postToken(emu: Emulator, form: Record<string, string>): Promise<TokenResult> {
  const res = await fetch(`${emu.entraUrl}/${emu.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}
