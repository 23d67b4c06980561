import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { ClientError, ExitCode } from '../../cli/exit-codes.js';
import { McpSession } from '../../cli/mcp-session.js';

/**
 * A minimal stateless MCP endpoint: answers initialize, hands other POSTed messages to `onMessage`
 * (which answers or leaves the response hanging), and GET with `onGet`.
 */
async function fakeMcpServer(
  onMessage: (message: { id?: number; method: string }, res: ServerResponse) => void,
  onGet: (res: ServerResponse) => void = (res) => res.writeHead(405, { Allow: 'POST' }).end(),
): Promise<{ url: string; close: () => Promise<void> }> {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    if (req.method === 'GET') return onGet(res);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const message = JSON.parse(body) as { id?: number; method: string };
      if (message.method !== 'initialize') return onMessage(message, res);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: message.id,
          result: {
            protocolVersion: '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'fake', version: '1' },
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('McpSession', () => {
  it('--timeout also bounds the notifications/initialized POST', async () => {
    let notified = 0;
    // Never answers the initialized notification.
    const fake = await fakeMcpServer((message) => {
      if (message.method === 'notifications/initialized') notified++;
    });
    try {
      const started = Date.now();
      const outcome = await Promise.race([
        McpSession.connect(fake.url, 'token', 300).then(
          async (session) => {
            await session.close();
            return 'connected';
          },
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
      ]);
      assert.ok(outcome instanceof ClientError, String(outcome));
      assert.equal(outcome.exitCode, ExitCode.serverUnreachable);
      assert.match(outcome.message, /did not answer in time/);
      assert.ok(Date.now() - started < 3_000);
      assert.equal(notified, 1, 'the notification was sent');
    } finally {
      await fake.close();
    }
  });

  it("a tool's JSON-RPC error is a tool failure (exit 6) though the SDK's GET stream got 405", async () => {
    let gets = 0;
    const fake = await fakeMcpServer(
      (message, res) => {
        if (message.method === 'notifications/initialized') return void res.writeHead(202).end();
        // Answer after the GET's 405 has arrived.
        setTimeout(() => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: message.id,
              error: { code: -32602, message: 'Tool no_such_tool not found' },
            }),
          );
        }, 300);
      },
      (res) => {
        gets++;
        setTimeout(() => res.writeHead(405, { Allow: 'POST' }).end(), 100);
      },
    );
    try {
      const session = await McpSession.connect(fake.url, 'token', 5_000);
      try {
        await assert.rejects(session.callTool('no_such_tool', {}), (e: unknown) => {
          assert.ok(e instanceof ClientError);
          assert.doesNotMatch(e.message, /not an MCP endpoint/);
          assert.match(e.message, /Tool no_such_tool failed: .*not found/);
          assert.equal(e.exitCode, ExitCode.tool);
          return true;
        });
      } finally {
        await session.close();
      }
      assert.equal(gets, 1, 'the SDK opened its GET stream');
    } finally {
      await fake.close();
    }
  });
});
