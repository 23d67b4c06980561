import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { MetadataUnavailableError, TokenError } from '../errors.js';
import type { TokenVersion } from '../config/settings.js';
import type { TokenErrorCode } from '../errors.js';
import { boundedCache } from '../util/cache.js';
import type { TenantMetadata } from './discovery.js';

/** Where the verifier gets the tenant's issuers and key-set URLs (TenantDiscovery in production). */
export interface MetadataSource {
  get(): Promise<TenantMetadata>;
}

/** The claims of a verified user token that the tools and the OBO exchange use. */
export interface VerifiedUser {
  /** The raw bearer token: the OBO assertion. Never log it. */
  token: string;
  oid: string;
  tenantId: string;
  upn: string | undefined;
  name: string | undefined;
  readonly scopes: readonly string[];
  /** Token format version, from the issuer that signed it. */
  version: '1.0' | '2.0';
  /** Expiry, epoch seconds. */
  expiresAt: number;
  clientAppId: string | undefined;
}

export interface VerifierOptions {
  clientId: string;
  /** The configured Application ID URI; v1 tokens requested under it carry it as `aud`. */
  appIdUri?: string;
  requiredScope: string;
  /** Token versions accepted (default both): 2 alone takes only the v2 issuer and the client-id audience. */
  acceptedVersions?: readonly TokenVersion[];
  /** Client application ids (lower case) whose tokens are accepted (`azp` v2, `appid` v1), or `*` for any. */
  allowedClientIds: readonly string[] | '*';
  /** Allowed clock skew, seconds. */
  clockToleranceSec?: number;
  /** Time budget of one JWKS download. */
  timeoutMs: number;
  /** Most verified tokens remembered (default 1000); a client reuses its token for every call of its session. */
  maxCachedTokens?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

// How long a verified token is taken on its hash alone (still never past its expiry): the signature check
// (WebCrypto RSA) is the largest cost of a call with a cached OBO token, and a client sends one token per session.
const VERIFIED_TTL_MS = 5 * 60_000;

function claimString(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Maps a jose failure to a stable token error code; key-set outages become MetadataUnavailableError. */
function mapJoseError(error: unknown): Error {
  if (error instanceof joseErrors.JWTExpired) return new TokenError('token_expired', 'Token has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const byClaim: Record<string, TokenErrorCode> = {
      nbf: 'token_not_yet_valid',
      aud: 'token_bad_audience',
      iss: 'token_bad_issuer',
    };
    // reason 'invalid' is a claim of the wrong type (e.g. a string nbf): malformed, not a clock problem.
    const code = (error.reason !== 'invalid' && byClaim[error.claim]) || 'token_invalid';
    return new TokenError(code, `Token claim '${error.claim}' is not acceptable.`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenError('token_bad_signature', 'Token signature is not valid.');
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new TokenError('token_unknown_key', 'Token was not signed by a key of this tenant.');
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return new TokenError('token_bad_algorithm', 'Token algorithm is not accepted.');
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new MetadataUnavailableError('Entra ID signing keys could not be loaded', { cause: error });
  }
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return new TokenError('token_malformed', 'Token is not a well-formed JWT.');
  }
  if (error instanceof TypeError || (error instanceof Error && error.name === 'AbortError')) {
    // fetch() of the key set failed (network, TLS): not the caller's fault.
    return new MetadataUnavailableError('Entra ID signing keys could not be loaded', { cause: error });
  }
  return new TokenError('token_invalid', 'Token is not acceptable.');
}

/**
 * Verifies Entra ID user access tokens for this API: RS256 signature from the tenant's published keys, an
 * accepted version's issuer and audience (v2: `<client-id>`; v1: that, `api://<client-id>` or the Application ID
 * URI), tenant, lifetime and the required scope.
 */
export class TokenVerifier {
  readonly #keySets = new Map<string, RemoteJwks>();
  readonly #accepts: ReadonlySet<TokenVersion>;
  // Entra puts the client id in every v2 token; a v1 token carries whichever identifier the client asked for.
  readonly #v1Audiences: string[];
  readonly #tolerance: number;
  // Per token hash: the verified user, until min(VERIFIED_TTL_MS, the token's own expiry). Only successes enter
  // (lru-cache's fetch would hold a slot for every junk token in flight and evict verified ones for it).
  readonly #verified: ReturnType<typeof boundedCache<string, VerifiedUser>>;
  // Verifications in flight, so concurrent requests with one token share one (at most one per request).
  readonly #pending = new Map<string, Promise<VerifiedUser>>();
  readonly #nowMs = (): number => this.options.now?.().getTime() ?? Date.now();

  constructor(
    private readonly discovery: MetadataSource,
    private readonly options: VerifierOptions,
  ) {
    this.#accepts = new Set(options.acceptedVersions ?? [1, 2]);
    this.#v1Audiences = [
      ...new Set([
        options.clientId,
        `api://${options.clientId}`,
        options.appIdUri ?? `api://${options.clientId}`,
      ]),
    ];
    this.#tolerance = options.clockToleranceSec ?? 60;
    this.#verified = boundedCache(this.#nowMs, { max: options.maxCachedTokens ?? 1000 });
  }

  /**
   * Verifies `token`; throws TokenError (with a stable code) or MetadataUnavailableError. `viaProxy`: the token came
   * out of one of this server's OAuth proxy tokens, so the app itself is an allowed client (the proxy signs users
   * in as it; only a holder of its credential can).
   */
  /** True when `token` was verified before and is still in the cache (telemetry: auth.cached). */
  isCached(token: string | undefined, viaProxy = false): boolean {
    return token !== undefined && token !== '' && this.#verified.has(this.#key(token, viaProxy));
  }

