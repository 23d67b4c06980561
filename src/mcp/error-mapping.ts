import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../errors.js';
import { fingerprint, redact } from '../util/log.js';
import type { Logger } from '../util/log.js';

/**
 * The one place a failure becomes an MCP tool result: `isError: true` with an actionable message and the
 * stable error code, never a token, secret or stack. Unexpected errors get a generic message and a log
 * line with an incident id the caller can quote.
 */
export function toolError(error: unknown, tool: string, logger: Logger): CallToolResult {
  if (error instanceof AppError) {
    const cause = error.cause instanceof Error ? `; cause: ${redact(error.cause.message)}` : '';
    logger.warn(`tool ${tool} failed: ${error.code}${cause}`);
    return {
      isError: true,
      content: [{ type: 'text', text: `${error.message} [${error.code}]` }],
    };
  }
  const incident = fingerprint(`${Date.now()}:${Math.random()}`);
  const message = error instanceof Error ? redact(error.message) : 'non-error thrown';
  logger.error(`tool ${tool} failed unexpectedly (incident ${incident}): ${message}`);
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `The tool failed unexpectedly; retry, and report incident ${incident} if it persists. [internal_error]`,
      },
    ],
  };
}
