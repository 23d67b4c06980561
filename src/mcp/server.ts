import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { ArmClient } from '../arm/arm-client.js';
import { WarmUpError } from '../errors.js';
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

/** Every tool's name (telemetry names a tools/call of anything else `unknown`). */
export const TOOLS: ReadonlySet<string> = new Set(['get_user_info', ...ARM_TOOLS]);

/** Server name and version announced in `initialize`. */
export const SERVER_INFO = { name: 'azure-obo-mcp', version: '0.1.0' } as const;

// Each McpServer would otherwise build its own Ajv (meta-schemas, formats): the largest cost of a stateless request.
// The SDK uses it only to check elicitation answers, which these tools never ask for, so nothing accumulates in it.
let validator: AjvJsonSchemaValidator | undefined;

/** Builds the per-request MCP server for one verified caller (stateless: nothing outlives the request). */
export function createMcpServer(ctx: ToolContext): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    jsonSchemaValidator: (validator ??= new AjvJsonSchemaValidator()),
    instructions:
      'Read-only access to Azure Resource Manager on behalf of the signed-in user: subscriptions, resource groups and resources.',
  });
  registerGetUserInfo(server, ctx);
  registerGetSubscriptions(server, ctx);
  registerListResourceGroups(server, ctx);
  registerListResources(server, ctx);
  return server;
}

const NOBODY = '00000000-0000-0000-0000-000000000000';
const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

// ARM as far as the warm-up sees it: every list is one empty page, answered in-process.
const EMPTY_PAGES: HttpClient = {
  sendRequest: (request) =>
    Promise.resolve({
      request,
      status: 200,
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      bodyAsText: '{"value":[]}',
    }),
};

/**
 * Serves one synthetic request in-process (no caller, no network) at start-up: the SDK's and the tools' schemas
 * compile on first use, and the ARM SDK's pipeline and paging run their code for the first time, which together
 * cost a fresh instance's first real request about a round trip.
 */
export async function warmUpMcpServer(httpClient: HttpClient = EMPTY_PAGES): Promise<void> {
  const arm = new ArmClient(
    () => Promise.resolve({ token: 'warm-up', expiresOnTimestamp: Date.now() + 3_600_000 }),
    { endpoint: 'https://management.azure.com', timeoutMs: 10_000, httpClient },
  );
  const server = createMcpServer({
    user: {
      token: '',
      oid: NOBODY,
      tenantId: NOBODY,
      upn: undefined,
      name: undefined,
      scopes: [],
      version: '2.0',
      expiresAt: 0,
      clientAppId: undefined,
    },
    arm: () => Promise.resolve(arm),
    logger: SILENT,
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    const call = (id: number, name: string, args: Record<string, string> = {}) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args },
    });
    const body = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      call(2, 'get_user_info'),
      call(3, 'get_subscriptions'),
      call(4, 'list_resource_groups', { subscriptionId: NOBODY }),
      call(5, 'list_resources', { subscriptionId: NOBODY }),
    ];
    const request = new Request('http://localhost/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(body),
    });
    const reply: unknown = await (await transport.handleRequest(request, { parsedBody: body })).json();
    const answers = (Array.isArray(reply) ? reply : [reply]) as {
      id?: number;
      error?: unknown;
      result?: { isError?: boolean };
    }[];
    // A warm-up that quietly failed would leave the first caller to pay the cost, and hide an SDK change.
    const failed = body.filter(({ id }) => {
      const answer = answers.find((a) => a.id === id);
      return !answer || answer.error !== undefined || answer.result?.isError === true;
    });
    if (failed.length > 0) {
      const names = failed.map((r) => ('params' in r ? r.params.name : r.method));
      throw new WarmUpError(`MCP server warm-up: ${names.join(', ')} failed.`);
    }
  } finally {
    await server.close();
  }
}
