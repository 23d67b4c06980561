import type { TokenCredential } from '@azure/identity';
import type { KeyVaultSecret, GetSecretOptions, SecretClient } from '@azure/keyvault-secrets';
import { CredentialError } from '../errors.js';
import { boundedCache, entryTtl } from '../util/cache.js';
import { ATTR, SPAN } from '../telemetry/names.js';
import { tracedOffStartPath } from '../telemetry/state.js';
import { fingerprint } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { withTimeout } from '../util/timeout.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';
import { keyVaultError } from './errors.js';
import { PrimedCredential } from './primed-credential.js';
import { isLoopbackUrl } from '../util/loopback.js';

// Loopback vaults (emulators) are the only ones whose challenge domain may go unchecked.
export { isLoopbackUrl };

// The one Key Vault call this source makes (injectable for tests).
export type SecretReader = Pick<SecretClient, 'getSecret'>;

export interface KeyVaultSourceOptions {
  vaultUrl: string;
  secretName: string;
  ttlMs: number;
  timeoutMs: number;
  identity: TokenCredential;
  /**
   * Ask for the identity's Key Vault token in parallel with the vault's challenge at start (saves a round trip).
   * Only for a managed identity: its token does not depend on the tenant the challenge names.
   */
  primeIdentity?: boolean;
  logger: Logger;
  /** Longest a last-good secret is served while Key Vault is unreachable (default 24 h). */
  maxStaleMs?: number;
  /** Least time between re-reads forced by Entra rejecting the secret (default 30 s). */
  minForcedRereadMs?: number;
  now?: () => number;
  client?: SecretReader;
}

// Key Vault's DNS suffixes per cloud: its challenge names `https://<suffix>` as the resource.
const VAULT_SUFFIXES = ['vault.azure.net', 'vault.azure.cn', 'vault.usgovcloudapi.net'];

/**
 * The scope Key Vault's challenge will name for `vaultUrl`, when it can be known ahead: the vault's cloud suffix
 * (`https://vault.azure.net/.default` for `*.vault.azure.net`). Loopback vaults are emulators of the public cloud;
 * other names (custom, private DNS) are left to the challenge.
 */
export function vaultScope(vaultUrl: string): string | undefined {
  if (isLoopbackUrl(vaultUrl)) return 'https://vault.azure.net/.default';
  const host = new URL(vaultUrl).hostname.toLowerCase();
  const suffix = VAULT_SUFFIXES.find((s) => host.endsWith(`.${s}`));
  return suffix ? `https://${suffix}/.default` : undefined;
}

// While Key Vault is down, a stale secret is re-checked this often.
const STALE_RETRY_MS = 60_000;
const SECRET = 'secret';

interface Read {
  current: CurrentCredential;
  readAt: number;
}

/**
 * OBO_CREDENTIAL=keyvault: the client secret lives in Key Vault and is read with the server's identity.
 * It is cached for `ttlMs`; concurrent first requests share one read. When a refresh finds Key Vault
 * unreachable, the last good secret keeps serving (Entra still checks it) for up to `maxStaleMs`. A secret
 * Entra rejects is dropped so the next read picks up a rotation — at most once per `minForcedRereadMs`, so a
 * vault still holding a bad secret is not hammered.
 */
