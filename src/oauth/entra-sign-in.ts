// The proxy's own sign-in at Entra ID: the API app (a confidential client, with the same credential as for
// On-Behalf-Of) signs the user in to itself with the authorization code flow and PKCE, and refreshes that sign-in.
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
//   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#use-of-a-single-application
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { AuthenticationResult } from '@azure/msal-node';
import { AppError, OAuthProxyError, OboError } from '../errors.js';
import type { ClientCredentialSource, CurrentCredential } from '../obo/credential-source.js';
import { FailedAnswers } from '../obo/failed-answers.js';
import { msalConfiguration, withAppCredential } from '../obo/msal-config.js';
import type { MsalAppOptions } from '../obo/msal-config.js';
import { mapMsalError } from '../obo/msal-errors.js';
import { redact } from '../util/log.js';
import { MsalNetworkClient } from '../util/msal-network.js';
import { withTimeout } from '../util/timeout.js';

export interface EntraSignInOptions extends MsalAppOptions {
  timeoutMs: number;
  source: ClientCredentialSource;
  /** The delegated scope the sign-in asks for (this API's own). */
  scope: string;
}

export interface UpstreamTokens {
  /** Entra's access token for this API: the On-Behalf-Of assertion of later calls. */
  accessToken: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** Present when Entra issued one (offline_access). */
  refreshToken: string | undefined;
}

// Entra's answers to a code or refresh token that mean this sign-in is over: the client must authorize again. Unlike
// On-Behalf-Of (where invalid_grant may be the server's fault), here the grant itself is the client's: an unknown,
// used or expired code or refresh token, a PKCE mismatch, a revoked session, a step-up.
const GRANT_ENDED = new Set(['invalid_grant', 'interaction_required', 'consent_required']);

/** An MSAL failure of the proxy's sign-in as the OAuth error its client gets (details stay in the log). */
function proxyError(mapped: AppError, what: string): OAuthProxyError {
  const entraCode = (mapped.cause as { errorCode?: unknown } | undefined)?.errorCode;
  const ended =
    mapped instanceof OboError &&
    (GRANT_ENDED.has(mapped.code) || (typeof entraCode === 'string' && GRANT_ENDED.has(entraCode)));
  if (ended) {
    const tag = mapped.aadsts ? ` (AADSTS${mapped.aadsts})` : '';
    return new OAuthProxyError('invalid_grant', `Entra ID ended the sign-in${tag}; authorize again.`, {
      cause: mapped,
    });
  }
  if (mapped instanceof OboError && (mapped.code === 'obo_unavailable' || mapped.code === 'obo_throttled')) {
    return new OAuthProxyError(
      'temporarily_unavailable',
      `Entra ID could not complete the ${what}; retry shortly.`,
      {
        cause: mapped,
        ...(mapped.retryAfterSec ? { retryAfterSec: mapped.retryAfterSec } : {}),
      },
    );
  }
  return new OAuthProxyError('server_error', `The server could not complete the ${what} with Entra ID.`, {
    cause: mapped,
  });
}

// A refresh token is not part of MSAL's result: it lands in the application's token cache, which is why each
// exchange gets an application of its own (no other user's tokens in it, garbage once the exchange is done).
function refreshTokenOf(cca: ConfidentialClientApplication): string | undefined {
  const cache = JSON.parse(cca.getTokenCache().serialize()) as {
    RefreshToken?: Record<string, { secret?: unknown }>;
  };
  const secret = Object.values(cache.RefreshToken ?? {})[0]?.secret;
  return typeof secret === 'string' && secret.length > 0 ? secret : undefined;
}

export class EntraSignIn {
  readonly #failedAnswers = new FailedAnswers();
  readonly #network: MsalNetworkClient;

  constructor(private readonly options: EntraSignInOptions) {
    this.#network = new MsalNetworkClient({
      timeoutMs: options.timeoutMs,
      nonJson: 'oauth_error',
      onAnswer: (answer) => this.#failedAnswers.record(answer),
    });
  }

  /**
   * Entra's v2 authorize URL for the API app's own sign-in. MSAL's getAuthCodeUrl is not used: it adds its own
   * scopes and parameters, and this request is exactly the scope, the callback, the state and PKCE.
   */
  authorizeUrl(params: {
    redirectUri: string;
    state: string;
    codeChallenge: string;
    claims?: string;
  }): string {
    const { authorityHost, tenantId, clientId, scope } = this.options;
    const url = new URL(`${authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      response_mode: 'query',
      redirect_uri: params.redirectUri,
      scope: `${scope} offline_access`,
      state: params.state,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
      // A claims challenge from Azure Resource Manager (Conditional Access): Entra asks for the stronger sign-in.
      ...(params.claims ? { claims: params.claims } : {}),
    }).toString();
    return url.toString();
  }

  /** Redeems Entra's authorization code (the callback's) with the app's credential and the PKCE verifier. */
  redeemCode(params: { code: string; redirectUri: string; codeVerifier: string }): Promise<UpstreamTokens> {
    return this.#exchange('sign-in', (cca, correlationId) =>
      cca.acquireTokenByCode({
        code: params.code,
        redirectUri: params.redirectUri,
        codeVerifier: params.codeVerifier,
        scopes: [this.options.scope],
        correlationId,
      }),
    );
  }

  /** Redeems an Entra refresh token (rotated: Entra answers with a new one). */
  refresh(refreshToken: string): Promise<UpstreamTokens> {
    return this.#exchange('refresh', (cca, correlationId) =>
      // forceCache: MSAL stores (and so hands out) the rotated refresh token only for an account it knows, and
      // this application's cache is empty by design.
      cca.acquireTokenByRefreshToken({
        refreshToken,
        scopes: [this.options.scope],
        correlationId,
        forceCache: true,
      }),
    );
  }

  async #exchange(
    what: string,
    call: (cca: ConfidentialClientApplication, correlationId: string) => Promise<AuthenticationResult | null>,
  ): Promise<UpstreamTokens> {
    try {
      return await withAppCredential(this.options.source, this.options.logger, (current) =>
        this.#attempt(current, call),
      );
    } catch (error) {
      const mapped = error instanceof AppError ? error : mapMsalError(error);
      const cause = mapped.cause instanceof Error ? `: ${redact(mapped.cause.message)}` : '';
      this.options.logger.warn(`oauth proxy: Entra ID ${what} failed: ${mapped.code}${cause}`);
      throw mapped instanceof OAuthProxyError ? mapped : proxyError(mapped, what);
    }
  }

  async #attempt(
    current: CurrentCredential,
    call: (cca: ConfidentialClientApplication, correlationId: string) => Promise<AuthenticationResult | null>,
  ): Promise<UpstreamTokens> {
    const cca = new ConfidentialClientApplication(
      msalConfiguration(this.options, current.credential, this.#network),
    );
    const correlationId = randomUUID();
    let result: AuthenticationResult | null;
    try {
      result = await withTimeout('Entra ID token endpoint', this.options.timeoutMs, () =>
        call(cca, correlationId),
      );
    } catch (error) {
      throw mapMsalError(error, this.#failedAnswers.take(correlationId));
    }
    if (!result?.accessToken || !result.expiresOn) {
      throw new OAuthProxyError('server_error', 'Entra ID returned no access token.');
    }
    return {
      accessToken: result.accessToken,
      expiresAt: Math.floor(result.expiresOn.getTime() / 1000),
      refreshToken: refreshTokenOf(cca),
    };
  }
}
