import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientError, ExitCode } from '../../cli/exit-codes.js';
import { McpSession } from '../../cli/mcp-session.js';
import { fakeMcpServer, replyResult } from '../helpers/fake-mcp.js';

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

  it('reads at most 1 MiB of an answer: a larger one is a ClientError saying so, not read to the end', async () => {
    let written = 0;
    const fake = await fakeMcpServer((message, res) => {
      if (message.method === 'notifications/initialized') return void res.writeHead(202).end();
      if (message.method !== 'tools/call') return replyResult(res, message.id, {});
      // Chunked, no length to go by: 64 MiB of text unless the client stops reading.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`{"jsonrpc":"2.0","id":${message.id},"result":{"content":[{"type":"text","text":"`);
      const chunk = 'x'.repeat(65_536);
      const more = () => {
        while (written < 64 * 1_048_576) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('"}]}}');
      };
      more();
    });
    try {
      const session = await McpSession.connect(fake.url, 'token', 10_000);
      try {
        await assert.rejects(session.callTool('get_subscriptions', {}), (e: unknown) => {
          assert.ok(e instanceof ClientError);
          assert.match(e.message, /sent an answer larger than 1 MiB; the CLI reads no more than that/);
          return true;
        });
      } finally {
        await session.close();
      }
      assert.ok(written < 64 * 1_048_576, `the server could not write it all (${written} bytes)`);
    } finally {
      await fake.close();
    }
  });
});
