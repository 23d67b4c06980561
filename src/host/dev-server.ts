import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions from '@azure/functions';
import type { HttpHandler } from '@azure/functions';
import type { HttpFunctionDefinition } from '../functions/index.js';

const { HttpRequest, HttpResponse, InvocationContext } = functions;

interface Route {
  name: string;
  path: string;
  methods: string[];
  handler: HttpHandler;
}

/** Routes of the app's HTTP functions, as the Functions host maps them (routePrefix ""). */
export function toRoutes(functionsList: HttpFunctionDefinition[]): Route[] {
  return functionsList.map(({ name, options }) => ({
    name,
    path: `/${options.route ?? name}`.toLowerCase(),
    methods: (options.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
    handler: options.handler,
  }));
}

/** Upper bound of a request body the dev host buffers (the handler applies the configured limit). */
const MAX_BUFFERED_BODY = 16 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Uint8Array | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BUFFERED_BODY) return 'too_large';
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body);
}

async function dispatch(
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
): Promise<void> {
  const target = req.url ?? '/';
  let url: URL;
  try {
    // Only origin-form targets ("/path?query"): "//host/path" or absolute forms must not pick the host.
    if (!target.startsWith('/') || target.startsWith('//')) throw new Error('not origin-form');
    url = new URL(`${origin}${target}`);
  } catch {
    return send(res, 400, JSON.stringify({ error: 'bad_request' }));
  }
  const path = url.pathname.toLowerCase().replace(/\/+$/, '');
  const route = routes.find((r) => r.path === path);
  if (!route) return send(res, 404, JSON.stringify({ error: 'not_found' }));
  const method = (req.method ?? 'GET').toUpperCase();
  if (!route.methods.includes(method))
    return send(res, 405, JSON.stringify({ error: 'method_not_allowed' }), {
      Allow: route.methods.join(', '),
    });

  const body = method === 'GET' || method === 'HEAD' ? new Uint8Array() : await readBody(req);
  if (body === 'too_large')
    return send(res, 413, JSON.stringify({ error: 'request_too_large' }), { Connection: 'close' });

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const request = new HttpRequest({
    method,
    url: url.toString(),
    headers,
    ...(body.length ? { body: { bytes: body } } : {}),
  });
  const invocationId = randomUUID();
  const context = new InvocationContext({
    invocationId,
    functionName: route.name,
    logHandler: (level, ...args) => console.log(`[${route.name}] ${level}:`, ...args),
  });
  const response = new HttpResponse(await route.handler(request, context));
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => (out[name] = value));
  const bytes = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, out);
  res.end(bytes);
}

/** Starts the dev host; resolves once it listens. */
export function startDevHost(options: {
  port: number;
  host?: string;
  /** The app's HTTP functions (src/functions/index.ts, or a bundle's). */
  functions: HttpFunctionDefinition[];
}): Promise<{ server: Server; url: string }> {
  const host = options.host ?? '127.0.0.1';
  const routes = toRoutes(options.functions);
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? `${host}:${options.port}`}`;
    dispatch(routes, req, res, origin).catch((error: unknown) => {
      console.error(`dev host: request failed: ${error instanceof Error ? error.name : 'unknown'}`);
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal_error' }));
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}` });
    });
  });
}
