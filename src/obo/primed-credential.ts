import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { withTimeout } from '../util/timeout.js';

/**
 * A credential whose first token for one scope can be asked for ahead of its consumer. Key Vault's client learns
 * its scope from an unauthenticated challenge and only then asks for a token; asking for both at once at start
 * saves that round trip. The primed token is handed out once (the Key Vault client keeps and renews its tokens
 * itself), and only for exactly that scope; everything else, and a failed or expiring primed token, goes to
 * `identity`.
 */
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
    const primed = this.#primed;
    const wanted = typeof scopes === 'string' ? [scopes] : scopes;
    if (!primed || options?.claims || wanted.length !== 1 || wanted[0] !== primed.scope) {
      return this.identity.getToken(scopes, options);
    }
    this.#primed = undefined;
    const token = await primed.token.catch(() => null);
    // Less than a minute left is not worth handing out; the consumer would renew it at once.
    if (token && token.expiresOnTimestamp - this.now() > 60_000) return token;
    return this.identity.getToken(scopes, options);
  }
}
