import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { withTimeout } from '../util/timeout.js';

/**
 * A credential whose first token for one scope can be asked for ahead of its consumer. Key Vault's client learns
 * its scope from an unauthenticated challenge and only then asks for a token; asking for both at once at start
 * saves that round trip. Only a managed identity may be primed: its token does not depend on the tenant the
 * challenge names. The primed token serves the first request only, and only for exactly that scope (the Key Vault
 * client keeps and renews its tokens itself); everything else, and a failed or expiring primed token, goes to
 * `identity`.
 */
// The Key Vault client renews a token this long before it expires; a primed token closer than that is not worth it.
const RENEW_BEFORE_MS = 2 * 60_000;

export class PrimedCredential implements TokenCredential {
  #primed: { scope: string; token: Promise<AccessToken | null> } | undefined;

  constructor(
    private readonly identity: TokenCredential,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts fetching a token for `scope` now; a failure surfaces only as a fresh request by the consumer. */
  prime(scope: string, options: GetTokenOptions = {}): void {
    const token = withTimeout('Managed identity endpoint', this.timeoutMs, (abortSignal) =>
      this.identity.getToken(scope, { ...options, abortSignal }),
    );
    token.catch(() => undefined); // observed by getToken, or never needed
    this.#primed = { scope, token };
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    // Its first request is the only one the prime can serve; after that the consumer keeps its own tokens.
    const primed = this.#primed;
    this.#primed = undefined;
    const wanted = typeof scopes === 'string' ? [scopes] : scopes;
    if (!primed || options?.claims || wanted.length !== 1 || wanted[0] !== primed.scope) {
      return this.identity.getToken(scopes, options);
    }
    const token = await primed.token.catch(() => null);
    if (token && token.expiresOnTimestamp - this.now() > RENEW_BEFORE_MS) return token;
    return this.identity.getToken(scopes, options);
  }
}
