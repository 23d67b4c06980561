// The proxy's MCP clients, without storage: a client id is either the URL of the client's metadata document
// (CIMD, draft-ietf-oauth-client-id-metadata-document) or a registration this server signed (RFC 7591, see
// registration.ts). Either way this module turns it into what the authorize endpoint needs.
import { OAuthProxyError } from '../errors.js';
import { boundedCache, entryTtl } from '../util/cache.js';
import { PublicFetchError, fetchPublicJson } from '../util/public-fetch.js';
import type { PublicDocument, PublicFetchOptions } from '../util/public-fetch.js';
import { clean } from '../util/text.js';
import type { ProxyKeyRing } from './keys.js';
import { redirectUriProblem } from './redirect-uris.js';

export interface ProxyClient {
  id: string;
  /** `metadata-document`: published at its id (its host is who it is); `registered`: self-asserted (DCR). */
  kind: 'metadata-document' | 'registered';
  name: string;
  redirectUris: readonly string[];
}

/** What a registration's client id holds (a JWS this server signed), in RFC 7591's names. */
export interface RegistrationRecord {
  client_name?: string;
  redirect_uris: string[];
  application_type: 'web' | 'native';
}

export const MAX_REDIRECT_URIS = 5;
export const MAX_CLIENT_NAME = 100;
const MAX_CLIENT_ID_URL = 512;
const CIMD_FETCH_TIMEOUT_MS = 5_000;
const CIMD_MAX_BYTES = 64 * 1024;
// Cache-Control max-age is honoured within these bounds; without one a document is kept 5 minutes.
const CIMD_MIN_TTL_MS = 60_000;
const CIMD_DEFAULT_TTL_MS = 5 * 60_000;
const CIMD_MAX_TTL_MS = 24 * 3600_000;
const CIMD_CACHE_MAX = 500;
// Documents fetched at once: anyone may name any URL, so the fetches one instance makes are bounded.
const CIMD_MAX_CONCURRENT = 8;

const FETCH_FAILURES: Record<PublicFetchError['reason'], string> = {
  not_https: 'it is not an https URL',
  // One text for both: an anonymous caller must not learn which internal names exist.
  blocked_address: 'its host is not public (no public address it resolves to)',
  unresolvable: 'its host is not public (no public address it resolves to)',
  unreachable: 'its host could not be reached',
  timeout: 'its host did not answer in time',
  redirect: 'it answered with a redirect',
  http_status: 'it did not answer 200',
  not_json: 'it is not a JSON document',
  too_large: 'it is too large',
};

function invalidClient(description: string): OAuthProxyError {
  return new OAuthProxyError('invalid_client', description);
}

/** True when `clientId` is in the form of a metadata document URL: https, a path, no fragment, query or credentials. */
export function isMetadataDocumentUrl(clientId: string): boolean {
  if (!clientId.startsWith('https://') || clientId.length > MAX_CLIENT_ID_URL || !URL.canParse(clientId)) {
    return false;
  }
  const url = new URL(clientId);
  // As written is as fetched: a URL that parsing changes (dot segments, also percent-encoded ones, or anything
  // else normalised away) is not one.
  return (
    url.href === clientId &&
    url.pathname !== '/' &&
    !url.username &&
    !url.password &&
    !clientId.includes('#') &&
    !clientId.includes('?')
  );
}

/** The redirect URIs of a registration or document, checked like a registration's. */
export function checkRedirectUris(value: unknown): { uris: string[] } | { problem: string } {
  if (!Array.isArray(value) || value.length === 0)
    return { problem: 'redirect_uris must be a non-empty array' };
  if (value.length > MAX_REDIRECT_URIS)
    return { problem: `at most ${MAX_REDIRECT_URIS} redirect_uris are accepted` };
  for (const uri of value) {
    const problem = redirectUriProblem(uri);
    if (problem) return { problem };
  }
  return { uris: [...new Set(value as string[])] };
}

function ttlFrom(cacheControl: string | undefined): number {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/(^|[\s,])(no-store|no-cache|private)([\s,=]|$)/.test(directives)) return 0;
  const maxAge = /(^|[\s,])max-age=(\d{1,10})/.exec(directives)?.[2];
  if (maxAge === undefined) return CIMD_DEFAULT_TTL_MS;
  return Math.min(Math.max(Number(maxAge) * 1000, CIMD_MIN_TTL_MS), CIMD_MAX_TTL_MS);
}

