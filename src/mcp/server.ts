import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from './context.js';
import { registerGetSubscriptions } from './tools/get-subscriptions.js';
import { registerGetUserInfo } from './tools/get-user-info.js';
import { registerListResourceGroups } from './tools/list-resource-groups.js';
import { registerListResources } from './tools/list-resources.js';

/**
 * Tools that call Azure Resource Manager as the user. A `tools/call` of one of them gets its On-Behalf-Of
 * exchange before the MCP answer is built, so a re-authentication need can still become an HTTP 401.
 */
export const ARM_TOOLS: ReadonlySet<string> = new Set([
  'get_subscriptions',
  'list_resource_groups',
  'list_resources',
]);

/** Server name and version announced in `initialize`. */
export const SERVER_INFO = { name: 'azure-obo-mcp', version: '0.1.0' } as const;

/** Builds the per-request MCP server for one verified caller (stateless: nothing outlives the request). */
export function createMcpServer(ctx: ToolContext): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions:
      'Read-only access to Azure Resource Manager on behalf of the signed-in user: subscriptions, resource groups and resources.',
  });
  registerGetUserInfo(server, ctx);
  registerGetSubscriptions(server, ctx);
  registerListResourceGroups(server, ctx);
  registerListResources(server, ctx);
  return server;
}
