import type * as ArmResources from '@azure/arm-resources';
import type * as ArmSubscriptions from '@azure/arm-resources-subscriptions';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { ArmError } from '../errors.js';
import { withTimeout } from '../util/timeout.js';
import { mapArmError } from './errors.js';
import { telemetryActive } from '../telemetry/state.js';
import type { ArmListing } from './tracing-policy.js';
import type * as TracingPolicy from './tracing-policy.js';

// What the tools return of ARM's answers: plain, stable shapes, independent of the SDK's models.
export interface SubscriptionInfo {
  /** ARM resource id, `/subscriptions/<guid>`. */
  id: string;
  subscriptionId: string;
  displayName: string;
  state: string;
  tenantId: string;
}

export interface ResourceGroupInfo {
  name: string;
  location: string;
  provisioningState: string | undefined;
  id: string;
}

export interface ResourceInfo {
  name: string;
  type: string;
  location: string | undefined;
  resourceGroup: string | undefined;
  id: string;
}

/** A list that may have been cut at the item limit. */
export interface Listing<T> {
  items: T[];
  truncated: boolean;
}

export interface ArmClientOptions {
  endpoint: string;
  /** Time budget of one whole listing (all pages and retries). */
  timeoutMs: number;
  /** Most items one listing returns, so a huge tenant cannot exhaust memory or the MCP response. */
  maxItems?: number;
  /** Called once when ARM rejects the token (401), with that token: drop it, so the next getToken exchanges afresh. */
  onUnauthorized?: (rejected: string | undefined) => void;
  /** Default: the one HTTP client of the process (`loadArmSdk`). */
  httpClient?: HttpClient;
}

const RESOURCE_GROUP_IN_ID = /\/resourceGroups\/([^/]+)/i;
// Bounds memory and the MCP answer for huge tenants; more than a person reads through a chat anyway.
const DEFAULT_MAX_ITEMS = 1000;
// The SDK pipeline retries throttling and transient failures; capping each wait at 8 s (its default is 64 s)
// keeps the retries inside the listing's time budget instead of outliving it.
const RETRY_OPTIONS = { maxRetries: 3, maxRetryDelayInMs: 8000 };

type ArmSdk = [typeof ArmResources, typeof ArmSubscriptions, HttpClient, ArmTracing];
type ArmTracing = typeof TracingPolicy.armTracingPolicy;
let sdk: Promise<ArmSdk> | undefined;

/**
 * The ARM SDKs, imported once on first use (or by the start-up prefetch), off the app's module-load path, and one
 * HTTP client for every ARM client: each SDK client would otherwise open (and TLS-handshake) its own connections,
 * and a client lives for one request.
 */
export function loadArmSdk(): Promise<ArmSdk> {
  sdk ??= Promise.all([
    import('@azure/arm-resources'),
    import('@azure/arm-resources-subscriptions'),
    import('@azure/core-rest-pipeline').then(({ createDefaultHttpClient }) => createDefaultHttpClient()),
    // With the SDK, not before: it brings the OpenTelemetry API, which stays off the app's start path.
    import('./tracing-policy.js').then(({ armTracingPolicy }) => armTracingPolicy),
  ]).catch((error: unknown) => {
    sdk = undefined; // a failed import is retried by the next call, not remembered
    throw error;
  });
  return sdk;
}

/** Azure Resource Manager calls for one user, authenticated with that user's OBO token. */
export class ArmClient {
  readonly #credential: TokenCredential;
  readonly #maxItems: number;
  #refreshed = false;
  // The token the last ARM call was sent with: the one ARM rejects on a 401.
  #lastToken: string | undefined;
  // The listing in progress (one per client: a client serves one tool call): its pages by URL, for telemetry.
  #listing: ArmListing = { operation: '', pages: new Map() };

  constructor(
    getToken: () => Promise<AccessToken>,
    private readonly options: ArmClientOptions,
  ) {
    // Scopes are ignored: the OBO token is always for ARM's user_impersonation. A claims challenge (the SDK
    // retries ARM's CAE 401s with one) means the cached token was revoked: refresh it once.
    this.#credential = {
      getToken: async (_scopes, opts) => {
        if (opts?.claims) this.#refreshOnce();
        const token = await getToken();
        this.#lastToken = token.token;
        return token;
      },
    };
    this.#maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  }

