import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  EncryptJWT,
  SignJWT,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtDecrypt,
  jwtVerify,
} from 'jose';
import type { JWTPayload } from 'jose';

/**
 * What the proxy hands out, each sealed (JWE `dir` + `A256GCM` under the key itself) and told apart by its
 * protected `typ` header, so one kind can never be presented as another.
 */
export type SealedType = 'access-token' | 'refresh-token' | 'code' | 'state' | 'consent-form';
/** What the proxy signs (JWS HS256 under a key derived for signing): readable, but not forgeable. */
export type SignedType = 'client' | 'consent';

const TYP_PREFIX = 'azure-obo-mcp-';

export type Opened<T> = { ok: true; claims: T & JWTPayload } | { ok: false; reason: 'expired' | 'invalid' };

interface KeyEntry {
  kid: string;
  encryption: Uint8Array;
  signing: Uint8Array;
}

function kidOf(key: Uint8Array): string {
  return createHash('sha256').update('azure-obo-mcp key id').update(key).digest('base64url').slice(0, 12);
}

// One 32-byte secret per purpose, so the AES key never doubles as an HMAC key.
function derive(key: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), `azure-obo-mcp ${purpose}`, 32));
}

/**
 * The proxy's keys (MCP_OAUTH_PROXY_KEY): the first seals and signs, every one opens and verifies, so a key can be
 * rotated in by putting it first and retired by removing it once what it sealed has expired.
 */
export class ProxyKeyRing {
  readonly #keys: KeyEntry[];
  readonly #now: () => number;

  constructor(keys: readonly Uint8Array[], now: () => number = Date.now) {
    if (keys.length === 0) throw new RangeError('at least one key is needed');
    this.#keys = keys.map((key) => ({
      kid: kidOf(key),
      encryption: key,
      signing: derive(key, 'signing'),
    }));
    this.#now = now;
  }

  #nowSec(): number {
    return Math.floor(this.#now() / 1000);
  }

  #byKid(kid: unknown): KeyEntry | undefined {
    return this.#keys.find((k) => k.kid === kid);
  }

  /** True when `token` (a compact JWE or JWS) names a key this ring does not hold: newer than the ring, or retired. */
  lacksKeyOf(token: string): boolean {
    try {
      const { kid } = decodeProtectedHeader(token);
      return typeof kid === 'string' && !this.#byKid(kid);
    } catch {
      return false;
    }
  }

  /** Seals `claims` as `type`, valid until `expiresAt` (epoch seconds). */
  seal(type: SealedType, claims: JWTPayload, expiresAt: number): Promise<string> {
    const [current] = this.#keys as [KeyEntry];
    return new EncryptJWT(claims)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid, typ: TYP_PREFIX + type })
      .setIssuedAt(this.#nowSec())
      .setExpirationTime(expiresAt)
      .encrypt(current.encryption);
  }

  /** Opens what `seal` made of `type`, unexpired, under any key of the ring. */
  async open<T>(type: SealedType, token: string): Promise<Opened<T>> {
    try {
      const { payload } = await jwtDecrypt(
        token,
        (header) => {
          const entry = this.#byKid(header.kid);
          if (!entry) throw new joseErrors.JWEDecryptionFailed();
          return entry.encryption;
        },
        {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          typ: TYP_PREFIX + type,
          requiredClaims: ['exp', 'iat'],
          currentDate: new Date(this.#now()),
        },
      );
      return { ok: true, claims: payload as T & JWTPayload };
    } catch (error) {
      return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  /** Signs `claims` as `type`; without `expiresAt` the result never expires (a registration). */
  sign(type: SignedType, claims: JWTPayload, expiresAt?: number): Promise<string> {
    const [current] = this.#keys as [KeyEntry];
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: current.kid, typ: TYP_PREFIX + type })
      .setIssuedAt(this.#nowSec());
    if (expiresAt !== undefined) jwt.setExpirationTime(expiresAt);
    return jwt.sign(current.signing);
  }

  async verify<T>(type: SignedType, token: string): Promise<Opened<T>> {
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const entry = this.#byKid(header.kid);
          if (!entry) throw new joseErrors.JWSSignatureVerificationFailed();
          return entry.signing;
        },
        {
          algorithms: ['HS256'],
          typ: TYP_PREFIX + type,
          requiredClaims: ['iat'],
          currentDate: new Date(this.#now()),
        },
      );
      return { ok: true, claims: payload as T & JWTPayload };
    } catch (error) {
      return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  /** An HMAC of `data` for `purpose` under the current key (CSRF tokens), base64url. */
  mac(purpose: string, data: string): string {
    const [current] = this.#keys as [KeyEntry];
    return createHmac('sha256', current.signing).update(`${purpose}\n${data}`).digest('base64url');
  }

  /** Checks a `mac` made under any key of the ring, in constant time. */
  checkMac(purpose: string, data: string, mac: string): boolean {
    const given = Buffer.from(mac, 'utf8');
    return this.#keys.some((k) => {
      const expected = Buffer.from(
        createHmac('sha256', k.signing).update(`${purpose}\n${data}`).digest('base64url'),
        'utf8',
      );
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

/** SHA-256 of `value`, base64url: binds a secret or a long value by its hash. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
