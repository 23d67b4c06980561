import { InteractionRequiredAuthError, LogLevel, PublicClientApplication } from '@azure/msal-node';
import type { AccountInfo, AuthenticationResult } from '@azure/msal-node';
import { knownAuthoritiesFor } from '../src/util/authority.js';
import type { AuthMode } from './args.js';
import { openBrowser } from './browser.js';
import { fileCachePlugin } from './cache-plugin.js';
import { ClientError } from './exit-codes.js';
import { EntraRecorder } from './entra-network.js';
import { explainSignInError } from './sign-in-errors.js';
import type { SignInContext } from './sign-in-errors.js';

/** Inputs of a sign-in. */
export interface SignInOptions extends SignInContext {
  cacheIsDefault: boolean;
  verbose: boolean;
  /** How to sign in when the cache cannot serve a token (default device code). */
  auth?: AuthMode;
  /**
   * A claims request (JSON) from a Conditional Access step-up challenge: only an interactive sign-in (device
   * code or browser) can satisfy it, so the cache is not asked.
   */
  claims?: string;
  /** Skip the cached access token: renew with the refresh token (or sign in) even if it looks valid. */
  forceRefresh?: boolean;
  /** Shows the device code instructions (Entra's message) to the user. */
  onDeviceCode: (message: string) => void;
  /** Progress notes (e.g. why the cached sign-in was not used, the browser sign-in URL). */
  onNote?: (message: string) => void;
}

/** A token for the MCP server, and how it was obtained. */
export interface SignInResult {
  accessToken: string;
  expiresOn: Date | null;
  username: string | undefined;
  /**
   * `cache`: valid cached token; `refresh`: renewed with the cached refresh token; `device_code` / `browser`:
   * new sign-in.
   */
  source: 'cache' | 'refresh' | 'device_code' | 'browser';
}

/**
 * The cached account to sign in silently with. Not filtered by `environment`: MSAL stores accounts under the
 * cloud's cache alias (login.windows.net for login.microsoftonline.com), and this cache file only holds this
 * CLI's sign-ins anyway. Prefers the accounts of `tenantId`, and of those the most recently signed in (latest
 * ID token); else the first account (e.g. the tenant was given as a domain name, not its id).
 */
export function pickAccount(accounts: AccountInfo[], tenantId: string): AccountInfo | undefined {
  const issuedAt = (a: AccountInfo) => {
    const iat = a.idTokenClaims?.iat;
    return typeof iat === 'number' ? iat : 0;
  };
  const inTenant = accounts
    .filter((a) => a.tenantId.toLowerCase() === tenantId.toLowerCase())
    .sort((a, b) => issuedAt(b) - issuedAt(a));
  return inTenant[0] ?? accounts[0];
}

function result(r: AuthenticationResult, source: SignInResult['source']): SignInResult {
  return {
    accessToken: r.accessToken,
    expiresOn: r.expiresOn,
    username: r.account?.username,
    source,
  };
}

/** The MSAL public client of this CLI, with the file cache and the recorded network client. */
export function createPublicClient(
  opts: Pick<
    SignInOptions,
    'clientId' | 'tenantId' | 'authorityHost' | 'cachePath' | 'cacheIsDefault' | 'verbose'
  >,
): {
  app: PublicClientApplication;
  network: EntraRecorder;
} {
  const network = new EntraRecorder();
  const app = new PublicClientApplication({
    auth: {
      clientId: opts.clientId,
      authority: `${opts.authorityHost}/${opts.tenantId}`,
      ...knownAuthoritiesFor(opts.authorityHost),
    },
    cache: { cachePlugin: fileCachePlugin(opts.cachePath, { isDefault: opts.cacheIsDefault }) },
    system: {
      networkClient: network.client,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: opts.verbose ? LogLevel.Info : LogLevel.Error,
        loggerCallback: (_level, message, containsPii) => {
          if (opts.verbose && !containsPii) process.stderr.write(`msal: ${message}\n`);
        },
      },
    },
  });
  return { app, network };
}

/** How long an interactive browser sign-in may take before the CLI gives up (a person is typing). */
export const BROWSER_SIGN_IN_TIMEOUT_MS = 10 * 60_000;

/**
 * Browser sign-in: MSAL's authorization code flow with PKCE (S256) on its own loopback listener
 * (http://localhost:<port>, response_mode=form_post). Times out after BROWSER_SIGN_IN_TIMEOUT_MS: the listener
 * is then answered with an error for the pending state, so MSAL closes it and the process can end.
 */
async function browserSignIn(
  app: PublicClientApplication,
  opts: SignInOptions,
  scopes: string[],
): Promise<AuthenticationResult> {
  let authorizeUrl: URL | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new ClientError('sign_in', 'The browser sign-in was not completed in time.', {
          fix: 'Run the command again and finish the sign-in in the browser, or use --auth device.',
        }),
      );
      void abandonLoopback(authorizeUrl);
    }, BROWSER_SIGN_IN_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([
      app.acquireTokenInteractive({
        scopes,
        ...(opts.claims ? { claims: opts.claims } : {}),
        openBrowser: async (url) => {
          authorizeUrl = new URL(url);
          await openBrowser(url, (message) => (opts.onNote ?? opts.onDeviceCode)(message));
        },
        successTemplate: 'Signed in to azure-obo-mcp. You can close this window and return to the terminal.',
        errorTemplate: 'Sign-in to azure-obo-mcp failed. See the terminal for details.',
      }),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Answers MSAL's loopback listener with an error for its pending state, so it stops listening. */
async function abandonLoopback(authorizeUrl: URL | undefined): Promise<void> {
  const redirect = authorizeUrl?.searchParams.get('redirect_uri');
  const state = authorizeUrl?.searchParams.get('state');
  if (!redirect || !state) return;
  await fetch(redirect, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ error: 'access_denied', error_description: 'timed out', state }).toString(),
    signal: AbortSignal.timeout(2_000),
  }).catch(() => undefined);
}

/**
 * Gets a token for `scope`: the cached account silently first (refreshing with the refresh token when the
 * access token expired), a device code or browser sign-in only when that is not possible. With `claims`
 * (a step-up challenge), straight to the interactive sign-in carrying them.
 */
export async function signIn(opts: SignInOptions): Promise<SignInResult> {
  const { app, network } = createPublicClient(opts);
  const scopes = [opts.scope];
  try {
    const account = opts.claims
      ? undefined
      : pickAccount(await app.getTokenCache().getAllAccounts(), opts.tenantId);
    if (account) {
      network.reset();
      try {
        const r = await app.acquireTokenSilent({
          account,
          scopes,
          ...(opts.forceRefresh ? { forceRefresh: true } : {}),
        });
        return result(r, r.fromCache ? 'cache' : 'refresh');
      } catch (error) {
        const entraError = network.lastError?.error;
        const needsSignIn =
          error instanceof InteractionRequiredAuthError ||
          entraError === 'invalid_grant' ||
          entraError === 'interaction_required';
        if (!needsSignIn) throw error;
        opts.onNote?.('The cached sign-in cannot be renewed silently; signing in again.');
      }
    }
    network.reset();
    if (opts.auth === 'browser') return result(await browserSignIn(app, opts, scopes), 'browser');
    const r = await app.acquireTokenByDeviceCode({
      scopes,
      ...(opts.claims ? { claims: opts.claims } : {}),
      deviceCodeCallback: (response) => opts.onDeviceCode(response.message),
    });
    if (!r) throw new Error('device code sign-in returned no token');
    return result(r, 'device_code');
  } catch (error) {
    throw explainSignInError(error, network, opts);
  }
}
