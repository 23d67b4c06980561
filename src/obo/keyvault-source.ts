import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { CredentialError } from '../errors.js';
import { CoalescingCache } from '../util/cache.js';
import { fingerprint } from '../util/log.js';
import { withTimeout } from '../util/timeout.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';
import { keyVaultError } from './errors.js';

/** Options of the Key Vault credential source. */
export interface KeyVaultSourceOptions {
  vaultUrl: string;
  secretName: string;
  ttlMs: number;
  timeoutMs: number;
  identity: TokenCredential;
  now?: () => number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for loopback hosts: the only vaults (emulators) whose challenge domain may go unchecked. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK.has(new URL(url).hostname);
}

/**
 * OBO_CREDENTIAL=keyvault: the client secret lives in Key Vault and is read with the server's identity.
 * It is cached for `ttlMs`; concurrent first requests share one read; a rejected secret is dropped so the
 * next read picks up a rotation.
 */
export class KeyVaultCredentialSource implements ClientCredentialSource {
  readonly mode = 'keyvault' as const;
  readonly #client: SecretClient;
  readonly #cache: CoalescingCache<CurrentCredential>;

  constructor(private readonly options: KeyVaultSourceOptions) {
    this.#client = new SecretClient(options.vaultUrl, options.identity, {
      // The client checks that the challenge's resource matches the vault's domain; an emulator on
      // loopback cannot match *.vault.azure.net, real vaults always keep the check.
      disableChallengeResourceVerification: isLoopbackUrl(options.vaultUrl),
      retryOptions: { maxRetries: 1 },
    });
    this.#cache = new CoalescingCache({ maxEntries: 1, ...(options.now ? { now: options.now } : {}) });
  }

  /** Returns the cached secret, or reads it from Key Vault (once for all concurrent callers). */
  get(): Promise<CurrentCredential> {
    return this.#cache.get('secret', async () => ({ value: await this.#read(), ttlMs: this.options.ttlMs }));
  }

  /** Drops the cached secret if it is the rejected one, so the next get re-reads Key Vault. */
  invalidate(key: string): boolean {
    // Only the rejected secret is dropped: a concurrent request may already have read a rotated one.
    if (this.#currentKey === key) {
      this.#cache.delete('secret');
      this.#currentKey = undefined;
    }
    return true;
  }

  #currentKey: string | undefined;

  async #read(): Promise<CurrentCredential> {
    const { vaultUrl, secretName, timeoutMs } = this.options;
    try {
      const secret = await withTimeout('Key Vault', timeoutMs, (abortSignal) =>
        this.#client.getSecret(secretName, { abortSignal }),
      );
      if (!secret.value) {
        throw new CredentialError(
          'secret_not_found',
          `Configuration error: secret '${secretName}' in Key Vault ${vaultUrl} is empty.`,
        );
      }
      const key = `keyvault:${fingerprint(secret.value)}`;
      this.#currentKey = key;
      return { key, credential: { clientSecret: secret.value } };
    } catch (error) {
      throw keyVaultError(error, vaultUrl, secretName);
    }
  }
}