export class KeyVaultCredentialSource implements ClientCredentialSource {
  #client: Promise<SecretReader> | undefined;
  readonly #identity: PrimedCredential;
  // One entry; a failed refresh keeps the last good read (stale) for the next attempt to fall back on.
  readonly #cache: ReturnType<typeof boundedCache<typeof SECRET, Read>>;
  readonly #now: () => number;
  // lru-cache has no rate limit on forced refreshes; this is it.
  #forcedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: KeyVaultSourceOptions) {
    if (options.client) this.#client = Promise.resolve(options.client);
    this.#now = options.now ?? Date.now;
    this.#identity = new PrimedCredential(options.identity, options.timeoutMs, this.#now);
    this.#cache = boundedCache<typeof SECRET, Read>(this.#now, {
      max: 1,
      noDeleteOnFetchRejection: true,
      fetchMethod: (_key, lastGood, { options: entry }) => this.#refresh(lastGood, entry),
    });
  }

  async get(): Promise<CurrentCredential> {
    return (await this.#cache.forceFetch(SECRET)).current;
  }

  /** Reads the secret ahead of the first request (start-up prefetch); failures are the caller's to log. */
  async prefetch(): Promise<void> {
    // As the Key Vault client asks (its challenge policy enables CAE), so a managed identity caches the same token.
    const scope = vaultScope(this.options.vaultUrl);
    if (this.options.primeIdentity && scope) this.#identity.prime(scope, { enableCae: true });
    await this.get();
  }

  /** Drops the rejected secret so the next get re-reads Key Vault; false when that was just tried. */
  invalidate(key: string): boolean {
    // A different current secret means a rotation was already picked up: retrying with it may help.
    if (this.#cache.peek(SECRET, { allowStale: true })?.current.key !== key) return true;
    if (this.#now() - this.#forcedAt < (this.options.minForcedRereadMs ?? 30_000)) return false;
    this.#forcedAt = this.#now();
    this.#cache.delete(SECRET);
    return true;
  }

  // The last good read is served by returning it here, not with allowStaleOnFetchRejection: that option
  // would re-read the vault on every request while it is down, and would also cover permanent failures.
  async #refresh(lastGood: Read | undefined, entry: { ttl?: number }): Promise<Read> {
    try {
      const current = await this.#read();
      entry.ttl = entryTtl(this.options.ttlMs);
      return { current, readAt: this.#now() };
    } catch (error) {
      const transient =
        error instanceof CredentialError &&
        (error.code === 'keyvault_unavailable' || error.code === 'identity_unavailable');
      if (
        lastGood &&
        transient &&
        this.#now() - lastGood.readAt < (this.options.maxStaleMs ?? 24 * 3600_000)
      ) {
        this.options.logger.warn(
          `Key Vault refresh failed (${error.code}); serving the secret read at ${new Date(lastGood.readAt).toISOString()}.`,
        );
        entry.ttl = STALE_RETRY_MS;
        return lastGood;
      }
      throw error;
    }
  }

  // The Key Vault SDK is loaded on first use, off the module-load path of the app.
  #reader(): Promise<SecretReader> {
    this.#client ??= import('@azure/keyvault-secrets').then(
      ({ SecretClient }) =>
        new SecretClient(this.options.vaultUrl, this.#identity, {
          // The client checks that the challenge's resource matches the vault's domain; an emulator on
          // loopback cannot match *.vault.azure.net, real vaults always keep the check.
          disableChallengeResourceVerification: isLoopbackUrl(this.options.vaultUrl),
          retryOptions: { maxRetries: 1 },
        }),
      (error: unknown) => {
        this.#client = undefined; // a failed import is retried by the next read, not remembered
        throw error;
      },
    );
    return this.#client;
  }

  #read(): Promise<CurrentCredential> {
    return tracedOffStartPath(SPAN.credentialRead, { [ATTR.credentialSource]: 'key_vault' }, () =>
      this.#readSecret(),
    );
  }

  async #readSecret(): Promise<CurrentCredential> {
    const { vaultUrl, secretName, timeoutMs } = this.options;
    let secret: KeyVaultSecret;
    try {
      const client = await this.#reader();
      secret = await withTimeout('Key Vault', timeoutMs, (abortSignal) =>
        client.getSecret(secretName, { abortSignal } satisfies GetSecretOptions),
      );
    } catch (error) {
      throw keyVaultError(error, vaultUrl, secretName);
    }
    if (!secret.value) {
      throw new CredentialError(
        'secret_not_found',
        `Configuration error: secret '${secretName}' in Key Vault ${vaultUrl} is empty.`,
      );
    }
    return { key: `keyvault:${fingerprint(secret.value)}`, credential: { clientSecret: secret.value } };
  }
}
