import { LogLevel } from '@azure/msal-node';
import type { Configuration, ICachePlugin, INetworkModule } from '@azure/msal-node';
import { OboError } from '../errors.js';
import { knownAuthoritiesFor } from '../util/authority.js';
import { redact } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { msalAuthorityMetadata } from './authority-metadata.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';

export interface MsalAppOptions {
  clientId: string;
  tenantId: string;
  authorityHost: string;
  logger: Logger;
  /** The tenant's v2 discovery document when already loaded (by the verifier), so MSAL does not fetch it. */
  v2Document?: () => string | undefined;
}

/** The configuration of every MSAL application of the server (OBO, and the OAuth proxy's sign-in). */
export function msalConfiguration(
  options: MsalAppOptions,
  credential: CurrentCredential['credential'],
  networkClient: INetworkModule,
  cachePlugin?: ICachePlugin,
): Configuration {
  const { clientId, tenantId, authorityHost, logger } = options;
  return {
    auth: {
      clientId,
      authority: `${authorityHost}/${tenantId}`,
      ...knownAuthoritiesFor(authorityHost),
      ...msalAuthorityMetadata(authorityHost, options.v2Document?.()),
      ...credential,
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: {
      networkClient,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message) => {
          if (level <= LogLevel.Warning) logger.warn(`MSAL: ${redact(message)}`);
        },
      },
    },
  };
}

// AADSTS7000215: invalid secret; 7000222: expired secret (7000216, a missing credential, is no rotation).
const ROTATION_CODES = new Set([7000215, 7000222]);

/**
 * Runs `attempt` with the app's current credential; when Entra rejects a secret as rotated or expired, reads the
 * credential again once and retries (a rotation heals within one call). `attempt` throws mapped errors.
 */
export async function withAppCredential<T>(
  source: ClientCredentialSource,
  logger: Logger,
  attempt: (credential: CurrentCredential) => Promise<T>,
): Promise<T> {
  const first = await source.get();
  try {
    return await attempt(first);
  } catch (mapped) {
    const rotated =
      mapped instanceof OboError &&
      mapped.code === 'invalid_client' &&
      mapped.aadsts !== undefined &&
      ROTATION_CODES.has(mapped.aadsts);
    if (!rotated || !source.invalidate(first.key)) throw mapped;
    logger.warn(
      `Entra ID rejected client credential ${first.key} (AADSTS${mapped.aadsts}); re-reading it once.`,
    );
    return attempt(await source.get());
  }
}
