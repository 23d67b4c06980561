import { AppError, OboError, TimeoutError } from '../errors.js';
import type { OboErrorCode } from '../errors.js';
import type { FailedAnswer } from './failed-answers.js';

/**
 * The longest an Entra 429 holds back every exchange (MSAL's own cap is an hour): the pause is per application,
 * so one throttled answer must not stop On-Behalf-Of for every user for longer than this.
 */
export const MAX_RETRY_AFTER_SEC = 300;
// AADSTS65001: the user or an administrator has not consented to the app's permission.
const AADSTS_CONSENT_REQUIRED = 65001;
// invalid_grant answers a new sign-in fixes: a revoked or expired session (50132, 50133, 50173), an assertion
// outside its validity (500133), expired refresh/flow tokens (70043, 700082, 50089). Entra uses the same OAuth code
// for server-side faults too (e.g. 50013, an assertion for another audience), where asking the user to sign in
// again would only loop.
const SESSION_ENDED = new Set([50089, 50132, 50133, 50173, 70043, 500133, 700082]);
// MSAL's own codes for a token endpoint or metadata it could not reach (matched as substrings, as MSAL varies them).
const MSAL_NETWORK_CODES = [
  'network_error',
  'endpoints_resolution_error',
  'openid_config_error',
  'authority_network_error',
];

// Entra's OAuth error codes (RFC 6749 §5.2 and its own) that need no more than a fixed, actionable message.
const BY_OAUTH_CODE = new Map<string, [OboErrorCode, string]>(
  Object.entries({
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
  }),
);

/** Entra's claims challenge when it is a JSON object (anything else cannot be satisfied by a client). */
function claimsJson(claims: string | undefined): string | undefined {
  if (!claims) return undefined;
  try {
    const parsed: unknown = JSON.parse(claims);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? claims : undefined;
  } catch {
    return undefined;
  }
}

function aadstsOf(message: string | undefined): number | undefined {
  const match = /AADSTS(\d+)/.exec(message ?? '');
  return match?.[1] ? Number(match[1]) : undefined;
}

/**
 * Maps an MSAL failure to an OboError with an actionable, secret-free message. `answer` is what the token
 * endpoint answered (status, claims, Retry-After), which MSAL's plain ServerError does not keep.
 */
export function mapMsalError(error: unknown, answer?: FailedAnswer): AppError {
  if (error instanceof TimeoutError) {
    return new OboError(
      'obo_unavailable',
      'Entra ID did not answer the On-Behalf-Of exchange in time; retry shortly.',
      { cause: error },
    );
  }
  if (error instanceof AppError) return error;
  const e = error as {
    errorCode?: string;
    subError?: string;
    errorMessage?: string;
    errorNo?: string;
    claims?: unknown;
  };
  const aadsts = e.errorNo ? Number(e.errorNo) : aadstsOf(e.errorMessage);
  const known = { cause: error, ...(aadsts ? { aadsts } : {}) };
  const tag = aadsts ? ` (AADSTS${aadsts})` : '';
  // `Retry-After: 0` is no window (MSAL would hold back its default minute; the app is rebuilt instead).
  if (answer?.status === 429 && answer.retryAfterSec !== undefined && answer.retryAfterSec > 0) {
    const retryAfterSec = Math.min(answer.retryAfterSec, MAX_RETRY_AFTER_SEC);
    return new OboError(
      'obo_throttled',
      `Entra ID is throttling this server's sign-in exchanges; retry in ${retryAfterSec} seconds.`,
      { ...known, retryAfterSec },
    );
  }
  // InteractionRequiredAuthError keeps `claims`; a plain ServerError (e.g. invalid_grant) does not.
  const claims = claimsJson(typeof e.claims === 'string' && e.claims ? e.claims : answer?.claims);
  if (e.subError === 'consent_required' || aadsts === AADSTS_CONSENT_REQUIRED) {
    return new OboError(
      'consent_required',
      `Admin consent is missing for Azure Service Management${tag}. An administrator must grant consent for the app's 'user_impersonation' permission on Azure Service Management.`,
      known,
    );
  }
  if (claims && (e.errorCode === 'interaction_required' || e.errorCode === 'invalid_grant')) {
    return new OboError(
      e.errorCode,
      `Entra ID requires a stronger sign-in (MFA or Conditional Access) for Azure Resource Manager${tag}; sign in again with the claims of the challenge.`,
      { ...known, claims },
    );
  }
  if (e.errorCode === 'invalid_grant' && !(aadsts !== undefined && SESSION_ENDED.has(aadsts))) {
    return new OboError(
      'obo_failed',
      `Entra ID refused the On-Behalf-Of exchange for this token${tag}; signing in again will not help, an operator should check the app registration.`,
      known,
    );
  }
  const entry = e.errorCode ? BY_OAUTH_CODE.get(e.errorCode) : undefined;
  if (entry) return new OboError(entry[0], `${entry[1]}${tag}`, known);
  const isAbort = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  if (isAbort || (e.errorCode && MSAL_NETWORK_CODES.some((n) => e.errorCode?.includes(n)))) {
    return new OboError(
      'obo_unavailable',
      'Entra ID could not be reached for the On-Behalf-Of exchange; retry shortly.',
      known,
    );
  }
  return new OboError('obo_failed', `The On-Behalf-Of exchange failed${tag}.`, known);
}
