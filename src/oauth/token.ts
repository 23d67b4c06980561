import { randomUUID } from 'node:crypto';
// The proxy's token endpoint and the tokens it hands out. Clients never hold an Entra token: the access token is
// sealed (JWE) around Entra's access token and the client id, the refresh token around Entra's refresh token and
// the client it was issued to. /mcp opens the access token and verifies the Entra token inside as usual.
import { ATTR } from '../telemetry/names.js';
import { activeSpan } from '../telemetry/telemetry.js';
import { clientTelemetryLabel } from './client-label.js';
import { MetadataUnavailableError, OAuthProxyError, TokenError } from '../errors.js';
import { CODE_SEC, PKCE_VALUE, checkResource, grantedScope, s256 } from './authorize.js';
import type { CodeClaims } from './authorize.js';
import type { ProxyContext } from './context.js';
import { nowSec } from './context.js';
import { digest } from './keys.js';
import type { ProxyKeyRing } from './keys.js';
import { proxyUrls } from './metadata.js';
import { jsonResponse } from './responses.js';

/**
 * How long a sign-in lasts through refreshes: 90 days from the interactive sign-in (Entra's own refresh tokens last
 * 90 days of inactivity). Absolute, so a stolen refresh token cannot be renewed forever.
 */
const SIGN_IN_SEC = 90 * 24 * 3600;

interface AccessTokenClaims {
  /** The MCP client the token was issued to. */
  cid: string;
  /** Entra's access token: the On-Behalf-Of assertion. */
  at: string;
}

interface RefreshTokenClaims {
  /** Used once: a refresh rotates it (per instance; see useCode). */
  jti: string;
  cidh: string;
  rt: string;
  sc: string;
  /** When the user signed in interactively (epoch s): the end of the chain of refreshes is counted from it. */
  sat: number;
}

/** What a proxy access token holds, once opened for this server. */
export interface UnwrappedToken {
  entraToken: string;
  clientId: string;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw new OAuthProxyError('invalid_request', `The request has no ${name}.`);
  return value;
}

function invalidGrant(description: string): OAuthProxyError {
  return new OAuthProxyError('invalid_grant', description);
}

async function issue(
  ctx: ProxyContext,
  keys: ProxyKeyRing,
  request: Request,
  clientId: string,
  upstream: { at: string; ate: number; rt: string | undefined },
  scope: string,
  signedInAt: number,
): Promise<Response> {
  const { issuer, resource } = proxyUrls(ctx.settings, request.url);
  const now = nowSec(ctx);
  if (upstream.ate <= now)
    throw new OAuthProxyError('server_error', 'Entra ID issued an access token that has expired.');
  const accessToken = await keys.seal(
    'access-token',
    { iss: issuer, aud: resource, cid: clientId, at: upstream.at } satisfies AccessTokenClaims &
      Record<string, string>,
    upstream.ate,
  );
  const refreshToken = upstream.rt
    ? await keys.seal(
        'refresh-token',
        {
          jti: randomUUID(),
          cidh: digest(clientId),
          rt: upstream.rt,
          sc: scope,
          sat: signedInAt,
        } satisfies RefreshTokenClaims,
        signedInAt + SIGN_IN_SEC,
      )
    : undefined;
  return jsonResponse(200, {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: upstream.ate - now,
    scope,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  });
}

async function authorizationCode(
  ctx: ProxyContext,
  keys: ProxyKeyRing,
  request: Request,
  form: URLSearchParams,
  clientId: string,
): Promise<Response> {
  const code = required(form, 'code');
  const redirectUri = required(form, 'redirect_uri');
  const verifier = required(form, 'code_verifier');
  const opened = await keys.open<CodeClaims>('code', code);
  if (!opened.ok) throw invalidGrant('The authorization code is not valid or has expired.');
  const c = opened.claims;
  if (c.cidh !== digest(clientId)) throw invalidGrant('The authorization code was issued to another client.');
  if (c.ru !== redirectUri) throw invalidGrant('The redirect_uri differs from the authorization request.');
  if (!PKCE_VALUE.test(verifier) || s256(verifier) !== c.cc) {
    throw invalidGrant('The code_verifier does not match the code_challenge (PKCE).');
  }
  // Checked last, so a request that failed above does not burn the legitimate client's code.
  if (!ctx.useCode(c.jti, (c.exp ?? nowSec(ctx) + CODE_SEC) + 1)) {
    throw invalidGrant('The authorization code has already been used.');
  }
  return issue(ctx, keys, request, clientId, { at: c.at, ate: c.ate, rt: c.rt }, c.sc, nowSec(ctx));
}

