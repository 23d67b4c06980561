import assert from 'node:assert/strict';
// The per-request MCP server of src/mcp/server.ts behind an in-memory transport, with a fake ARM client: what
// the tools answer, without HTTP, tokens or Azure.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ArmClient } from '../../src/arm/arm-client.js';
import type { VerifiedUser } from '../../src/auth/verifier.js';
import type { ToolContext } from '../../src/mcp/context.js';
import { createMcpServer } from '../../src/mcp/server.js';

export const USER: VerifiedUser = {
  token: 'header.payload.signature',
  oid: '0b1d0000-0000-4000-8000-000000000001',
  tenantId: '11111111-2222-3333-4444-555555555555',
  upn: 'alice@contoso.test',
  name: 'Alice',
  scopes: ['execute'],
  version: '2.0',
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  clientAppId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
};

/** The ARM methods the tools use; each test supplies the ones it needs (a missing one fails the tool). */
export type FakeArm = Partial<Pick<ArmClient, 'listSubscriptions' | 'listResourceGroups' | 'listResources'>>;

export interface ToolHarness {
  client: Client;
  /** Every call of `ctx.arm()` (the OBO step), and every line the tools logged. */
  armCalls: () => number;
  logs: string[];
  call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>;
  close: () => Promise<void>;
}

/** Connects an MCP client to a fresh server for `user`; `arm` answers ARM calls, or is the OBO failure. */
export async function toolHarness(
  arm: FakeArm | Error = {},
  user: VerifiedUser = USER,
): Promise<ToolHarness> {
  let armCalls = 0;
  const logs: string[] = [];
  const ctx: ToolContext = {
    user,
    arm: () => {
      armCalls++;
      return arm instanceof Error ? Promise.reject(arm) : Promise.resolve(arm as ArmClient);
    },
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  };
  const server = createMcpServer(ctx);
  const client = new Client({ name: 'azure-obo-mcp-tests', version: '1.0.0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  // Listing first makes the client check structuredContent against each tool's output schema.
  await client.listTools();
  return {
    client,
    armCalls: () => armCalls,
    logs,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** The text of a tool result's first text item. */
export function textOf(result: CallToolResult): string {
  const item = result.content.find((c) => c.type === 'text');
  return item?.type === 'text' ? item.text : '';
}

/**
 * A successful result's two text blocks: the first parsed as JSON (it must equal `structuredContent`, as a client
 * written for the Python demo reads it), and the one-line summary after it.
 */
export function textBlocks(result: CallToolResult): { json: unknown; summary: string } {
  const texts = result.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
  assert.equal(texts.length, 2, 'the JSON and a summary');
  const json: unknown = JSON.parse(texts[0]!);
  assert.deepEqual(json, result.structuredContent, 'the first text block is the structured content');
  return { json, summary: texts[1]! };
}

/** Harnesses made by `harness`, all closed by `closeAll` (for an `after` hook). */
export function harnessPool(user: VerifiedUser = USER) {
  const open: ToolHarness[] = [];
  return {
    harness: async (arm: FakeArm | Error, caller: VerifiedUser = user): Promise<ToolHarness> => {
      const h = await toolHarness(arm, caller);
      open.push(h);
      return h;
    },
    closeAll: () => Promise.all(open.map((h) => h.close())),
  };
}
