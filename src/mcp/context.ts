import type { ArmClient } from '../arm/arm-client.js';
import type { VerifiedUser } from '../auth/verifier.js';
import type { Logger } from '../util/log.js';

/**
 * What one request's tools may use, and their only way to the caller: the verified user (the SDK's `authInfo`
 * is not used) and an ARM client acting as that user.
 */
export interface ToolContext {
  user: VerifiedUser;
  /** Runs the (cached) OBO exchange first, so its failures surface before ARM is called. */
  arm: () => Promise<ArmClient>;
  logger: Logger;
  /** The MCP client acting for the user, as telemetry names it (`mcp.client`). */
  client?: string;
  /** Told each tool call's outcome (the request's span sums them up). */
  onToolResult?: (outcome: 'ok' | 'tool_error') => void;
}
