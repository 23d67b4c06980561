import type * as Identity from '@azure/identity';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

// @azure/identity is large; it is imported on first use (the start-up prefetch), off the module-load path.
type IdentitySdk = typeof Identity;
let sdk: Promise<IdentitySdk> | undefined;
/** Imports @azure/identity once (a failed import is tried again by the next caller). */
export const loadIdentitySdk = (): Promise<IdentitySdk> =>
  (sdk ??= import('@azure/identity').catch((error: unknown) => {
    sdk = undefined;
    throw error;
  }));

/** A credential built on first use, so loading the app does not load @azure/identity. */
function lazyCredential(build: (identity: IdentitySdk) => TokenCredential): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= loadIdentitySdk()
        .then(build)
        .catch((error: unknown) => {
          credential = undefined; // a failed import is tried again by the next call
          throw error;
        });
      return (await credential).getToken(scopes, options);
    },
  };
}

/** True where a managed identity endpoint is configured (App Service, Functions, Container Apps). */
export function runsWithManagedIdentity(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT);
}

/**
 * The identity the server uses for its own resources (Key Vault). In Azure it is the managed identity and
 * nothing else: falling back to other credentials there would hide a broken identity behind a different
 * principal. Locally there is no managed identity, so the developer's own sign-in is used: Azure CLI first
 * (the common case), then Azure Developer CLI (after `azd auth login`). Unlike DefaultAzureCredential, the
 * chain never reads AZURE_CLIENT_SECRET-style environment credentials, so nothing can silently substitute.
 */
export function serverIdentity(
  managedIdentityClientId: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): TokenCredential {
  if (runsWithManagedIdentity(env)) {
    return managedIdentityCredential(managedIdentityClientId);
  }
  return lazyCredential(
    ({ AzureCliCredential, AzureDeveloperCliCredential, ChainedTokenCredential }) =>
      new ChainedTokenCredential(new AzureCliCredential(), new AzureDeveloperCliCredential()),
  );
}

/** A managed identity credential: user-assigned when a client id is given, else system-assigned. */
export function managedIdentityCredential(clientId: string | undefined): TokenCredential {
  // Few retries: the caller's time budget is seconds, and a later request simply tries again.
  const options = { retryOptions: { maxRetries: 1 } };
  return lazyCredential(({ ManagedIdentityCredential }) =>
    clientId
      ? new ManagedIdentityCredential({ clientId, ...options })
      : new ManagedIdentityCredential(options),
  );
}
