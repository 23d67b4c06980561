import type { TokenCredential } from '@azure/identity';
import { CredentialError } from '../errors.js';
import { withTimeout } from '../util/timeout.js';
import { ATTR, SPAN } from '../telemetry/names.js';
import { tracedOffStartPath } from '../telemetry/state.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';
import { identityError } from './errors.js';

/** The audience Entra ID expects of a federated identity credential's assertion. */
export const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

/**
 * OBO_CREDENTIAL=managed-identity: no secret exists. The app registration trusts the managed identity
 * through a federated identity credential, and each client assertion is a fresh managed-identity token for
 * `api://AzureADTokenExchange` (cached by @azure/identity, so no second cache here).
 */
export class ManagedIdentityAssertionSource implements ClientCredentialSource {
  readonly #current: CurrentCredential;
  // One request to the identity endpoint for all concurrent callers (the prefetch and first requests).
  #inflight: Promise<string> | undefined;

  constructor(
    private readonly identity: TokenCredential,
    private readonly timeoutMs: number,
  ) {
    this.#current = { key: 'managed-identity', credential: { clientAssertion: () => this.#assertion() } };
  }

  /** Fetches the first assertion at start, so the first OBO exchange finds it cached by @azure/identity. */
  async prefetch(): Promise<void> {
    await this.#assertion();
  }

  #assertion(): Promise<string> {
    this.#inflight ??= this.#fetch().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  #fetch(): Promise<string> {
    return tracedOffStartPath(SPAN.credentialRead, { [ATTR.credentialSource]: 'managed_identity' }, () =>
      this.#request(),
    );
  }

  async #request(): Promise<string> {
    try {
      const token = await withTimeout('Managed identity endpoint', this.timeoutMs, (abortSignal) =>
        this.identity.getToken(TOKEN_EXCHANGE_SCOPE, { abortSignal }),
      );
      if (!token)
        throw new CredentialError('identity_unavailable', 'The managed identity returned no token.');
      return token.token;
    } catch (error) {
      throw error instanceof CredentialError ? error : identityError(error);
    }
  }

  get(): Promise<CurrentCredential> {
    return Promise.resolve(this.#current);
  }

  /** Assertions are minted per use; nothing cached here to drop. */
  invalidate(): boolean {
    return false;
  }
}
