import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createMcpServer } from '../src/mcp/server.js';
const user = { token: 'x', oid: 'o', tenantId: 't', upn: 'u', name: 'n', scopes: ['execute'], version: '2.0', expiresAt: 9e9, clientAppId: 'c' } as any;
const arm = async () => ({ listSubscriptions: async () => ({ items: [{ id: '/subscriptions/1', subscriptionId: '1', displayName: 'd', state: 'Enabled', tenantId: 't' }], truncated: false }) }) as any;
const logger = { info() {}, warn() {}, error() {} };
async function once(): Promise<number> {
  const t = performance.now();
  const server = createMcpServer({ user, arm, logger });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  const body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_subscriptions', arguments: {} } };
  const req = new Request('http://x/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify(body) });
  const res = await transport.handleRequest(req, { parsedBody: body });
  await res.text();
  await server.close();
  return performance.now() - t;
}
console.log((await once()).toFixed(1), (await once()).toFixed(1), (await once()).toFixed(1));
