import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { toolError } from '../error-mapping.js';
import { structuredResult } from './result.js';
import { traced } from './traced.js';

const output = {
  count: z.number().int(),
  truncated: z.boolean().describe('True when the list was cut at the server limit'),
  subscriptions: z.array(
    z.object({
      id: z.string().describe('ARM resource id, /subscriptions/<guid>'),
      subscriptionId: z.string(),
      displayName: z.string(),
      state: z.string(),
      tenantId: z.string(),
    }),
  ),
};

/** `get_subscriptions`: the caller's Azure subscriptions, via an On-Behalf-Of ARM token. */
export function registerGetSubscriptions(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'get_subscriptions',
    {
      title: 'Azure subscriptions',
      description:
        'Lists the Azure subscriptions the signed-in user can access (all pages), acting on behalf of the user.',
      inputSchema: {},
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    () =>
      traced(ctx, 'get_subscriptions', async () => {
        try {
          const { items, truncated } = await (await ctx.arm()).listSubscriptions();
          return structuredResult(
            { count: items.length, truncated, subscriptions: items },
            `Found ${items.length} subscription(s)${truncated ? ' (truncated)' : ''}.`,
          );
        } catch (error) {
          return toolError(error, 'get_subscriptions', ctx.logger);
        }
      }),
  );
}
