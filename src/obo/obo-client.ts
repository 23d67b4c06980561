import { createHash, randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type {
  AuthenticationResult,
  Configuration,
  ICachePlugin,
  INetworkModule,
  NetworkResponse,
  TokenCache,
} from '@azure/msal-node';
import { OboError, WarmUpError } from '../errors.js';
import type { OboErrorCode } from '../errors.js';
import type { VerifiedUser } from '../auth/verifier.js';
import { boundedCache, entryTtl } from '../util/cache.js';
import { fingerprint } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { MsalNetworkClient } from '../util/msal-network.js';
import { withTimeout } from '../util/timeout.js';
import type { ClientCredentialSource, CurrentCredential } from './credential-source.js';
import { MAX_RETRY_AFTER_SEC, mapMsalError } from './msal-errors.js';
import { msalConfiguration, withAppCredential } from './msal-config.js';
import { FailedAnswers } from './failed-answers.js';
import { ATTR, SPAN } from '../telemetry/names.js';
import { errorType, inSpan, meters, secondsSince } from '../telemetry/telemetry.js';

export const ARM_SCOPE = 'https://management.azure.com/user_impersonation';

export interface ArmAccessToken {
  token: string;
  /** Epoch ms. */
  expiresOnTimestamp: number;
}

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
  /** OBO_CREDENTIAL, as telemetry names it (obo.credential_mode). */
  credentialMode?: string;
  now?: () => number;
}

// Tokens are renewed this long before they expire, so one never expires between our check and ARM's.
const REFRESH_SKEW_MS = 2 * 60_000;
// Should MSAL report no expiry, assume a short life rather than cache the token indefinitely.
const UNKNOWN_EXPIRY_MS = 5 * 60_000;
/** How long a user-caused failure is answered from memory: a batch or a retrying client must not hammer Entra. */
const NEGATIVE_TTL_MS = 30_000;

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

const NOBODY = '00000000-0000-0000-0000-000000000000';

/** An Entra ID that grants every token request in-process, for the start-up warm-up; it never fetches metadata. */
function warmUpNetwork(scope: string): INetworkModule {
  const granted = {
    token_type: 'Bearer',
    scope,
    expires_in: 3600,
    ext_expires_in: 3600,
    access_token: 'warm-up',
    // As Entra answers MSAL's client_info=1 (MSAL warns without it).
    client_info: Buffer.from(JSON.stringify({ uid: NOBODY, utid: NOBODY })).toString('base64url'),
  };
  return {
    sendGetRequestAsync: () => Promise.reject(new Error('The OBO warm-up makes no requests.')),
    sendPostRequestAsync: <T>() =>
      Promise.resolve({ status: 200, headers: {}, body: granted as T } satisfies NetworkResponse<T>),
  };
}

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Exchanges a verified user token for an Azure Resource Manager token (On-Behalf-Of). One MSAL application
 * per process and credential; tokens are cached per user assertion until shortly before they (or the user's
 * own token) expire; concurrent requests for one user share one exchange.
 */
export class OboClient {
  // Per token hash; the user rides along as the fetch context of the one exchange all concurrent misses share.
  readonly #cache: ReturnType<typeof boundedCache<string, ArmAccessToken, VerifiedUser>>;
  // User-caused failures per token hash, answered from memory until their TTL ends (bounded like #cache).
  readonly #failures: ReturnType<typeof boundedCache<string, OboError>>;
  #app: { key: string; cca: ConfidentialClientApplication } | undefined;
  readonly #network: MsalNetworkClient;
  readonly #failedAnswers = new FailedAnswers();
  // Token hashes with an exchange in flight: a lookup finding one shares it (telemetry: coalesced).
  readonly #inflight = new Set<string>();
  /** Entra answered 429 with Retry-After: no exchange for anyone before this (epoch ms). */
  #throttledUntil = 0;
  readonly #now: () => number;

  readonly #scope: string;

