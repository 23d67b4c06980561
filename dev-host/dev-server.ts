import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import functions from '@azure/functions';
import type { HttpHandler, HttpRequestInit } from '@azure/functions';
import type { HttpFunctionDefinition } from '../src/functions/index.js';

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

/** Largest body the dev host lets a handler read (the largest MCP_MAX_BODY_BYTES); more is a 413. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Unread body bytes the host discards after answering to keep a connection alive; beyond, it closes. */
export const DRAIN_BYTES = 1024 * 1024;
/** How long a closing connection keeps reading (and discarding) so the peer gets the answer, not a reset. */
const LINGER_MS = 2_000;

// Per-connection state. A parse error poisons a connection: answers still in flight carry `Connection: close`.
const inFlight = new WeakMap<Socket, number>();
const poisoned = new WeakSet<Socket>();
const closing = new WeakSet<Socket>();

/**
 * Closes a connection without a reset: FIN after the queued answer, keep reading (and discarding) what the peer
 * still sends for a bounded time. Closing with unread bytes would make the kernel send RST, and the peer could
 * lose the answer it was about to read.
 */
function lingeringClose(socket: Socket): void {
  if (closing.has(socket) || socket.destroyed) return;
  closing.add(socket);
  socket.end();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

// Framing is the host's business (as behind the Functions host's proxy), not the handler's.
const HOP_BY_HOP = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding', 'upgrade']);

function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  return value === undefined ? undefined : Number(value);
}

/**
 * The request body as a web stream read on demand, like `@azure/functions` with HTTP streaming. Cancelling it
 * (a handler stopping at its size limit) leaves the connection intact: the host drains or closes it afterwards.
 */
function bodyStream(req: IncomingMessage, received: { bytes: number }): ReadableStream<Uint8Array> {
  const chunks: AsyncIterator<Buffer> = req.iterator({ destroyOnReturn: false });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next: IteratorResult<Buffer> = await chunks.next();
        if (next.done) return controller.close();
        const value = next.value;
        received.bytes += value.length;
        if (received.bytes > MAX_BODY_BYTES) {
          await chunks.return?.();
          return controller.error(new RangeError('request body too large'));
        }
        controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      async cancel() {
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Writes the answer, then keeps the connection in step with the next request: an unread body is discarded up to
 * DRAIN_BYTES; a larger (or unknown-length) rest, or a connection that already sent unparseable bytes, is
 * closed gracefully after the answer (`Connection: close`, then a lingering close).
 */
async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  received: { bytes: number },
  status: number,
  headers: Record<string, string>,
  body: Uint8Array | string,
): Promise<void> {
  // Let the parser finish the bytes already read: a parse error there must mark this answer as the last one.
  await nextTurn();
  const socket = req.socket;
  const declared = declaredLength(req);
  const rest = req.complete ? 0 : declared === undefined ? Infinity : declared - received.bytes;
  const close = poisoned.has(socket) || rest > DRAIN_BYTES;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  out['Content-Length'] = String(Buffer.byteLength(body));
  if (close) out.Connection = 'close';
  res.writeHead(status, out);
  res.end(body);
  if (req.complete) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_BYTES) lingeringClose(socket);
  });
  req.resume();
}

function json(error: string): string {
  return JSON.stringify({ error });
}

async function dispatch(
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
): Promise<void> {
  const received = { bytes: 0 };
  const reply = (status: number, body: string, headers: Record<string, string> = {}) =>
    respond(req, res, received, status, { 'Content-Type': 'application/json', ...headers }, body);

  const target = req.url ?? '/';
  let url: URL;
  try {
    // Only origin-form targets ("/path?query"): "//host/path" or absolute forms must not pick the host.
    if (!target.startsWith('/') || target.startsWith('//')) throw new Error('not origin-form');
    url = new URL(`${origin}${target}`);
  } catch {
    return reply(400, json('bad_request'));
  }
  const path = url.pathname.toLowerCase().replace(/\/+$/, '');
  const route = routes.find((r) => r.path === path);
  if (!route) return reply(404, json('not_found'));
  const method = (req.method ?? 'GET').toUpperCase();
  if (!route.methods.includes(method))
    return reply(405, json('method_not_allowed'), { Allow: route.methods.join(', ') });
  if ((declaredLength(req) ?? 0) > MAX_BODY_BYTES) return reply(413, json('request_too_large'));

  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = method !== 'GET' && method !== 'HEAD';
  // What the Functions library builds from the host's proxied request when HTTP streaming is on.
  // `duplex: 'half'` is required by fetch for stream bodies (not yet in the DOM typings).
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (hasBody) Object.assign(init, { body: bodyStream(req, received), duplex: 'half' });
  const nativeRequest = new Request(url, init);
  const request = new HttpRequest({ nativeRequest } as unknown as HttpRequestInit);
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: route.name,
    logHandler: (level, ...args) => console.log(`[${route.name}] ${level}:`, ...args),
  });
  const response = new HttpResponse(await route.handler(request, context));
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => (out[name] = value));
  return respond(req, res, received, response.status, out, Buffer.from(await response.arrayBuffer()));
}

function errorAnswer(status: number, reason: string, error: string): string {
  const body = json(error);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}

/**
 * Unparseable bytes on a connection (e.g. a GET body sent without Content-Length, which HTTP reads as the next
 * request). Node's default writes a 400 over any answer still in flight and destroys the socket (a reset);
 * here in-flight answers complete with `Connection: close`, or a 400 goes out alone, then a lingering close.
 */
function onClientError(error: Error & { code?: string }, socket: Socket): void {
  if (poisoned.has(socket) || closing.has(socket)) return;
  poisoned.add(socket);
  if ((inFlight.get(socket) ?? 0) > 0) return; // the last answer closes the connection
  if (socket.writable) {
    if (error.code === 'HPE_HEADER_OVERFLOW')
      socket.write(errorAnswer(431, 'Request Header Fields Too Large', 'headers_too_large'));
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      socket.write(errorAnswer(408, 'Request Timeout', 'request_timeout'));
    else socket.write(errorAnswer(400, 'Bad Request', 'bad_request'));
  }
  lingeringClose(socket);
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
    const socket = req.socket;
    if (closing.has(socket)) {
      req.resume(); // pipelined after the connection's last answer: not served
      return;
    }
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      // Headers already sent when the parse error came: close after the last answer.
      if (left === 0 && poisoned.has(socket)) lingeringClose(socket);
    });
    const origin = `http://${req.headers.host ?? `${host}:${options.port}`}`;
    dispatch(routes, req, res, origin).catch((error: unknown) => {
      console.error(`dev host: request failed: ${error instanceof Error ? error.name : 'unknown'}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(json('internal_error'));
      } else res.destroy();
    });
  });
  server.on('clientError', onClientError);
  // Node closes a connection after a `Connection: close` answer with destroySoon(), which destroys the socket as
  // soon as the FIN is out; unread request bytes then turn into a reset. Close lingeringly instead.
  server.on('connection', (socket: Socket) => {
    (socket as Socket & { destroySoon: () => void }).destroySoon = () => lingeringClose(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}` });
    });
  });
}
