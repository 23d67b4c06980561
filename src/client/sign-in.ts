import { InteractionRequiredAuthError, LogLevel, PublicClientApplication } from '@azure/msal-node';
import type { AccountInfo, AuthenticationResult } from '@azure/msal-node';
import { knownAuthoritiesFor } from '../util/authority.js';
import { fileCachePlugin } from './cache-plugin.js';
import { RecordingNetworkClient } from './entra-network.js';
import { explainSignInError } from './sign-in-errors.js';
import type { SignInContext } from './sign-in-errors.js';

/** Inputs of a sign-in. */
export interface SignInOptions extends SignInContext {
  cacheIsDefault: boolean;
  verbose: boolean;
  /** Shows the device code instructions (Entra's message) to the user. */
  onDeviceCode: (message: string) => void;
  /** Progress notes (e.g. why the cached sign-in was not used). */
  onNote?: (message: string) => void;
}

/** A token for the MCP server, and how it was obtained. */
export interface SignInResult {
  accessToken: string;
  expiresOn: Date | null;
  username: string | undefined;
  name: string | undefined;
  /** `cache`: valid cached token; `refresh`: renewed with the cached refresh token; `device_code`: new sign-in. */
  source: 'cache' | 'refresh' | 'device_code';
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
    name: r.account?.name,
    source,
  };
}

/** The MSAL public client of this CLI, with the file cache and the recording network client. */
export function createPublicClient(
  opts: Pick<
    SignInOptions,
    'clientId' | 'tenantId' | 'authorityHost' | 'cachePath' | 'cacheIsDefault' | 'verbose'
  >,
): {
  app: PublicClientApplication;
  network: RecordingNetworkClient;
} {
  const network = new RecordingNetworkClient();
  const app = new PublicClientApplication({
    auth: {
      clientId: opts.clientId,
      authority: `${opts.authorityHost}/${opts.tenantId}`,
      ...knownAuthoritiesFor(opts.authorityHost),
    },
    cache: { cachePlugin: fileCachePlugin(opts.cachePath, { isDefault: opts.cacheIsDefault }) },
    system: {
      networkClient: network,
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

/**
 * Gets a token for `scope`: the cached account silently first (refreshing with the refresh token when the
 * access token expired), a device code sign-in only when that is not possible.
 */
export async function signIn(opts: SignInOptions): Promise<SignInResult> {
  const { app, network } = createPublicClient(opts);
  const scopes = [opts.scope];
  try {
    const account = pickAccount(await app.getTokenCache().getAllAccounts(), opts.tenantId);
    if (account) {
      network.reset();
      try {
        const r = await app.acquireTokenSilent({ account, scopes });
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
    const r = await app.acquireTokenByDeviceCode({
      scopes,
      deviceCodeCallback: (response) => opts.onDeviceCode(response.message),
    });
    if (!r) throw new Error('device code sign-in returned no token');
    return result(r, 'device_code');
  } catch (error) {
    throw explainSignInError(error, network, opts);
  }
}
