import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { ArmClient } from '../arm/arm-client.js';
import type { VerifiedUser } from '../auth/verifier.js';
import type { Logger } from '../util/log.js';

/** What one request's tools may use: the verified caller and an ARM client acting as that caller. */
export interface ToolContext {
  user: VerifiedUser;
  /** Performs the OBO exchange (cached) and returns an ARM client for the user. */
  arm: () => Promise<ArmClient>;
  logger: Logger;
}

/** Builds the MCP SDK's AuthInfo from a verified user (the SDK hands it to handlers). */
export function toAuthInfo(user: VerifiedUser): AuthInfo {
  return {
    token: user.token,
    clientId: user.clientAppId ?? 'unknown',
    scopes: user.scopes,
    expiresAt: user.expiresAt,
    extra: { oid: user.oid, tenantId: user.tenantId },
  };
}
