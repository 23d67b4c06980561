import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import type { AuthenticationResult, Configuration, ICachePlugin, TokenCache } from '@azure/msal-node';
import { AppError, OboError } from '../errors.js';
import type { OboErrorCode } from '../errors.js';
import type { VerifiedUser } from '../auth/verifier.js';
import { knownAuthoritiesFor } from '../util/authority.js';
import { CoalescingCache } from '../util/cache.js';
import { fingerprint, redact } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { withTimeout } from '../util/timeout.js';
import { msalAuthorityMetadata } from './authority-metadata.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';
import { TimeoutNetworkClient } from './network.js';

/** Delegated scope of Azure Resource Manager. */
export const ARM_SCOPE = 'https://management.azure.com/user_impersonation';

/** An access token and when it expires (epoch ms). */
export interface ArmAccessToken {
  token: string;
  expiresOnTimestamp: number;
}

/** Options of the On-Behalf-Of client. */
export interface OboClientOptions {
  clientId: string;
  tenantId: string;
  authorityHost: string;
  /** ARM endpoint; selects the delegated scope of sovereign clouds. */
  armEndpoint: string;
  timeoutMs: number;
  source: ClientCredentialSource;
  logger: Logger;
  /** The tenant's v2 discovery document when already loaded (by the verifier), handed to MSAL. */
  v2Document?: () => string | undefined;
  /** Most users whose ARM tokens are kept; older ones are evicted. */
  maxCachedUsers?: number;
  now?: () => number;
}

// AADSTS7000215: invalid secret; 7000222: expired secret; 7000216: missing credential.
const ROTATION_CODES = new Set([7000215, 7000222]);
const REFRESH_SKEW_MS = 2 * 60_000;

/**
 * MSAL stores every OBO result (account, ID token, access token and a long-lived refresh token) in an in-memory
 * cache that never evicts. We never read it (`skipCache`; tokens live in our bounded cache instead), so this
 * plugin removes each user's entries as soon as MSAL has written them: memory stays bounded and no refresh
 * tokens of past callers linger in the heap.
 */
export const DISCARD_MSAL_TOKENS: ICachePlugin = {
  beforeCacheAccess: () => Promise.resolve(),
  afterCacheAccess: async (context) => {
    if (!context.cacheHasChanged) return;
    // The context's cache is the application's TokenCache (typed as its serializable interface).
    const cache = context.tokenCache as unknown as TokenCache;
    for (const account of await cache.getAllAccounts()) await cache.removeAccount(account);
  },
};

// Failures caused by the user's own sign-in; anything else is the app's or Entra's problem.
const USER_CAUSED = new Set<OboErrorCode>(['consent_required', 'interaction_required', 'invalid_grant']);

/** The Azure Resource Manager delegated scope for an ARM endpoint (sovereign clouds have their own). */
export function armScopeFor(armEndpoint: string): string {
  const host = new URL(armEndpoint).host.toLowerCase();
  const sovereign = ['management.usgovcloudapi.net', 'management.chinacloudapi.cn'];
  // Unknown hosts (proxies, emulators) front the public cloud's ARM.
  return sovereign.includes(host) ? `https://${host}/user_impersonation` : ARM_SCOPE;
}

function aadstsOf(message: string | undefined): number | undefined {
  const match = /AADSTS(\d+)/.exec(message ?? '');
  return match?.[1] ? Number(match[1]) : undefined;
}

/** Maps an MSAL failure to an OboError with an actionable, secret-free message. */
export function mapMsalError(error: unknown): AppError {
  if (error instanceof AppError && error.code === 'timeout') {
    return new OboError(
      'obo_unavailable',
      'Entra ID did not answer the On-Behalf-Of exchange in time; retry shortly.',
      {
        cause: error,
      },
    );
  }
  if (error instanceof AppError) return error;
  const e = error as { errorCode?: string; subError?: string; errorMessage?: string; errorNo?: string };
  const aadsts = e.errorNo ? Number(e.errorNo) : aadstsOf(e.errorMessage);
  const known = { cause: error, ...(aadsts ? { aadsts } : {}) };
  const tag = aadsts ? ` (AADSTS${aadsts})` : '';
  if (e.subError === 'consent_required' || aadsts === 65001) {
    return new OboError(
      'consent_required',
      `Admin consent is missing for Azure Service Management${tag}. An administrator must grant consent for the app's 'user_impersonation' permission on Azure Service Management.`,
      known,
    );
  }
  const byCode: Partial<Record<string, [OboErrorCode, string]>> = {
    invalid_grant: ['invalid_grant', 'The sign-in is no longer valid for On-Behalf-Of; sign in again.'],
    interaction_required: [
      'interaction_required',
      'Entra ID requires the user to sign in again interactively (MFA or Conditional Access); sign in again.',
    ],
    invalid_client: [
      'invalid_client',
      "Entra ID rejected the server's own credential (expired or rotated client secret, or missing federated credential). An operator must fix the app credential.",
    ],
    unauthorized_client: [
      'unauthorized_client',
      'The app is not allowed to use On-Behalf-Of; add the Azure Service Management user_impersonation API permission.',
    ],
    invalid_scope: [
      'invalid_scope',
      'The app registration lacks the Azure Service Management user_impersonation permission.',
    ],
    temporarily_unavailable: ['obo_unavailable', 'Entra ID is temporarily unavailable; retry shortly.'],
    invalid_resource: [
      'invalid_scope',
      'The app registration lacks the Azure Service Management user_impersonation permission.',
    ],
  };
  const entry = e.errorCode ? byCode[e.errorCode] : undefined;
  if (entry) return new OboError(entry[0], `${entry[1]}${tag}`, known);
  const network = [
    'network_error',
    'endpoints_resolution_error',
    'openid_config_error',
    'authority_network_error',
  ];
  const isAbort = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  if (isAbort || (e.errorCode && network.some((n) => e.errorCode?.includes(n)))) {
    return new OboError(
      'obo_unavailable',
      'Entra ID could not be reached for the On-Behalf-Of exchange; retry shortly.',
      known,
    );
  }
  return new OboError('obo_failed', `The On-Behalf-Of exchange failed${tag}.`, known);
}

