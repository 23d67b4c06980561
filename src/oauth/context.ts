import type { Settings } from '../config/settings.js';
import type { Logger } from '../util/log.js';
import type { ClientResolver } from './clients.js';
import type { EntraSignIn } from './entra-sign-in.js';
import type { ProxyKeyRing } from './keys.js';

/** What the proxy's endpoints share, per process. */
export interface ProxyContext {
  settings: Settings;
  /** The current key ring (from the environment, or Key Vault: read on demand, cached). */
  keys(sealed?: string): Promise<ProxyKeyRing>;
  clients: ClientResolver;
  signIn: EntraSignIn;
  /**
   * Tries the On-Behalf-Of exchange for a fresh Entra access token: Entra's claims challenge when Azure Resource
   * Manager needs a stronger sign-in (MFA, Conditional Access) than the token has, else undefined (any other
   * failure shows up at the first tool call). The exchanged token is cached for that call.
   */
  stepUpClaims(entraAccessToken: string): Promise<string | undefined>;
  /** Remembers a code or refresh token (by its id) as used; false when it already was (single use, per instance). */
  useCode(id: string, expiresAt: number): boolean;
  logger: Logger;
  now(): number;
}

export function nowSec(ctx: Pick<ProxyContext, 'now'>): number {
  return Math.floor(ctx.now() / 1000);
}