async function refresh(
  ctx: ProxyContext,
  keys: ProxyKeyRing,
  request: Request,
  form: URLSearchParams,
  clientId: string,
): Promise<Response> {
  const opened = await keys.open<RefreshTokenClaims>('refresh-token', required(form, 'refresh_token'));
  if (!opened.ok) throw invalidGrant('The refresh token is not valid or has expired.');
  const r = opened.claims;
  if (r.cidh !== digest(clientId)) throw invalidGrant('The refresh token was issued to another client.');
  if (form.has('scope') && grantedScope(ctx, form.get('scope')) !== r.sc) {
    throw new OAuthProxyError('invalid_scope', 'The scope exceeds what was granted.');
  }
  if (typeof r.jti !== 'string' || typeof r.sat !== 'number')
    throw invalidGrant('The refresh token is not valid.');
  const upstream = await ctx.signIn.refresh(r.rt);
  // Refreshing cannot satisfy a claims challenge; only an interactive sign-in (authorize again) can.
  if ((await ctx.stepUpClaims(upstream.accessToken)) !== undefined) {
    throw invalidGrant(
      'Azure Resource Manager requires a stronger sign-in (MFA or Conditional Access); authorize again.',
    );
  }
  // Rotation: this refresh token is spent (marked only now, so a client retrying after an Entra outage can).
  if (!ctx.useCode(r.jti, r.exp ?? r.sat + SIGN_IN_SEC))
    throw invalidGrant('The refresh token has already been used.');
  // Entra rotates refresh tokens; should it not, the one in hand stays good.
  return issue(
    ctx,
    keys,
    request,
    clientId,
    { at: upstream.accessToken, ate: upstream.expiresAt, rt: upstream.refreshToken ?? r.rt },
    r.sc,
    r.sat,
  );
}

/** POST /oauth/token */
export async function token(ctx: ProxyContext, request: Request, form: URLSearchParams): Promise<Response> {
  const grant = form.get('grant_type');
  if (!grant) throw new OAuthProxyError('invalid_request', 'The request has no grant_type.');
  if (grant !== 'authorization_code' && grant !== 'refresh_token') {
    throw new OAuthProxyError(
      'unsupported_grant_type',
      'Supported grant types: authorization_code, refresh_token.',
    );
  }
  activeSpan().setAttribute(ATTR.oauthGrantType, grant);
  checkResource(proxyUrls(ctx.settings, request.url), form.get('resource'));
  // Public clients identify themselves by client_id; a registration that no longer verifies is no client.
  const client = await ctx.clients.resolve(required(form, 'client_id'));
  activeSpan().setAttribute(ATTR.client, clientTelemetryLabel(client.id));
  const keys = await ctx.keys(form.get('code') ?? form.get('refresh_token') ?? undefined);
  const response =
    grant === 'authorization_code'
      ? await authorizationCode(ctx, keys, request, form, client.id)
      : await refresh(ctx, keys, request, form, client.id);
  ctx.logger.info(`oauth proxy: ${grant} grant for a client: tokens issued`);
  return response;
}

/**
 * Opens one of the proxy's access tokens presented at /mcp: sealed by this server (any key of its ring), unexpired,
 * for this resource. Throws TokenError like any rejected bearer token.
 */
export async function unwrapAccessToken(
  ctx: Pick<ProxyContext, 'settings' | 'keys'>,
  token: string,
  requestUrl: string,
): Promise<UnwrappedToken> {
  let keys: ProxyKeyRing;
  try {
    keys = await ctx.keys(token);
  } catch (error) {
    throw new MetadataUnavailableError('The OAuth proxy keys could not be loaded', { cause: error });
  }
  const opened = await keys.open<AccessTokenClaims>('access-token', token);
  if (!opened.ok) {
    throw opened.reason === 'expired'
      ? new TokenError('token_expired', 'Token has expired.')
      : new TokenError('token_invalid', 'Token is not acceptable.');
  }
  const { issuer, resource } = proxyUrls(ctx.settings, requestUrl);
  const c = opened.claims;
  if (c.aud !== resource || c.iss !== issuer) {
    throw new TokenError('token_bad_audience', 'Token was issued for another resource.');
  }
  if (typeof c.at !== 'string' || typeof c.cid !== 'string')
    throw new TokenError('token_invalid', 'Token is not acceptable.');
  return { entraToken: c.at, clientId: c.cid };
}
