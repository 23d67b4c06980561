// The browser's part of a proxied sign-in: the authorize request (client, redirect URI, PKCE, resource, scope),
// the consent page and its answer, the redirect to Entra ID, and Entra's callback, which ends with this server's
// one-time code at the client's redirect URI. Nothing is stored: what the next step needs travels sealed (the
// consent form, Entra's `state`, the code), bound to the browser by its cookie.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OAuthProxyError } from '../errors.js';
import { clean } from '../util/text.js';
import type { ProxyClient } from './clients.js';
import type { ProxyContext } from './context.js';
import { nowSec } from './context.js';
import {
  approvalKey,
  browserBinding,
  browserValue,
  isApproved,
  rememberApproval,
  requestCookies,
} from './cookies.js';
import { ATTR } from '../telemetry/names.js';
import { activeSpan, markFailed, meters } from '../telemetry/telemetry.js';
import { clientTelemetryLabel } from './client-label.js';
import { digest } from './keys.js';
import { proxyScope, proxyUrls } from './metadata.js';
import type { ProxyUrls } from './metadata.js';
import { consentPage, errorPage } from './pages.js';
import { isLoopbackRedirect, redirectTarget, redirectUriMatches } from './redirect-uris.js';
import {
  authorizationErrorPage,
  oauthDescription,
  pageResponse,
  redirectError,
  redirectResponse,
} from './responses.js';

/** A sign-in's lifetime from the authorize request to Entra's callback. */
const TRANSACTION_SEC = 600;
/** Lifetime of the proxy's authorization codes (single use). */
export const CODE_SEC = 60;
const MAX_STATE_LENGTH = 512;
// RFC 7636 §4.1: 43 to 128 unreserved characters; S256 challenges are 43.
export const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** What the authorize request asked for, once checked; sealed into the consent form and Entra's state. */
export interface Transaction {
  /** SHA-256 of the client id (the id itself may be long; the token request presents it again). */
  cidh: string;
  ru: string;
  st?: string;
  cc: string;
  sc: string;
  /** SHA-256 of the browser cookie the sign-in started in. */
  bh: string;
  /** The client as telemetry names it (mcp.client), for the steps after this one (absent: sealed before it was). */
  tc?: string;
}

interface ConsentForm extends Transaction {
  jti: string;
}

interface UpstreamState extends Transaction {
  /** PKCE verifier of the proxy's own request to Entra ID. */
  pv: string;
  /** Set once the sign-in was sent back to Entra ID with Azure Resource Manager's claims challenge. */
  cl?: 1;
}

/** A code of this server: what the token request redeems (sealed, 60 s, once). */
export interface CodeClaims {
  jti: string;
  cidh: string;
  ru: string;
  cc: string;
  sc: string;
  /** Entra's access token and its expiry (epoch s), and refresh token. */
  at: string;
  ate: number;
  rt?: string;
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The granted scope for a requested one: the server's own, with offline_access allowed alongside. */
export function grantedScope(ctx: ProxyContext, requested: string | null): string {
  const scope = proxyScope(ctx.settings);
  const names = (requested ?? '').split(' ').filter(Boolean);
  if (!names.every((n) => n === scope || n === 'offline_access')) {
    throw new OAuthProxyError('invalid_scope', `The only scope of this server is ${scope}.`);
  }
  return scope;
}

/** RFC 8707: a `resource`, when sent, must be this MCP server. */
export function checkResource(urls: ProxyUrls, resource: string | null): void {
  if (resource !== null && resource !== urls.resource) {
    throw new OAuthProxyError(
      'invalid_target',
      `This authorization server issues tokens for ${urls.resource} only.`,
    );
  }
}

/** The request's redirect URI, if the client registered it (and MCP_OAUTH_REDIRECT_HOSTS allows its host). */
function trustedRedirect(ctx: ProxyContext, client: ProxyClient, requested: string | null): string {
  const redirectUri = requested ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri) throw new OAuthProxyError('invalid_request', 'The request has no redirect_uri.');
  if (!client.redirectUris.some((r) => redirectUriMatches(r, redirectUri))) {
    throw new OAuthProxyError('invalid_request', 'The redirect_uri is not one the client registered.');
  }
  const hosts = ctx.settings.oauthProxy.enabled ? ctx.settings.oauthProxy.redirectHosts : undefined;
  const url = new URL(redirectUri);
  if (hosts && (url.protocol === 'https:' || url.protocol === 'http:') && !hosts.includes(url.hostname)) {
    throw new OAuthProxyError(
      'invalid_request',
      `This server does not send sign-ins to ${url.hostname} (MCP_OAUTH_REDIRECT_HOSTS).`,
    );
  }
  if (hosts && url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OAuthProxyError('invalid_request', 'This server sends sign-ins to the hosts it lists only.');
  }
  return redirectUri;
}