/**
 * Exchanges a verified user token for an Azure Resource Manager token (On-Behalf-Of). One MSAL application
 * per process and credential; tokens are cached per user assertion until shortly before they (or the user's
 * own token) expire; concurrent requests for one user share one exchange.
 */
export class OboClient {
  readonly #cache: CoalescingCache<ArmAccessToken>;
  #app: { key: string; cca: ConfidentialClientApplication } | undefined;
  readonly #now: () => number;

  readonly #scope: string;

  constructor(private readonly options: OboClientOptions) {
    this.#now = options.now ?? Date.now;
    this.#scope = armScopeFor(options.armEndpoint);
    this.#cache = new CoalescingCache({ maxEntries: options.maxCachedUsers ?? 1000, now: this.#now });
  }

  /** Returns an ARM token for `user`; the user's token must already be verified. */
  getArmToken(user: VerifiedUser): Promise<ArmAccessToken> {
    const key = createHash('sha256').update(user.token).digest('base64url');
    return this.#cache.get(key, async () => {
      const token = await this.#exchange(user.token);
      const lifetimeEnd = Math.min(token.expiresOnTimestamp, user.expiresAt * 1000);
      return { value: token, ttlMs: lifetimeEnd - REFRESH_SKEW_MS - this.#now() };
    });
  }

  async #exchange(assertion: string): Promise<ArmAccessToken> {
    const first = await this.options.source.get();
    try {
      return await this.#acquire(first, assertion);
    } catch (error) {
      const mapped = mapMsalError(error);
      if (!(mapped instanceof OboError && USER_CAUSED.has(mapped.code))) {
        // MSAL remembers a 429/5xx (or any answer with Retry-After) per app and scopes, not per user, and
        // would replay it to every user for up to a minute; a fresh application forgets it.
        this.#app = undefined;
      }
      const rotated =
        mapped instanceof OboError &&
        mapped.code === 'invalid_client' &&
        mapped.aadsts !== undefined &&
        ROTATION_CODES.has(mapped.aadsts);
      if (!rotated || !this.options.source.invalidate(first.key)) throw mapped;
      this.options.logger.warn(
        `OBO: client credential ${first.key} rejected (AADSTS${mapped.aadsts}); re-reading it once.`,
      );
      const second = await this.options.source.get();
      try {
        return await this.#acquire(second, assertion);
      } catch (retryError) {
        throw mapMsalError(retryError);
      }
    }
  }

  async #acquire(current: CurrentCredential, assertion: string): Promise<ArmAccessToken> {
    const cca = this.#application(current);
    const result: AuthenticationResult | null = await withTimeout(
      'Entra ID token endpoint',
      this.options.timeoutMs,
      () => cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [this.#scope], skipCache: true }),
    );
    if (!result?.accessToken) throw new OboError('obo_failed', 'Entra ID returned no access token.');
    const expiresOn = result.expiresOn?.getTime() ?? this.#now() + 5 * 60_000;
    this.options.logger.info(`OBO: ARM token acquired for assertion ${fingerprint(assertion)}.`);
    return { token: result.accessToken, expiresOnTimestamp: expiresOn };
  }

  #application(current: CurrentCredential): ConfidentialClientApplication {
    if (this.#app?.key === current.key) return this.#app.cca;
    const { clientId, tenantId, authorityHost, timeoutMs, logger } = this.options;
    const config: Configuration = {
      auth: {
        clientId,
        authority: `${authorityHost}/${tenantId}`,
        ...knownAuthoritiesFor(authorityHost),
        ...msalAuthorityMetadata(authorityHost, this.options.v2Document?.()),
        ...current.credential,
      },
      cache: { cachePlugin: DISCARD_MSAL_TOKENS },
      system: {
        networkClient: new TimeoutNetworkClient(timeoutMs),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (level, message) => {
            if (level <= LogLevel.Warning) logger.warn(`MSAL: ${redact(message)}`);
          },
        },
      },
    };
    const cca = new ConfidentialClientApplication(config);
    this.#app = { key: current.key, cca };
    return cca;
  }
}
