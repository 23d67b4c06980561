import type { ProxyKeySettings } from '../config/settings.js';
import { parseProxyKeys } from '../config/settings.js';
import { CredentialError } from '../errors.js';
import { serverIdentity, runsWithManagedIdentity } from '../obo/identity.js';
import { KeyVaultCredentialSource } from '../obo/keyvault-source.js';
import type { Logger } from '../util/log.js';
import { ProxyKeyRing } from './keys.js';

/** The OAuth proxy's key ring: from MCP_OAUTH_PROXY_KEY, or from a Key Vault secret (cached, re-read per TTL). */
export interface ProxyKeySource {
  /**
   * The current ring. With `sealed` (what is about to be opened or verified): a ring that knows its key if the
   * vault has one — after a rotation another instance sealed under the new key before this one re-read the secret.
   */
  get(sealed?: string): Promise<ProxyKeyRing>;
  /** Reads the keys ahead of the first request (start-up prefetch). */
  prefetch(): Promise<void>;
}

export function createProxyKeySource(
  settings: ProxyKeySettings,
  timeoutMs: number,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): ProxyKeySource {
  if (settings.source === 'environment') {
    const ring = new ProxyKeyRing(settings.keys);
    return { get: () => Promise.resolve(ring), prefetch: () => Promise.resolve() };
  }
  // The same reader as the OBO secret's: managed identity in Azure, a last good value while the vault is down.
  const vault = new KeyVaultCredentialSource({
    vaultUrl: settings.vaultUrl,
    secretName: settings.secretName,
    ttlMs: settings.ttlMs,
    timeoutMs,
    identity: serverIdentity(settings.managedIdentityClientId, env),
    primeIdentity: runsWithManagedIdentity(env),
    logger,
  });
  // One parsed ring per secret version (the source's key is the value's fingerprint).
  let parsed: { key: string; ring: ProxyKeyRing } | undefined;
  const read = async (): Promise<ProxyKeyRing> => {
    const current = await vault.get();
    if (parsed?.key === current.key) return parsed.ring;
    const value = 'clientSecret' in current.credential ? current.credential.clientSecret : undefined;
    const keys = parseProxyKeys(value);
    if (!keys) {
      throw new CredentialError(
        'credential_failed',
        `Key Vault secret ${settings.secretName} is not a valid MCP_OAUTH_PROXY_KEY value (base64url 32-byte keys, comma-separated).`,
      );
    }
    parsed = { key: current.key, ring: new ProxyKeyRing(keys) };
    return parsed.ring;
  };
  const get = async (sealed?: string): Promise<ProxyKeyRing> => {
    const ring = await read();
    if (sealed === undefined || !ring.lacksKeyOf(sealed) || !parsed) return ring;
    // An unknown key: read the vault again now rather than at the end of its TTL (at most every 30 s: the
    // source's own limit on forced re-reads, so tokens naming made-up keys cannot hammer the vault).
    return vault.invalidate(parsed.key) ? read() : ring;
  };
  return { get, prefetch: () => get().then(() => undefined) };
}