function formTargets(ctx: ProxyContext, redirectUri: string): string[] {
  const redirect = new URL(redirectUri);
  const target =
    redirect.protocol === 'https:' || redirect.protocol === 'http:' ? redirect.origin : redirect.protocol;
  return [new URL(ctx.settings.authorityHost).origin, target];
}

/** 302 to Entra ID's authorize endpoint for the API app's own sign-in, carrying the transaction as its state. */
async function toEntra(
  ctx: ProxyContext,
  urls: ProxyUrls,
  tx: Transaction,
  options: { setCookie?: string; claims?: string } = {},
): Promise<Response> {
  const pv = randomBytes(32).toString('base64url');
  const keys = await ctx.keys();
  const upstream: UpstreamState = { ...tx, pv, ...(options.claims ? { cl: 1 as const } : {}) };
  const state = await keys.seal('state', { ...upstream }, nowSec(ctx) + TRANSACTION_SEC);
  const location = ctx.signIn.authorizeUrl({
    redirectUri: urls.callback,
    state,
    codeChallenge: s256(pv),
    ...(options.claims ? { claims: options.claims } : {}),
  });
  return redirectResponse(location, {}, options.setCookie);
}

/** GET /oauth/authorize */
export async function authorize(ctx: ProxyContext, request: Request): Promise<Response> {
  const q = new URL(request.url).searchParams;
  const urls = proxyUrls(ctx.settings, request.url);
  let client: ProxyClient;
  let redirectUri: string;
  try {
    client = await ctx.clients.resolve(q.get('client_id'));
    redirectUri = trustedRedirect(ctx, client, q.get('redirect_uri'));
  } catch (error) {
    // Before the redirect URI is trusted nothing may be sent to it (RFC 6749 §4.1.2.1): an open redirector otherwise.
    if (error instanceof OAuthProxyError) return authorizationErrorPage(error, request);
    throw error;
  }
  const state = q.get('state') ?? undefined;
  try {
    if (state !== undefined && state.length > MAX_STATE_LENGTH) {
      throw new OAuthProxyError('invalid_request', `state may have at most ${MAX_STATE_LENGTH} characters.`);
    }
    if (q.get('response_type') !== 'code') {
      throw new OAuthProxyError('unsupported_response_type', 'Only response_type=code is supported.');
    }
    const challenge = q.get('code_challenge');
    if (!challenge || q.get('code_challenge_method') !== 'S256') {
      throw new OAuthProxyError(
        'invalid_request',
        'PKCE is required: send code_challenge with code_challenge_method=S256.',
      );
    }
    if (!PKCE_VALUE.test(challenge))
      throw new OAuthProxyError('invalid_request', 'code_challenge is malformed.');
    checkResource(urls, q.get('resource'));
    const scope = grantedScope(ctx, q.get('scope'));

    const cookies = requestCookies(request);
    const browser = browserBinding(cookies);
    const cidh = digest(client.id);
    const tc = clientTelemetryLabel(client.id);
    activeSpan().setAttributes({
      [ATTR.client]: tc,
      [ATTR.oauthClientType]: client.kind === 'metadata-document' ? 'metadata_document' : 'registration',
    });
    const tx: Transaction = {
      tc,
      cidh,
      ru: redirectUri,
      ...(state !== undefined ? { st: state } : {}),
      cc: challenge,
      sc: scope,
      bh: digest(browser.value),
    };
    const keys = await ctx.keys();
    // A remembered approval spares the page only for a sign-in the person started (an MCP client opening the
    // browser: Sec-Fetch-Site none). Another site navigating here is shown the page again, so it cannot use the
    // approval to get a code sent silently (to a loopback port of its choosing, say).
    const fetchSite = request.headers.get('sec-fetch-site');
    const startedHere = fetchSite !== 'cross-site' && fetchSite !== 'same-site';
    if (startedHere && (await isApproved(keys, cookies, approvalKey(cidh, redirectUri), nowSec(ctx)))) {
      ctx.logger.info(`oauth proxy: sign-in of ${clientLabel(client)}, consent remembered`);
      recordDecision(tc, 'remembered');
      return await toEntra(ctx, urls, tx, { setCookie: browser.setCookie });
    }
    const jti = randomUUID();
    const form = await keys.seal(
      'consent-form',
      { ...tx, jti } satisfies ConsentForm,
      nowSec(ctx) + TRANSACTION_SEC,
    );
    const page = consentPage({
      clientName: client.name,
      publisher: client.kind === 'metadata-document' ? new URL(client.id).host : undefined,
      redirectTarget: redirectTarget(redirectUri),
      loopback: isLoopbackRedirect(redirectUri),
      redirectUri,
      resource: urls.resource,
      scope,
      transaction: form,
      csrf: keys.mac('consent', `${jti}.${browser.value}`),
      formTargets: formTargets(ctx, redirectUri),
    });
    return pageResponse(page, browser.setCookie);
  } catch (error) {
    if (error instanceof OAuthProxyError) return redirectError(redirectUri, error, state, urls.issuer);
    throw error;
  }
}

