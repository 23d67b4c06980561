// Emulated v2.0 authorization endpoint (authorization code flow with PKCE). The "browser" step is instant: the
// request signs in as `login_hint` or the configured interactive user and is answered with a 302 to the redirect
// URI. Errors before the redirect URI is known to be valid are an HTML page (as in Entra); later ones go back to
// the client as `error`, `error_description`, `error_uri` and `state` query parameters.
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code
//   https://learn.microsoft.com/entra/identity-platform/reply-url#localhost-exceptions
import { randomBytes, randomUUID } from 'node:crypto';
import { checkConsent, redirectUriPlatform, requireClient } from './clients.js';
import { OAuthError, correlationIdOf, entraTimestamp } from './entra-errors.js';
import { Errors } from './entra-errors.js';
import { authContextFor, scopeConfig } from './entra-token.js';
import type { EmuRequest, EmuResponse } from './http.js';
import { checkAuthorizeScopes, parseScopes } from './scopes.js';
import { nowSec } from './tokens.js';
import { findUser, recordIssued } from './types.js';
import type { EmulatorState } from './types.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Entra's "Sorry, but we're having trouble signing you in." page. */
export function signInErrorPage(req: EmuRequest, err: OAuthError): EmuResponse {
  const lines = [
    `Request Id: ${randomUUID()}`,
    `Correlation Id: ${correlationIdOf(req)}`,
    `Timestamp: ${entraTimestamp()}`,
    `Message: AADSTS${err.code}: ${err.description}`,
  ];
  return {
    status: err.status,
    contentType: 'text/html; charset=utf-8',
    text:
      '<!doctype html><title>Sign in to your account</title>' +
      "<h1>Sorry, but we're having trouble signing you in.</h1>" +
      `<p>AADSTS${err.code}: ${escapeHtml(err.description)}</p>` +
      `<pre>${lines.map(escapeHtml).join('\n')}</pre>`,
  };
}

/** response_mode=form_post: Entra's "Working..." page whose form the browser posts to the redirect URI. */
function formPost(redirectUri: string, params: Record<string, string>): EmuResponse {
  const inputs = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}" />`)
    .join('');
  return {
    status: 200,
    contentType: 'text/html; charset=utf-8',
    headers: { 'Cache-Control': 'no-store, no-cache' },
    text:
      '<html><head><title>Working...</title></head><body>' +
      `<form method="POST" name="hiddenform" action="${escapeHtml(redirectUri)}">${inputs}` +
      '<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript>' +
      '</form><script language="javascript">window.setTimeout(function(){document.forms[0].submit();}, 0);</script>' +
      '</body></html>',
  };
}

function redirectTo(
  redirectUri: string,
  params: Record<string, string>,
  fragment: boolean | 'form_post',
): EmuResponse {
  if (fragment === 'form_post') return formPost(redirectUri, params);
  const url = new URL(redirectUri);
  const encoded = new URLSearchParams(params);
  if (fragment) url.hash = encoded.toString();
  else encoded.forEach((v, k) => url.searchParams.append(k, v));
  return { status: 302, headers: { Location: url.toString(), 'Cache-Control': 'no-store, no-cache' } };
}

const CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** GET /{tenant}/oauth2/v2.0/authorize (the tenant is checked by the caller). */
export function authorize(state: EmulatorState, req: EmuRequest): EmuResponse {
  const q = req.url.searchParams;
  let client;
  let redirectUri: string;
  let platform: 'public' | 'web' | undefined;
  try {
    client = requireClient(state, q.get('client_id'));
    redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri) throw Errors.missingParam('redirect_uri');
    platform = redirectUriPlatform(state, client, redirectUri);
    if (!platform) throw Errors.redirectUriMismatch(redirectUri, client.clientId);
  } catch (err) {
    if (err instanceof OAuthError) return signInErrorPage(req, err);
    throw err;
  }
  const state_ = q.get('state');
  const mode = q.get('response_mode');
  const fragment = mode === 'form_post' ? 'form_post' : mode === 'fragment';
  try {
    if (q.get('response_type') !== 'code') throw Errors.unsupportedResponseType();
    const scope = q.get('scope');
    checkAuthorizeScopes(scope, scopeConfig(state), q.get('resource'));
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method');
    if (method !== null && method !== 'S256' && method !== 'plain') throw Errors.badCodeChallengeMethod();
    if (challenge !== null && !CHALLENGE.test(challenge)) throw Errors.badCodeChallengeSize();
    if (method !== null && challenge === null) throw Errors.missingParam('code_challenge');
    const who = q.get('login_hint') ?? state.interactiveUser;
    const user = who ? findUser(state, who) : state.users[0];
    if (!user) return signInErrorPage(req, Errors.unknownUser(who ?? '', state.tenantId));
    if (user.signInError === 'consent_declined') throw Errors.consentDeclined();
    if (user.signInError === 'conditional_access') throw Errors.conditionalAccessBlocked();
    // Consent is per resource the authorize leg names; the token leg re-checks the one it redeems for.
    for (const s of (scope ?? '').split(/\s+/).filter(Boolean)) {
      try {
        checkConsent(state, client, parseScopes(s, scopeConfig(state)).resource, 'consent_required');
      } catch (err) {
        // OIDC-only scopes do not parse on their own; they need no consent.
        if (err instanceof OAuthError && err.code === 70011) continue;
        throw err;
      }
    }
    const code = `1.A${randomBytes(96).toString('base64url')}`;
    recordIssued(state, code);
    state.authCodes.set(code, {
      clientId: client.clientId,
      redirectUri,
      oid: user.oid,
      scope: scope ?? '',
      ...(challenge !== null
        ? { codeChallenge: challenge, codeChallengeMethod: method === 'S256' ? 'S256' : 'plain' }
        : {}),
      auth: authContextFor(q.get('claims')),
      expiresAt: nowSec() + state.authCodeLifetimeSec,
      redeemed: false,
      confidential: platform === 'web',
    });
    return redirectTo(
      redirectUri,
      { code, ...(state_ !== null ? { state: state_ } : {}), session_state: randomUUID() },
      fragment,
    );
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    const traceId = randomUUID();
    return redirectTo(
      redirectUri,
      {
        error: err.error,
        error_description: `AADSTS${err.code}: ${err.description} Trace ID: ${traceId} Correlation ID: ${correlationIdOf(req)} Timestamp: ${entraTimestamp()}`,
        error_uri: `${state.entraUrl}/error?code=${err.code}`,
        ...(state_ !== null ? { state: state_ } : {}),
      },
      fragment,
    );
  }
}
