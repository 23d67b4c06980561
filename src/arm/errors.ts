import { AppError, ArmError, TimeoutError } from '../errors.js';

// Node's socket-level failures: no HTTP answer at all, so ARM is unreachable rather than failing.
const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Translates what an ARM call threw (core-rest-pipeline's RestError, our TimeoutError, an abort) into an
 * ArmError with an actionable message; other AppErrors (from the On-Behalf-Of exchange) pass through.
 */
export function mapArmError(error: unknown, what: string): AppError {
  const isAbort = error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
  if (error instanceof TimeoutError || isAbort) {
    return new ArmError(
      'arm_timeout',
      `Azure Resource Manager did not answer in time to ${what}; retry shortly.`,
      { cause: error },
    );
  }
  if (error instanceof AppError) return error;
  const e = error as { statusCode?: number; code?: string; name?: string };
  const status = e.statusCode;
  // ARM's own error code (e.g. AuthorizationFailed) is documented and safe to show; its message is not needed.
  const armCode = typeof e.code === 'string' && /^[A-Za-z]+$/.test(e.code) ? e.code : undefined;
  const options = { cause: error, ...(armCode ? { armCode } : {}), ...(status ? { status } : {}) };
  const tag = armCode ? ` (${armCode})` : '';
  if (status === 403) {
    return new ArmError(
      'arm_forbidden',
      `You are not authorized to ${what}${tag}. Ask an owner of the subscription for an Azure RBAC role such as Reader.`,
      options,
    );
  }
  if (status === 401) {
    return new ArmError(
      'arm_unauthorized',
      `Azure Resource Manager rejected the delegated token${tag}; sign in again.`,
      options,
    );
  }
  if (status === 404) {
    return new ArmError(
      'arm_not_found',
      `Not found while trying to ${what}${tag}; check the subscription and resource group names.`,
      options,
    );
  }
  if (status === 429) {
    return new ArmError(
      'arm_throttled',
      'Azure Resource Manager is throttling requests even after retries; wait a minute and retry.',
      options,
    );
  }
  if (status === 400) {
    return new ArmError(
      'arm_bad_request',
      `Azure Resource Manager rejected the request to ${what}${tag}.`,
      options,
    );
  }
  if (
    (status === undefined && NETWORK_CODES.has(String(e.code))) ||
    (status !== undefined && status >= 500)
  ) {
    return new ArmError('arm_unavailable', `Azure Resource Manager is unavailable; retry shortly.`, options);
  }
  return new ArmError('arm_failed', `The request to ${what} failed${tag}.`, options);
}