/** A consent decision on the request's span and in oauth.consent.decisions. */
function recordDecision(client: string, decision: 'approve' | 'deny' | 'remembered'): void {
  activeSpan().setAttribute(ATTR.oauthDecision, decision);
  meters().consentDecisions.add(1, { [ATTR.client]: client, [ATTR.oauthDecision]: decision });
}

/** A client as the log shows it: a metadata document by its URL, a registration by name and a short hash of its id. */
export function clientLabel(client: Pick<ProxyClient, 'id' | 'kind' | 'name'>): string {
  return client.kind === 'metadata-document'
    ? client.id
    : `"${clean(client.name, 60)}" (registered ${digest(client.id).slice(0, 12)})`;
}

function forbiddenPage(detail: string): Response {
  markFailed('browser_mismatch');
  return pageResponse(errorPage(403, 'This sign-in cannot continue in this browser', detail));
}

/** POST /oauth/consent: the person's decision on the consent page. */
export async function consent(ctx: ProxyContext, request: Request, form: URLSearchParams): Promise<Response> {
  const urls = proxyUrls(ctx.settings, request.url);
  // Browsers send Origin with every form POST; another site's form must not decide for the person.
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== urls.issuer)
    return forbiddenPage('The form was not submitted from this server.');
  const keys = await ctx.keys(form.get('transaction') ?? undefined);
  const opened = await keys.open<ConsentForm>('consent-form', form.get('transaction') ?? '');
  if (!opened.ok) {
    markFailed('consent_form_invalid');
    return pageResponse(
      errorPage(400, 'This consent page has expired', 'The sign-in took too long or the page is not valid.'),
    );
  }
  const tx = opened.claims;
  const cookies = requestCookies(request);
  const browser = browserValue(cookies);
  if (
    !browser ||
    digest(browser) !== tx.bh ||
    !keys.checkMac('consent', `${tx.jti}.${browser}`, form.get('csrf') ?? '')
  ) {
    return forbiddenPage(
      'The consent form could not be verified as coming from the browser that started the sign-in.',
    );
  }
  const { jti: _jti, iat: _iat, exp: _exp, ...transaction } = tx;
  activeSpan().setAttribute(ATTR.client, tx.tc ?? 'unknown');
  switch (form.get('decision')) {
    case 'deny':
      ctx.logger.info('oauth proxy: consent denied');
      recordDecision(tx.tc ?? 'unknown', 'deny');
      return redirectError(
        tx.ru,
        new OAuthProxyError('access_denied', 'The user denied access.'),
        tx.st,
        urls.issuer,
      );
    case 'approve': {
      ctx.logger.info('oauth proxy: consent approved');
      recordDecision(tx.tc ?? 'unknown', 'approve');
      const remembered = await rememberApproval(keys, cookies, approvalKey(tx.cidh, tx.ru), nowSec(ctx));
      return toEntra(ctx, urls, transaction, { setCookie: remembered });
    }
    default:
      markFailed('no_decision');
      return pageResponse(
        errorPage(400, 'No decision was made', 'Choose Allow or Deny on the consent page.'),
      );
  }
}

// Entra's authorization errors a client can act on keep their code; anything else is a server_error.
const ENTRA_ERRORS = new Set([
  'access_denied',
  'consent_required',
  'interaction_required',
  'login_required',
  'invalid_request',
  'invalid_scope',
  'temporarily_unavailable',
]);

