import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { WarmUpError } from '../../src/errors.js';
import { ARM_TOOLS, SERVER_INFO, warmUpMcpServer } from '../../src/mcp/server.js';
import { toolHarness } from '../helpers/tool-server.js';
import type { ToolHarness } from '../helpers/tool-server.js';

const TOOL_NAMES = ['get_user_info', 'get_subscriptions', 'list_resource_groups', 'list_resources'];
let h: ToolHarness;
let tools: Tool[];

before(async () => {
  h = await toolHarness();
  ({ tools } = await h.client.listTools());
});
after(() => h.close());

describe('createMcpServer', () => {
  it('announces its name and version', () => {
    assert.deepEqual(h.client.getServerVersion(), SERVER_INFO);
    assert.deepEqual(SERVER_INFO, { name: 'azure-obo-mcp', version: '0.1.0' });
  });

  it('announces the tools capability', () => {
    assert.ok(h.client.getServerCapabilities()?.tools);
  });

  it('tells clients it is read-only access to ARM as the user', () => {
    assert.match(h.client.getInstructions() ?? '', /Read-only access to Azure Resource Manager/);
  });

  it('registers exactly the four tools', () => {
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
  });

  for (const name of TOOL_NAMES) {
    it(`${name} is read-only, with a title, a description and an output schema`, () => {
      const tool = tools.find((t) => t.name === name);
      assert.ok(tool, 'registered');
      assert.equal(tool.annotations?.readOnlyHint, true);
      assert.ok(tool.title);
      assert.ok(tool.description);
      assert.equal(tool.outputSchema?.type, 'object');
    });
  }

  it('does not touch ARM (nor the OBO exchange) to list or initialize', () => {
    assert.equal(h.armCalls(), 0);
  });
});

describe('ARM_TOOLS', () => {
  it('are exactly the tools that reach out to ARM (openWorldHint)', () => {
    const openWorld = tools.filter((t) => t.annotations?.openWorldHint).map((t) => t.name);
    assert.deepEqual([...ARM_TOOLS].sort(), openWorld.sort());
  });

  it('leave out get_user_info, which answers from the verified token', () => {
    assert.equal(ARM_TOOLS.has('get_user_info'), false);
  });
});

describe('warmUpMcpServer', () => {
  /** An in-process ARM answering every request with `status` and an empty page, recording the URLs. */
  function arm(status: number) {
    const urls: string[] = [];
    const client: HttpClient = {
      sendRequest: (request) => {
        urls.push(`${request.method} ${new URL(request.url).pathname}`);
        return Promise.resolve({
          request,
          status,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: status === 200 ? '{"value":[]}' : '{"error":{"code":"BadRequest","message":"no"}}',
        });
      },
    };
    return { client, urls };
  }

  it('runs the tools through the ARM SDK, answered in-process', async () => {
    const fake = arm(200);
    await warmUpMcpServer(fake.client);
    assert.deepEqual(fake.urls, [
      'GET /subscriptions',
      'GET /subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups',
      'GET /subscriptions/00000000-0000-0000-0000-000000000000/resources',
    ]);
  });

  it('fails loudly when a tool fails, naming it', async () => {
    await assert.rejects(
      warmUpMcpServer(arm(400).client),
      (e: unknown) =>
        e instanceof WarmUpError &&
        e.message === 'MCP server warm-up: get_subscriptions, list_resource_groups, list_resources failed.',
    );
  });

  it('by default needs no network', async () => {
    await warmUpMcpServer();
  });
});
