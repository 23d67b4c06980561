import { MetadataUnavailableError } from '../errors.js';
import { GUID } from '../util/guid.js';
import { withTimeout } from '../util/timeout.js';

/** The parts of an OpenID Connect discovery document the verifier needs. */
export interface OidcConfiguration {
  issuer: string;
  jwks_uri: string;
}

/** The v1 and v2 issuers of the tenant, with their key sets. */
export interface TenantMetadata {
  v1: OidcConfiguration;
  v2: OidcConfiguration;
  /** The tenant's GUID, read from the v2 issuer (ENTRA_TENANT_ID may be a domain name). */
  tenantGuid: string;
  /** The v2 document as sent (always set by TenantDiscovery): MSAL's `authorityMetadata`, so it is fetched once. */
  v2Document?: string;
}

const FAILURE_BACKOFF_MS = 2000;
// The tenant segment of a v2 issuer, `https://<host>/<tenant>/v2.0`.
const TENANT_IN_V2_ISSUER = /\/([^/]+)\/v2\.0\/?$/i;

async function fetchConfiguration(
  url: string,
  timeoutMs: number,
): Promise<{ config: OidcConfiguration; text: string }> {
  const text = await withTimeout('Entra ID discovery', timeoutMs, async (signal) => {
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    if (!response.ok) {
      throw new MetadataUnavailableError(`Entra ID discovery answered HTTP ${response.status}`);
    }
    return response.text();
  });
  let body: Partial<OidcConfiguration>;
  try {
    body = JSON.parse(text) as Partial<OidcConfiguration>;
  } catch (error) {
    throw new MetadataUnavailableError('Entra ID discovery document is not JSON', { cause: error });
  }
  if (typeof body.issuer !== 'string' || typeof body.jwks_uri !== 'string') {
    throw new MetadataUnavailableError('Entra ID discovery document lacks issuer or jwks_uri');
  }
  return { config: { issuer: body.issuer, jwks_uri: body.jwks_uri }, text };
}

/**
 * Loads the tenant's v1 and v2 discovery documents once per process; a failed load is retried on the next
 * request rather than cached, so the server recovers by itself when Entra ID is reachable again.
 */
export class TenantDiscovery {
  #metadata: Promise<TenantMetadata> | undefined;
  #loaded: TenantMetadata | undefined;

  constructor(
    private readonly authorityHost: string,
    private readonly tenantId: string,
    private readonly timeoutMs: number,
  ) {}

  // Loaded on first use.
  get(): Promise<TenantMetadata> {
    this.#metadata ??= this.#load().catch((error: unknown) => {
      // Remember the failure briefly, so an outage costs one discovery attempt per few seconds, not per request.
      setTimeout(() => (this.#metadata = undefined), FAILURE_BACKOFF_MS).unref();
      throw error instanceof MetadataUnavailableError
        ? error
        : new MetadataUnavailableError('Entra ID discovery failed', { cause: error });
    });
    return this.#metadata;
  }

  /** The metadata if it has been loaded (it is kept for the process's life), without waiting. */
  current(): TenantMetadata | undefined {
    return this.#loaded;
  }

  async #load(): Promise<TenantMetadata> {
    const base = `${this.authorityHost}/${encodeURIComponent(this.tenantId)}`;
    const [{ config: v2, text: v2Document }, { config: v1 }] = await Promise.all([
      fetchConfiguration(`${base}/v2.0/.well-known/openid-configuration`, this.timeoutMs),
      fetchConfiguration(`${base}/.well-known/openid-configuration`, this.timeoutMs),
    ]);
    // A configured GUID is the tenant; a configured domain name is resolved through the issuer Entra publishes.
    const tenantGuid = GUID.test(this.tenantId) ? this.tenantId : TENANT_IN_V2_ISSUER.exec(v2.issuer)?.[1];
    if (!tenantGuid) throw new MetadataUnavailableError('Entra ID v2 issuer does not name a tenant');
    this.#loaded = { v1, v2, tenantGuid: tenantGuid.toLowerCase(), v2Document };
    return this.#loaded;
  }
}