/** The client a metadata document describes, or why it cannot be used. */
export function clientFromDocument(clientId: string, doc: PublicDocument): ProxyClient {
  const json = doc.json;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidClient('The client metadata document is not a JSON object.');
  }
  const meta = json as Record<string, unknown>;
  if (meta.client_id !== clientId) {
    throw invalidClient('The client metadata document names another client_id than its own URL.');
  }
  if (meta.client_secret !== undefined || meta.client_secret_expires_at !== undefined) {
    throw invalidClient('A client metadata document must not carry a client secret.');
  }
  // Shared secrets are barred by the draft. A private_key_jwt client is served as a public one: its codes are
  // protected by PKCE, which this server always requires.
  const method = meta.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none' && method !== 'private_key_jwt') {
    throw invalidClient(
      'A client metadata document may use token_endpoint_auth_method "none" (or private_key_jwt) only.',
    );
  }
  const grants = meta.grant_types;
  if (
    grants !== undefined &&
    !(Array.isArray(grants) && grants.every((g) => g === 'authorization_code' || g === 'refresh_token'))
  ) {
    throw invalidClient('The client metadata document asks for grant types this server does not offer.');
  }
  const redirects = checkRedirectUris(meta.redirect_uris);
  if ('problem' in redirects)
    throw invalidClient(`The client metadata document is not usable: ${redirects.problem}.`);
  const host = new URL(clientId).host;
  const name = typeof meta.client_name === 'string' ? clean(meta.client_name, MAX_CLIENT_NAME) : '';
  return { id: clientId, kind: 'metadata-document', name: name || host, redirectUris: redirects.uris };
}

export interface ClientResolverOptions {
  keys: (sealed?: string) => Promise<ProxyKeyRing>;
  fetch: Omit<PublicFetchOptions, 'timeoutMs' | 'maxBytes'>;
  now?: () => number;
}

/** Resolves client ids; metadata documents are cached per Cache-Control in a bounded cache (misses coalesce). */
export class ClientResolver {
  // Only usable documents are cached (the draft: never errors or invalid documents); misses coalesce.
  readonly #documents: ReturnType<typeof boundedCache<string, ProxyClient>>;
  #inFlight = 0;

  constructor(private readonly options: ClientResolverOptions) {
    this.#documents = boundedCache(options.now ?? Date.now, {
      max: CIMD_CACHE_MAX,
      fetchMethod: (url, _stale, { options: entry }) => this.#fetchDocument(url, entry),
    });
  }

  /** The client behind `clientId`; OAuthProxyError `invalid_client` when there is none. */
  async resolve(clientId: string | null | undefined): Promise<ProxyClient> {
    if (!clientId) throw new OAuthProxyError('invalid_request', 'The request has no client_id.');
    if (clientId.startsWith('https://')) {
      if (!isMetadataDocumentUrl(clientId)) {
        throw invalidClient(
          'A client_id URL must be https with a path, and no query, fragment or credentials.',
        );
      }
      const client = await this.#documents.fetch(clientId);
      if (!client) throw invalidClient('The client metadata document could not be loaded.');
      return client;
    }
    return this.#registered(clientId);
  }

  async #registered(clientId: string): Promise<ProxyClient> {
    const opened = await (await this.options.keys(clientId)).verify<RegistrationRecord>('client', clientId);
    if (!opened.ok) throw invalidClient('This client_id is unknown here; register the client again.');
    const { client_name: name, redirect_uris: uris } = opened.claims;
    const redirects = checkRedirectUris(uris);
    if ('problem' in redirects)
      throw invalidClient('This client_id is unknown here; register the client again.');
    return { id: clientId, kind: 'registered', name: name || 'Unnamed client', redirectUris: redirects.uris };
  }

  async #fetchDocument(url: string, entry: { ttl?: number }): Promise<ProxyClient> {
    if (this.#inFlight >= CIMD_MAX_CONCURRENT) {
      throw new OAuthProxyError(
        'temporarily_unavailable',
        'Too many client metadata documents are being fetched; retry shortly.',
        {
          retryAfterSec: 5,
        },
      );
    }
    this.#inFlight++;
    let doc: PublicDocument;
    try {
      doc = await fetchPublicJson(url, {
        ...this.options.fetch,
        timeoutMs: CIMD_FETCH_TIMEOUT_MS,
        maxBytes: CIMD_MAX_BYTES,
      });
    } catch (error) {
      if (error instanceof PublicFetchError) {
        throw invalidClient(`The client metadata document was not fetched: ${FETCH_FAILURES[error.reason]}.`);
      }
      throw error;
    } finally {
      this.#inFlight--;
    }
    const client = clientFromDocument(url, doc);
    entry.ttl = entryTtl(ttlFrom(doc.cacheControl));
    return client;
  }
}
