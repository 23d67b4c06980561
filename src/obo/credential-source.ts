import type { ClientAssertionCallback } from '@azure/msal-node';

/** What MSAL needs to authenticate the app: a secret, or a callback producing a signed assertion. */
export type MsalClientCredential = { clientSecret: string } | { clientAssertion: ClientAssertionCallback };

/** The app's current credential, with a key that changes whenever the credential does. */
export interface CurrentCredential {
  /** Non-secret identity of the credential (a fingerprint), used to key MSAL applications. */
  key: string;
  credential: MsalClientCredential;
}

// The app's client credential for the On-Behalf-Of exchange: a setting, Key Vault or a managed identity.
export interface ClientCredentialSource {
  /** Returns the current credential, reading it from its store when needed. */
  get(): Promise<CurrentCredential>;
  /** Warms the credential at start (reads the secret, fetches the first assertion); optional. */
  prefetch?(): Promise<void>;
  /** Entra rejected the credential with `key`; returns true when reading it again may help (rotation). */
  invalidate(key: string): boolean;
}
