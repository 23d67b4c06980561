import { createHash } from 'node:crypto';

/**
 * An OAuth proxy client as logs and telemetry name it (`mcp.client`): a metadata document by its URL (without
 * query or fragment), a registration by a short hash of its id (the id is a long signed record of it).
 */
export function clientTelemetryLabel(clientId: string): string {
  if (clientId.startsWith('https://') && URL.canParse(clientId)) {
    const url = new URL(clientId);
    return `${url.origin}${url.pathname}`;
  }
  return `registered:${createHash('sha256').update(clientId).digest('base64url').slice(0, 12)}`;
}