  #key(token: string, viaProxy: boolean): string {
    return createHash('sha256').update(token).digest('base64url') + (viaProxy ? ':proxy' : '');
  }

  async verify(token: string | undefined, options: { viaProxy?: boolean } = {}): Promise<VerifiedUser> {
    if (!token) throw new TokenError('token_missing', 'No bearer token was presented.');
    const viaProxy = options.viaProxy === true;
    const key = this.#key(token, viaProxy);
    const known = this.#verified.get(key);
    if (known) return known;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#verify(token, viaProxy).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const user = await pending;
    // jose accepts a token until `exp` plus the clock tolerance; the cache never outlasts that.
    const acceptedUntil = (user.expiresAt + this.#tolerance) * 1000;
    const ttl = Math.min(VERIFIED_TTL_MS, acceptedUntil - this.#nowMs());
    if (ttl > 0) this.#verified.set(key, user, { ttl });
    return user;
  }

  async #verify(token: string, viaProxy: boolean): Promise<VerifiedUser> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new TokenError('token_malformed', 'Token is not a well-formed JWT.');
    }
    // Checked before any key lookup: `none`, HS256 "signed" with the public key and friends stop here.
    if (header.alg !== 'RS256')
      throw new TokenError('token_bad_algorithm', 'Token algorithm is not accepted.');

    const metadata = await this.discovery.get();
    const issuer = unverified.iss;
    const config =
      issuer === metadata.v2.issuer && this.#accepts.has(2)
        ? metadata.v2
        : issuer === metadata.v1.issuer && this.#accepts.has(1)
          ? metadata.v1
          : undefined;
    if (!config)
      throw new TokenError(
        'token_bad_issuer',
        'Token was not issued by an issuer of this tenant accepted here.',
      );

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keySet(config.jwks_uri), {
        algorithms: ['RS256'],
        issuer: config.issuer,
        audience: config === metadata.v2 ? this.options.clientId : this.#v1Audiences,
        clockTolerance: this.#tolerance,
        requiredClaims: ['exp', 'iss', 'aud'],
        ...(this.options.now ? { currentDate: this.options.now() } : {}),
      }));
    } catch (error) {
      throw mapJoseError(error);
    }

    // Stricter than jose: Entra issues exactly one audience, so an array (even one naming this API) was minted
    // for someone else too; a token issued in the future is forged or from a broken clock.
    if (typeof payload.aud !== 'string') {
      throw new TokenError('token_bad_audience', 'Token must carry exactly one audience.');
    }
    for (const claim of ['exp', 'nbf', 'iat'] as const) {
      if (payload[claim] !== undefined && !Number.isFinite(payload[claim])) {
        throw new TokenError('token_invalid', `Token claim '${claim}' is not a number.`);
      }
    }
    if (payload.iat !== undefined && payload.iat > this.#nowSec() + this.#tolerance) {
      throw new TokenError('token_not_yet_valid', 'Token was issued in the future.');
    }

    const tenantId = claimString(payload, 'tid');
    if (tenantId?.toLowerCase() !== metadata.tenantGuid) {
      throw new TokenError('token_bad_tenant', 'Token belongs to another tenant.');
    }
    const oid = claimString(payload, 'oid');
    if (!oid) throw new TokenError('token_invalid', 'Token does not identify a user.');
    const version = config === metadata.v2 ? '2.0' : '1.0';
    // The client app the user signed in with: a token minted for a consent-phished app must not drive ARM here.
    const clientAppId = claimString(payload, version === '2.0' ? 'azp' : 'appid');
    const allowed = this.options.allowedClientIds;
    const ownViaProxy = viaProxy && clientAppId?.toLowerCase() === this.options.clientId.toLowerCase();
    if (allowed !== '*' && !ownViaProxy && (!clientAppId || !allowed.includes(clientAppId.toLowerCase()))) {
      throw new TokenError(
        'client_not_allowed',
        'Token was issued to a client application not allowed here.',
        {
          clientAppId,
        },
      );
    }
    const scopes = (claimString(payload, 'scp') ?? '').split(' ').filter(Boolean);
    if (!scopes.includes(this.options.requiredScope)) {
      throw new TokenError('insufficient_scope', `Token lacks the '${this.options.requiredScope}' scope.`);
    }

    // Frozen: one verified user is shared by every request with the same token while it is cached.
    return Object.freeze({
      token,
      oid,
      tenantId,
      upn:
        claimString(payload, 'preferred_username') ??
        claimString(payload, 'upn') ??
        claimString(payload, 'unique_name'),
      name: claimString(payload, 'name'),
      scopes: Object.freeze(scopes),
      version,
      expiresAt: payload.exp as number,
      clientAppId,
    });
  }

  /**
   * Loads the tenant metadata and the v2 key set (the API's tokens are v2 unless its manifest says otherwise;
   * the v1 one when only v1 is accepted) ahead of the first request; the other key set is loaded on first use.
   */
  async warmUp(): Promise<void> {
    const metadata = await this.discovery.get();
    const config = this.#accepts.has(2) ? metadata.v2 : metadata.v1;
    try {
      // reload() shares one download with any verification that needs the keys meanwhile.
      await this.#keySet(config.jwks_uri).reload();
    } catch (error) {
      throw mapJoseError(error);
    }
  }

  #nowSec(): number {
    return Math.floor((this.options.now?.() ?? new Date()).getTime() / 1000);
  }

  #keySet(uri: string): RemoteJwks {
    let keySet = this.#keySets.get(uri);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(uri), {
        timeoutDuration: this.options.timeoutMs,
        cooldownDuration: 30_000,
        // Re-read the key set hourly so a key Entra withdraws in an emergency stops verifying soon.
        cacheMaxAge: 3600_000,
      });
      this.#keySets.set(uri, keySet);
    }
    return keySet;
  }
}