/** Entra's own words, up to its trace ids: they name the AADSTS code and what happened. */
function entraDescription(description: string | null): string {
  const text = (description ?? '').split(/\r?\n| Trace ID:/)[0] ?? '';
  return `Entra ID: ${clean(text, 240) || 'the sign-in failed'}`;
}

/** GET /oauth/callback: Entra ID's answer to the proxy's sign-in. */
export async function callback(ctx: ProxyContext, request: Request): Promise<Response> {
  const q = new URL(request.url).searchParams;
  const urls = proxyUrls(ctx.settings, request.url);
  const keys = await ctx.keys(q.get('state') ?? undefined);
  const opened = await keys.open<UpstreamState>('state', q.get('state') ?? '');
  if (!opened.ok) {
    markFailed(opened.reason === 'expired' ? 'state_expired' : 'state_invalid');
    return pageResponse(
      errorPage(
        400,
        opened.reason === 'expired' ? 'This sign-in has expired' : 'This sign-in link is not valid',
        'The sign-in took longer than 10 minutes, or the link was changed.',
      ),
    );
  }
  const st = opened.claims;
  const browser = browserValue(requestCookies(request));
  if (!browser || digest(browser) !== st.bh) {
    return forbiddenPage('The sign-in was started in another browser (or its cookies were removed).');
  }
  const client = st.tc ?? 'unknown';
  activeSpan().setAttribute(ATTR.client, client);
  const back = (error: OAuthProxyError) => {
    meters().signIns.add(1, { [ATTR.client]: client, [ATTR.outcome]: error.code });
    return redirectError(st.ru, error, st.st, urls.issuer);
  };
  const entraError = q.get('error');
  if (entraError !== null) {
    const code = ENTRA_ERRORS.has(entraError) ? entraError : 'server_error';
    ctx.logger.warn(
      `oauth proxy: Entra ID sign-in failed: ${oauthDescription(entraDescription(q.get('error_description')))}`,
    );
    return back(
      new OAuthProxyError(code as OAuthProxyError['code'], entraDescription(q.get('error_description'))),
    );
  }
  const code = q.get('code');
  if (!code) return back(new OAuthProxyError('server_error', 'Entra ID answered without a code.'));
  let tokens;
  try {
    tokens = await ctx.signIn.redeemCode({ code, redirectUri: urls.callback, codeVerifier: st.pv });
  } catch (error) {
    if (!(error instanceof OAuthProxyError)) throw error;
    // At the redirect URI, invalid_grant is no authorization error (RFC 6749 §4.1.2.1): the sign-in was refused.
    return back(error.code === 'invalid_grant' ? new OAuthProxyError('access_denied', error.message) : error);
  }
  // Conditional Access on Azure Resource Manager (e.g. MFA) is asked of this sign-in, not of this API's: without it
  // every tool call would answer insufficient_claims, which an MCP client cannot pass back here. So the sign-in goes
  // to Entra ID once more with ARM's claims challenge.
  const stepUp = await ctx.stepUpClaims(tokens.accessToken);
  if (stepUp !== undefined) {
    if (st.cl) {
      return back(
        new OAuthProxyError(
          'access_denied',
          'Entra ID did not grant the stronger sign-in Azure Resource Manager requires.',
        ),
      );
    }
    ctx.logger.info(
      'oauth proxy: Azure Resource Manager asks for a stronger sign-in; back to Entra ID with its claims',
    );
    const { pv: _pv, cl: _cl, iat: _iat, exp: _exp, ...tx } = st;
    return toEntra(ctx, urls, tx, { claims: stepUp });
  }
  const claims: CodeClaims = {
    jti: randomUUID(),
    cidh: st.cidh,
    ru: st.ru,
    cc: st.cc,
    sc: st.sc,
    at: tokens.accessToken,
    ate: tokens.expiresAt,
    ...(tokens.refreshToken ? { rt: tokens.refreshToken } : {}),
  };
  const ours = await keys.seal('code', { ...claims }, nowSec(ctx) + CODE_SEC);
  ctx.logger.info('oauth proxy: sign-in completed at Entra ID; code issued');
  meters().signIns.add(1, { [ATTR.client]: client, [ATTR.outcome]: 'ok' });
  return redirectResponse(st.ru, { code: ours, state: st.st, iss: urls.issuer });
}
