import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { toolError } from '../error-mapping.js';
import { structuredResult } from './result.js';
import { traced } from './traced.js';
import { resourceGroupName, subscriptionId } from './schemas.js';

const output = {
  subscriptionId: z.string(),
  resourceGroup: z.string().optional(),
  count: z.number().int(),
  truncated: z.boolean(),
  resources: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      location: z.string().optional(),
      resourceGroup: z.string().optional(),
      id: z.string(),
    }),
  ),
};

/** `list_resources`: the resources of a subscription, or of one resource group in it. */
export function registerListResources(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'list_resources',
    {
      title: 'Resources',
      description:
        'Lists the resources of an Azure subscription, or of one resource group when resourceGroup is given, that the signed-in user can access.',
      inputSchema: { subscriptionId, resourceGroup: resourceGroupName.optional() },
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (args) =>
      traced(ctx, 'list_resources', async () => {
        try {
          const { items, truncated } = await (
            await ctx.arm()
          ).listResources(args.subscriptionId, args.resourceGroup);
          const scope = args.resourceGroup
            ? `resource group ${args.resourceGroup}`
            : `subscription ${args.subscriptionId}`;
          return structuredResult(
            {
              subscriptionId: args.subscriptionId,
              ...(args.resourceGroup ? { resourceGroup: args.resourceGroup } : {}),
              count: items.length,
              truncated,
              resources: items.map((r) => ({
                name: r.name,
                type: r.type,
                id: r.id,
                ...(r.location ? { location: r.location } : {}),
                ...(r.resourceGroup ? { resourceGroup: r.resourceGroup } : {}),
              })),
            },
            `Found ${items.length} resource(s) in ${scope}${truncated ? ' (truncated)' : ''}.`,
          );
        } catch (error) {
          return toolError(error, 'list_resources', ctx.logger);
        }
      }),
  );
}