  /** Drops the cached token at most once per client (one request): a second 401 is final. */
  #refreshOnce(): boolean {
    if (this.#refreshed || !this.options.onUnauthorized) return false;
    this.#refreshed = true;
    this.options.onUnauthorized(this.#lastToken);
    return true;
  }

  listSubscriptions(): Promise<Listing<SubscriptionInfo>> {
    return this.#collect(
      'subscriptions.list',
      'list your subscriptions',
      async (abortSignal) => {
        const [, { SubscriptionClient }, httpClient, tracing] = await loadArmSdk();
        const client = new SubscriptionClient(this.#credential, this.#clientOptions(httpClient, tracing));
        return client.subscriptions.list({ abortSignal });
      },
      (s) => ({
        id: s.id ?? (s.subscriptionId ? `/subscriptions/${s.subscriptionId}` : ''),
        subscriptionId: s.subscriptionId ?? '',
        displayName: s.displayName ?? '',
        state: s.state ?? 'Unknown',
        tenantId: s.tenantId ?? '',
      }),
    );
  }

  listResourceGroups(subscriptionId: string): Promise<Listing<ResourceGroupInfo>> {
    return this.#collect(
      'resourceGroups.list',
      `list resource groups of subscription ${subscriptionId}`,
      async (abortSignal) => {
        const client = await this.#resourceClient(subscriptionId);
        return client.resourceGroups.list({ abortSignal });
      },
      (g) => ({
        name: g.name ?? '',
        location: g.location,
        provisioningState: g.properties?.provisioningState,
        id: g.id ?? '',
      }),
    );
  }

  listResources(subscriptionId: string, resourceGroup?: string): Promise<Listing<ResourceInfo>> {
    const where = resourceGroup ? `resource group ${resourceGroup}` : `subscription ${subscriptionId}`;
    return this.#collect(
      resourceGroup ? 'resources.listByResourceGroup' : 'resources.list',
      `list resources of ${where}`,
      async (abortSignal) => {
        const client = await this.#resourceClient(subscriptionId);
        return resourceGroup
          ? client.resources.listByResourceGroup(resourceGroup, { abortSignal })
          : client.resources.list({ abortSignal });
      },
      (r) => ({
        name: r.name ?? '',
        type: r.type ?? '',
        location: r.location,
        resourceGroup: RESOURCE_GROUP_IN_ID.exec(r.id ?? '')?.[1],
        id: r.id ?? '',
      }),
    );
  }

  async #resourceClient(subscriptionId: string) {
    const [{ ResourceManagementClient }, , httpClient, tracing] = await loadArmSdk();
    return new ResourceManagementClient(
      this.#credential,
      subscriptionId,
      this.#clientOptions(httpClient, tracing),
    );
  }

  #clientOptions(shared: HttpClient, tracing: ArmTracing) {
    return {
      httpClient: this.options.httpClient ?? shared,
      endpoint: this.options.endpoint,
      $host: this.options.endpoint,
      retryOptions: RETRY_OPTIONS,
      // Telemetry off, no policy: nothing per request that only telemetry needs.
      additionalPolicies: telemetryActive()
        ? [{ policy: tracing(this.#listing), position: 'perRetry' as const }]
        : [],
    };
  }

  async #collect<S, T>(
    operation: string,
    what: string,
    list: (signal: AbortSignal) => Promise<AsyncIterable<S>>,
    map: (item: S) => T,
  ): Promise<Listing<T>> {
    this.#listing = { operation, pages: new Map() };
    try {
      return await this.#collectOnce(what, list, map);
    } catch (error) {
      // ARM 401: the cached token was revoked (or expired early); one retry with a freshly exchanged token.
      if (!(error instanceof ArmError && error.status === 401) || !this.#refreshOnce()) throw error;
      return await this.#collectOnce(what, list, map);
    }
  }

  async #collectOnce<S, T>(
    what: string,
    list: (signal: AbortSignal) => Promise<AsyncIterable<S>>,
    map: (item: S) => T,
  ): Promise<Listing<T>> {
    try {
      return await withTimeout('Azure Resource Manager', this.options.timeoutMs, async (signal) => {
        const items: T[] = [];
        for await (const item of await list(signal)) {
          if (items.length >= this.#maxItems) return { items, truncated: true };
          items.push(map(item));
        }
        return { items, truncated: false };
      });
    } catch (error) {
      throw mapArmError(error, what);
    }
  }
}
