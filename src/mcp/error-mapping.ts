import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError, ArmError, CredentialError, OboError, TimeoutError } from '../errors.js';
import type { CredentialErrorCode, OboErrorCode } from '../errors.js';
import { ATTR } from '../telemetry/names.js';
import { activeSpan } from '../telemetry/telemetry.js';
import { fingerprint, redact } from '../util/log.js';
import type { Logger } from '../util/log.js';

// OBO failures whose message is for the caller: their own sign-in or consent, or Entra's availability.
const CALLER_OBO_CODES = new Set<OboErrorCode>([
  'consent_required',
  'interaction_required',
  'invalid_grant',
  'obo_unavailable',
  'obo_throttled',
]);
// Failures of the server's own credential services that usually pass by themselves.
const TRANSIENT_CREDENTIAL_CODES = new Set<CredentialErrorCode>([
  'keyvault_unavailable',
  'identity_unavailable',
]);

/** True when the error's message is meant for the caller; anything else may name internals (vault, secret). */
function isCallerFacing(error: AppError): boolean {
  return error instanceof ArmError || (error instanceof OboError && CALLER_OBO_CODES.has(error.code));
}

function isTransient(error: AppError): boolean {
  return (
    error instanceof TimeoutError ||
    (error instanceof CredentialError && TRANSIENT_CREDENTIAL_CODES.has(error.code))
  );
}

function result(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/**
 * The one place a failure becomes an MCP tool result: `isError: true` with an actionable message and the
 * stable error code, never a token, secret or stack. Failures of the server's own configuration or
 * credential (Key Vault URL, secret name, app credential) and unexpected errors reach the caller as a
 * generic message with an incident id; the log keeps the details under that id.
 */
export function toolError(error: unknown, tool: string, logger: Logger): CallToolResult {
  const incident = fingerprint(`${Date.now()}:${Math.random()}`);
  // The tool call's span (mcp.tool_call) carries the code; the text stays the caller's.
  activeSpan().setAttribute(ATTR.errorType, error instanceof AppError ? error.code : 'internal_error');
  if (error instanceof AppError) {
    const cause = error.cause instanceof Error ? `; cause: ${redact(error.cause.message)}` : '';
    logger.warn(
      `tool ${tool} failed (incident ${incident}): ${error.code}: ${redact(error.message)}${cause}`,
    );
    if (isCallerFacing(error)) return result(`${error.message} [${error.code}]`);
    const text = isTransient(error)
      ? `The server could not reach one of its own services; retry shortly, and report incident ${incident} to the operator if it persists.`
      : `The server is not configured correctly to act on your behalf; this is not caused by your sign-in. Report incident ${incident} to the operator.`;
    return result(`${text} [${error.code}]`);
  }
  const message = error instanceof Error ? redact(error.message) : 'non-error thrown';
  logger.error(`tool ${tool} failed unexpectedly (incident ${incident}): ${message}`);
  return result(
    `The tool failed unexpectedly; retry, and report incident ${incident} if it persists. [internal_error]`,
  );
}
