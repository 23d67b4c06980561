import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  ChainedTokenCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
import type { TokenCredential } from '@azure/identity';

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
  return new ChainedTokenCredential(new AzureCliCredential(), new AzureDeveloperCliCredential());
}

/** A managed identity credential: user-assigned when a client id is given, else system-assigned. */
export function managedIdentityCredential(clientId: string | undefined): TokenCredential {
  // Few retries: the caller's time budget is seconds, and a later request simply tries again.
  const options = { retryOptions: { maxRetries: 1 } };
  return clientId
    ? new ManagedIdentityCredential({ clientId, ...options })
    : new ManagedIdentityCredential(options);
}