  constructor(private readonly options: OboClientOptions) {
    this.#now = options.now ?? Date.now;
    this.#scope = armScopeFor(options.armEndpoint);
    const max = options.maxCachedUsers ?? 1000;
    this.#cache = boundedCache(this.#now, {
      max,
      fetchMethod: (key, _stale, { options: entry, context: user }) => this.#load(key, user, entry),
    });
    this.#failures = boundedCache(this.#now, { max });
    this.#network = new MsalNetworkClient({
      timeoutMs: options.timeoutMs,
      nonJson: 'oauth_error',
      onAnswer: (answer) => this.#failedAnswers.record(answer),
    });
  }

  /** The user's token must already be verified (MSAL serves cached OBO tokens after the assertion expired). */
  getArmToken(user: VerifiedUser): Promise<ArmAccessToken> {
    const key = tokenKey(user.token);
    const failed = this.#failures.get(key);
    const cache = failed
      ? 'remembered_failure'
      : this.#cache.has(key)
        ? 'hit'
        : this.#inflight.has(key)
          ? 'coalesced'
          : 'miss';
    const attributes = {
      [ATTR.oboCache]: cache,
      [ATTR.oboCredentialMode]: this.options.credentialMode ?? 'unknown',
    };
    return inSpan(SPAN.obo, attributes, async () => {
      try {
        if (failed) throw failed;
        const token = await this.#cache.forceFetch(key, { context: user });
        meters().oboExchanges.add(1, { [ATTR.oboCache]: cache });
        return token;
      } catch (error) {
        meters().oboExchanges.add(1, {
          [ATTR.oboCache]: cache,
          [ATTR.errorType]: errorType(error),
          ...(error instanceof OboError && error.aadsts !== undefined
            ? { [ATTR.oboAadsts]: error.aadsts }
            : {}),
        });
        throw error;
      }
    });
  }

  async #load(key: string, user: VerifiedUser, entry: { ttl?: number }): Promise<ArmAccessToken> {
    let token: ArmAccessToken;
    const started = performance.now();
    this.#inflight.add(key);
    try {
      token = await this.#exchange(user.token);
      meters().oboDuration.record(secondsSince(started), {});
    } catch (error) {
      meters().oboDuration.record(secondsSince(started), { [ATTR.errorType]: errorType(error) });
      if (error instanceof OboError && USER_CAUSED.has(error.code)) this.#rememberFailure(key, user, error);
      throw error;
    } finally {
      this.#inflight.delete(key);
    }
    const lifetimeEnd = Math.min(token.expiresOnTimestamp, user.expiresAt * 1000);
    entry.ttl = entryTtl(lifetimeEnd - REFRESH_SKEW_MS - this.#now());
    return token;
  }

  /**
   * Forgets `user`'s cached ARM token after ARM rejected it, so the next getArmToken does a fresh exchange. With
   * `rejected`, only if the cache still holds that token: a concurrent request may already have replaced it.
   */
  evict(user: VerifiedUser, rejected?: string): void {
    const key = tokenKey(user.token);
    if (rejected === undefined || this.#cache.peek(key)?.token === rejected) this.#cache.delete(key);
  }

  #rememberFailure(key: string, user: VerifiedUser, error: OboError): void {
    const ttl = Math.min(NEGATIVE_TTL_MS, user.expiresAt * 1000 - this.#now());
    if (ttl > 0) this.#failures.set(key, error, { ttl });
  }

  async #exchange(assertion: string): Promise<ArmAccessToken> {
    const waitMs = this.#throttledUntil - this.#now();
    if (waitMs > 0) {
      const retryAfterSec = Math.ceil(waitMs / 1000);
      throw new OboError(
        'obo_throttled',
        `Entra ID is throttling this server's sign-in exchanges; retry in ${retryAfterSec} seconds.`,
        { retryAfterSec },
      );
    }
    return withAppCredential(this.options.source, this.options.logger, (current) =>
      this.#acquire(current, assertion),
    );
  }

  /** One exchange; failures come out mapped (OboError or another AppError). */
  async #acquire(current: CurrentCredential, assertion: string): Promise<ArmAccessToken> {
    const cca = this.#application(current);
    const correlationId = randomUUID();
    let result: AuthenticationResult | null;
    try {
      result = await withTimeout('Entra ID token endpoint', this.options.timeoutMs, () =>
        cca.acquireTokenOnBehalfOf({
          oboAssertion: assertion,
          scopes: [this.#scope],
          skipCache: true,
          correlationId,
        }),
      );
    } catch (error) {
      const answer = this.#failedAnswers.take(correlationId);
      const mapped = mapMsalError(error, answer);
      if (mapped instanceof OboError && mapped.code === 'obo_throttled' && mapped.retryAfterSec) {
        // Entra throttles the application, so holding back for everyone is right, for at most
        // MAX_RETRY_AFTER_SEC (mapMsalError caps it); users with a cached ARM token are not affected.
        this.#throttledUntil = Math.max(this.#throttledUntil, this.#now() + mapped.retryAfterSec * 1000);
        const asked = answer?.retryAfterSec ?? mapped.retryAfterSec;
        this.options.logger.warn(
          `OBO: Entra ID answered 429 (Retry-After ${asked} s); no exchange for anyone for ${mapped.retryAfterSec} s (at most ${MAX_RETRY_AFTER_SEC} s); cached ARM tokens keep serving.`,
        );
        // MSAL keeps its own throttling entry (per app and scope) for the full Retry-After, up to an hour: past
        // our shorter window it would refuse every exchange itself, so the application is rebuilt. Within the
        // window ours already holds every caller back.
        if (asked > mapped.retryAfterSec) this.#app = undefined;
      } else if (
        !(mapped instanceof OboError && USER_CAUSED.has(mapped.code)) ||
        answer?.retryAfterSec !== undefined
      ) {
        // MSAL remembers a 429/5xx (or any answer with Retry-After) per app and scopes, not per user, and
        // would replay it to every user for up to a minute; a fresh application forgets it.
        this.#app = undefined;
      }
      throw mapped;
    }
    if (!result?.accessToken) throw new OboError('obo_failed', 'Entra ID returned no access token.');
    const expiresOn = result.expiresOn?.getTime() ?? this.#now() + UNKNOWN_EXPIRY_MS;
    this.options.logger.info(`OBO: ARM token acquired for assertion ${fingerprint(assertion)}.`);
    return { token: result.accessToken, expiresOnTimestamp: expiresOn };
  }

  /**
   * Runs one exchange through a throwaway MSAL application whose network answers in-process (start-up warm-up):
   * MSAL's token path is slow the first time, and that time is better spent at start than by the first caller.
   * Needs the tenant's v2 document (without it the throwaway application would want the network for discovery).
   */
  async warmUpTokenPath(): Promise<void> {
    if (!this.options.v2Document?.()) return;
    try {
      const stub = new ConfidentialClientApplication(
        this.#config({ clientSecret: 'warm-up' }, warmUpNetwork(this.#scope)),
      );
      await stub.acquireTokenOnBehalfOf({ oboAssertion: 'warm-up', scopes: [this.#scope], skipCache: true });
    } catch (error) {
      // Synthetic inputs only, so MSAL's message carries no caller data.
      const why = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
      throw new WarmUpError(`OBO warm-up: ${why}`, { cause: error });
    }
  }

  /** Builds the MSAL application for the current credential ahead of the first exchange (start-up prefetch). */
  async warmUp(): Promise<void> {
    this.#application(await this.options.source.get());
  }

  #application(current: CurrentCredential): ConfidentialClientApplication {
    if (this.#app?.key === current.key) return this.#app.cca;
    const cca = new ConfidentialClientApplication(this.#config(current.credential, this.#network));
    this.#app = { key: current.key, cca };
    return cca;
  }

  #config(credential: CurrentCredential['credential'], networkClient: INetworkModule): Configuration {
    return msalConfiguration(this.options, credential, networkClient, DISCARD_MSAL_TOKENS);
  }
}
