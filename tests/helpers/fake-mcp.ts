// A fake MCP server for the CLI's tests: the wire format only, no tokens checked.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';

/**
 * A minimal stateless MCP endpoint: answers initialize, hands other POSTed messages to `onMessage`
 * (which answers or leaves the response hanging), and GET with `onGet`.
 */
export interface FakeMessage {
  id?: number;
  method: string;
  params?: { name?: string; [key: string]: unknown };
}

export async function fakeMcpServer(
  onMessage: (message: FakeMessage, res: ServerResponse) => void,
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
      const message = JSON.parse(body) as FakeMessage;
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

/** Answers a JSON-RPC request with `result`. */
export function replyResult(res: ServerResponse, id: number | undefined, result: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
}
