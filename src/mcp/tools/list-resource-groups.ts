import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { toolError } from '../error-mapping.js';
import { structuredResult } from './result.js';
import { traced } from './traced.js';
import { subscriptionId } from './schemas.js';

const output = {
  subscriptionId: z.string(),
  count: z.number().int(),
  truncated: z.boolean(),
  resourceGroups: z.array(
    z.object({
      name: z.string(),
      location: z.string(),
      provisioningState: z.string().optional(),
      id: z.string(),
    }),
  ),
};

export function registerListResourceGroups(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'list_resource_groups',
    {
      title: 'Resource groups',
      description: 'Lists the resource groups of an Azure subscription the signed-in user can access.',
      inputSchema: { subscriptionId },
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (args) =>
      traced(ctx, 'list_resource_groups', async () => {
        try {
          const { items, truncated } = await (await ctx.arm()).listResourceGroups(args.subscriptionId);
          return structuredResult(
            { subscriptionId: args.subscriptionId, count: items.length, truncated, resourceGroups: items },
            `Found ${items.length} resource group(s) in ${args.subscriptionId}${truncated ? ' (truncated)' : ''}.`,
          );
        } catch (error) {
          return toolError(error, 'list_resource_groups', ctx.logger);
        }
      }),
  );
}
