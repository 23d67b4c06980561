/**
 * Error families of the flow, modelled on `jose`: each family has a stable `code` union, and callers tell
 * families apart with `instanceof`. The two mapping points (`src/auth/challenge.ts` for HTTP challenges,
 * `src/mcp/error-mapping.ts` for tool results) rely on these; messages are for humans and never carry a
 * token, secret or assertion.
 */

export type ConfigErrorCode = 'config_invalid';

/** `insufficient_scope` maps to 403, the rest to 401. */
export type TokenErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_bad_signature'
  | 'token_unknown_key'
  | 'token_bad_algorithm'
  | 'token_bad_issuer'
  | 'token_bad_audience'
  | 'token_bad_tenant'
  | 'token_invalid'
  | 'client_not_allowed'
  | 'insufficient_scope';

export type MetadataErrorCode = 'metadata_unavailable';

export type OboErrorCode =
  | 'consent_required'
  | 'interaction_required'
  | 'invalid_grant'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'invalid_scope'
  | 'obo_unavailable'
  | 'obo_throttled'
  | 'obo_failed';

/** Failures of the app's own client credential (Key Vault, managed identity). */
export type CredentialErrorCode =
  | 'secret_not_found'
  | 'keyvault_forbidden'
  | 'keyvault_unavailable'
  | 'identity_unavailable'
  | 'credential_failed';

export type ArmErrorCode =
  | 'arm_forbidden'
  | 'arm_unauthorized'
  | 'arm_not_found'
  | 'arm_throttled'
  | 'arm_timeout'
  | 'arm_unavailable'
  | 'arm_bad_request'
  | 'arm_failed';

export type TimeoutErrorCode = 'timeout';

export type WarmUpErrorCode = 'warmup_failed';

/**
 * What the OAuth proxy answers its MCP clients with: the OAuth error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7591
 * §3.2.2 and RFC 8707 §2.
 */
export type OAuthProxyErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'server_error'
  | 'temporarily_unavailable';

export type AppErrorCode =
  | ConfigErrorCode
  | TokenErrorCode
  | MetadataErrorCode
  | OboErrorCode
  | CredentialErrorCode
  | ArmErrorCode
  | TimeoutErrorCode
  | WarmUpErrorCode
  | OAuthProxyErrorCode;

export class AppError extends Error {
  readonly code: AppErrorCode;

  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A setting is missing or inconsistent; raised once at start. */
export class ConfigError extends AppError {
  declare readonly code: ConfigErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super('config_invalid', message, options);
  }
}

/** The caller's bearer token was missing or not acceptable. */
export class TokenError extends AppError {
  declare readonly code: TokenErrorCode;
  /** For `client_not_allowed`: the token's client application id (an app id is not secret), when it had one. */
  readonly clientAppId: string | undefined;
  constructor(
    code: TokenErrorCode,
    message: string,
    options?: { cause?: unknown; clientAppId?: string | undefined },
  ) {
    super(code, message, options);
    this.clientAppId = options?.clientAppId;
  }
}

/** Entra ID discovery/JWKS could not be reached: not the caller's fault, answered with 503. */
export class MetadataUnavailableError extends AppError {
  declare readonly code: MetadataErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super('metadata_unavailable', message, options);
  }
}

export class OboError extends AppError {
  declare readonly code: OboErrorCode;
  /** The AADSTS number Entra returned, when there was one (safe to show). */
  readonly aadsts: number | undefined;
  /** Entra's claims challenge (JSON text), for a step-up the client must perform. */
  readonly claims: string | undefined;
  /** For `obo_throttled`: seconds until Entra accepts exchanges again. */
  readonly retryAfterSec: number | undefined;
  constructor(
    code: OboErrorCode,
    message: string,
    options?: { cause?: unknown; aadsts?: number; claims?: string; retryAfterSec?: number },
  ) {
    super(code, message, options);
    this.aadsts = options?.aadsts;
    this.claims = options?.claims;
    this.retryAfterSec = options?.retryAfterSec;
  }

  /** True when the user must sign in again (or step up): answered as an HTTP 401, not as a tool error. */
  get needsReauthentication(): boolean {
    return (
      this.code === 'invalid_grant' || (this.code === 'interaction_required' && this.claims !== undefined)
    );
  }
}

export class CredentialError extends AppError {
  declare readonly code: CredentialErrorCode;
  constructor(code: CredentialErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** An Azure Resource Manager call failed after the SDK pipeline's retries. */
export class ArmError extends AppError {
  declare readonly code: ArmErrorCode;
  /** ARM's own error code (e.g. `AuthorizationFailed`), safe to show. */
  readonly armCode: string | undefined;
  readonly status: number | undefined;
  constructor(
    code: ArmErrorCode,
    message: string,
    options?: { cause?: unknown; armCode?: string; status?: number },
  ) {
    super(code, message, options);
    this.armCode = options?.armCode;
    this.status = options?.status;
  }
}

/**
 * An upstream call exceeded its time budget (raised by `withTimeout` only). Each upstream client turns it into
 * its own family's code (`arm_timeout`, `obo_unavailable`, `keyvault_unavailable`…) next to itself.
 */
export class TimeoutError extends AppError {
  declare readonly code: TimeoutErrorCode;
  constructor(what: string, ms: number, options?: { cause?: unknown }) {
    super('timeout', `${what} did not answer within ${ms} ms`, options);
  }
}

/**
 * An in-process start-up warm-up failed (it runs on synthetic inputs, so its message carries no caller data); the
 * prefetch logs it and the first real request simply pays the first-use cost.
 */
export class WarmUpError extends AppError {
  declare readonly code: WarmUpErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super('warmup_failed', message, options);
  }
}

/**
 * A request to the OAuth proxy's endpoints (register, authorize, consent, callback, token) that fails; `code` is
 * the OAuth error the client gets, the message its `error_description` (fixed texts, never a token or secret).
 * `src/oauth/responses.ts` is the one place it becomes an HTTP answer (JSON, an error page or a redirect).
 */
export class OAuthProxyError extends AppError {
  declare readonly code: OAuthProxyErrorCode;
  /** HTTP status of a JSON answer (token and registration endpoints). */
  readonly status: number;
  /** Seconds a `temporarily_unavailable` client should wait. */
  readonly retryAfterSec: number | undefined;
  constructor(
    code: OAuthProxyErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; retryAfterSec?: number },
  ) {
    super(code, message, options);
    this.status =
      options?.status ??
      (code === 'invalid_client'
        ? 401
        : code === 'server_error'
          ? 500
          : code === 'temporarily_unavailable'
            ? 503
            : 400);
    this.retryAfterSec = options?.retryAfterSec;
  }
}
