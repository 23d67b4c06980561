import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { structuredResult } from './result.js';
import { traced } from './traced.js';

const output = {
  upn: z.string().nullable().describe('User principal name or preferred_username'),
  name: z.string().nullable(),
  oid: z.string().describe('Object id of the user in the tenant'),
  tenantId: z.string(),
  scopes: z.array(z.string()).describe('Delegated scopes of the token presented to this server'),
  tokenVersion: z.enum(['1.0', '2.0']),
};

/** `get_user_info`: who the caller is, from the verified token's claims (no network). */
export function registerGetUserInfo(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'get_user_info',
    {
      title: 'Signed-in user',
      description:
        'Returns the signed-in user (UPN, name, object id, tenant, scopes, token version) from the verified access token.',
      inputSchema: {},
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      traced(ctx, 'get_user_info', () => {
        const { user } = ctx;
        const info = {
          upn: user.upn ?? null,
          name: user.name ?? null,
          oid: user.oid,
          tenantId: user.tenantId,
          scopes: user.scopes,
          tokenVersion: user.version,
        };
        return structuredResult(
          info,
          `Signed in as ${info.upn ?? '(unknown)'}${info.name ? ` (${info.name})` : ''} in tenant ${info.tenantId}, token version ${info.tokenVersion}.`,
        );
      }),
  );
}
