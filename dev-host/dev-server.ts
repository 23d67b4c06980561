import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import functions from '@azure/functions';
import { serialize as serializeCookie } from 'cookie';
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

/**
 * The Functions host's default FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (~100 MB). Over its limit the host answers 500
 * with an empty body and `Connection: close` before the function runs (measured under the real host); the dev host
 * does the same, so an app whose own limit is not below the host's finds out here, not in Azure.
 */
export const HOST_BODY_LIMIT_BYTES = 100 * 1024 * 1024;
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

// What the Functions worker's HTTP proxy leaves out of a function's response (@azure/functions 4.x,
// blockedProxyResponseHeaders), plus Content-Length: the host frames the body itself (chunked).
const NOT_FORWARDED = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  return value === undefined ? undefined : Number(value);
}

/** Bytes of the request body read so far, and whether they went past the host's limit. */
interface Received {
  bytes: number;
  overLimit: boolean;
}

/**
 * The request body as a web stream read on demand, like `@azure/functions` with HTTP streaming. Cancelling it
 * (a handler stopping at its size limit) leaves the connection intact: the host drains or closes it afterwards.
 * Past the host's limit the stream fails, and the host answers 500 whatever the handler returns.
 */
function bodyStream(req: IncomingMessage, received: Received, limit: number): ReadableStream<Uint8Array> {
  const chunks: AsyncIterator<Buffer> = req.iterator({ destroyOnReturn: false });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next: IteratorResult<Buffer> = await chunks.next();
        if (next.done) return controller.close();
        const value = next.value;
        received.bytes += value.length;
        if (received.bytes > limit) {
          received.overLimit = true;
          await chunks.return?.();
          return controller.error(new RangeError('request body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'));
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

/** An answer: what the worker's proxy would send for a function's response, or one of the host's own. */
interface Answer {
  status: number;
  /** Header name → value(s), names as the worker sends them (lower case). */
  headers: Map<string, string | string[]>;
  body: AsyncIterable<Uint8Array> | undefined;
  /** The host's own answer after a failure: the connection is closed after it. */
  close?: boolean;
}

/** The host's own answer (unknown route, body over its limit, a failed function): empty body. */
function hostAnswer(status: number, close = false): Answer {
  return { status, headers: new Map(), body: undefined, close };
}

/**
 * A function's response as the Functions worker's HTTP proxy passes it to the host (@azure/functions 4.x
 * sendProxyResponse): each header entry is set in turn, so a header given twice keeps only its last value — two
 * `Set-Cookie` headers included; `cookies` become the Set-Cookie header (serialized like the library does, with
 * the `cookie` package), replacing any from `headers`; `x-ms-invocation-id` is added; the body is streamed.
 */
export function proxiedAnswer(response: InstanceType<typeof HttpResponse>, invocationId: string): Answer {
  const headers = new Map<string, string | string[]>();
  const connection = new Set(
    (response.headers.get('connection') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  // Iterated as the worker does (entries(); forEach walks the same list): Set-Cookie values come one at a time.
  response.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name) && !connection.has(name)) headers.set(name, value);
  });
  headers.set('x-ms-invocation-id', invocationId);
  if (response.cookies.length > 0) {
    headers.set(
      'set-cookie',
      response.cookies.map(({ name, value, expires, sameSite, ...options }) =>
        serializeCookie(name, value, {
          ...options,
          ...(expires === undefined ? {} : { expires: new Date(expires) }),
          ...(sameSite === undefined
            ? {}
            : { sameSite: sameSite.toLowerCase() as 'lax' | 'strict' | 'none' }),
        }),
      ),
    );
  }
  return { status: response.status, headers, body: response.body ?? undefined };
}

/**
 * Writes the answer, then keeps the connection in step with the next request: an unread body is discarded up to
 * DRAIN_BYTES; a larger (or unknown-length) rest, or a connection that already sent unparseable bytes, is
 * closed gracefully after the answer (`Connection: close`, then a lingering close). Like the host (Kestrel) it
 * sends no `Connection: keep-alive` or `Keep-Alive` on a persistent HTTP/1.1 connection, and a body chunked.
 */
async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  received: Received,
  answer: Answer,
): Promise<void> {
  // Let the parser finish the bytes already read: a parse error there must mark this answer as the last one.
  await nextTurn();
  const socket = req.socket;
  const declared = declaredLength(req);
  const rest = req.complete ? 0 : declared === undefined ? Infinity : declared - received.bytes;
  const close = answer.close === true || poisoned.has(socket) || rest > DRAIN_BYTES;
  res.statusCode = answer.status;
  for (const [name, value] of answer.headers) res.setHeader(name, value);
  if (close || !res.shouldKeepAlive)
    res.setHeader('Connection', 'close'); // ours, or the client asked
  else res.removeHeader('Connection'); // no Connection: keep-alive, hence no Keep-Alive either
  if (answer.body) {
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  } else {
    if (req.method !== 'HEAD') res.setHeader('Content-Length', '0');
    res.end();
  }
  if (req.complete) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_BYTES) lingeringClose(socket);
  });
  req.resume();
}

async function dispatch(
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  bodyLimit: number,
): Promise<void> {
  const received: Received = { bytes: 0, overLimit: false };
  const reply = (answer: Answer) => respond(req, res, received, answer);

  const target = req.url ?? '/';
  let url: URL;
  try {
    // Only origin-form targets ("/path?query"): "//host/path" or absolute forms must not pick the host.
    if (!target.startsWith('/') || target.startsWith('//')) throw new Error('not origin-form');
    url = new URL(`${origin}${target}`);
  } catch {
    return reply(hostAnswer(400, true));
  }
  const path = url.pathname.toLowerCase().replace(/\/+$/, '');
  const method = (req.method ?? 'GET').toUpperCase();
  // The host routes by path and method together: a method the function does not list is its empty 404 too.
  const route = routes.find((r) => r.path === path && r.methods.includes(method));
  if (!route) return reply(hostAnswer(404));
  if ((declaredLength(req) ?? 0) > bodyLimit) return reply(hostAnswer(500, true));

  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = method !== 'GET' && method !== 'HEAD';
  // What the Functions library builds from the host's proxied request when HTTP streaming is on.
  // `duplex: 'half'` is required by fetch for stream bodies (not yet in the DOM typings).
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (hasBody) Object.assign(init, { body: bodyStream(req, received, bodyLimit), duplex: 'half' });
  const nativeRequest = new Request(url, init);
  const request = new HttpRequest({ nativeRequest } as unknown as HttpRequestInit);
  const invocationId = randomUUID();
  const context = new InvocationContext({
    invocationId,
    functionName: route.name,
    traceContext: invocationTraceContext(req.headers.traceparent, req.headers.tracestate),
    logHandler: (level, ...args) => console.log(`[${route.name}] ${level}:`, ...args),
  });
  let response: InstanceType<typeof HttpResponse>;
  try {
    response = new HttpResponse(await route.handler(request, context));
  } catch (error) {
    // An exception out of a function: the host answers 500 with an empty body (and logs it).
    console.error(`dev host: ${route.name} failed: ${error instanceof Error ? error.name : 'unknown'}`);
    return reply(hostAnswer(500));
  }
  if (received.overLimit) return reply(hostAnswer(500, true));
  return reply(proxiedAnswer(response, invocationId));
}

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/**
 * The invocation's trace context as the host hands it to the worker: the host's own span for the invocation, in the
 * caller's trace when the request carried a valid `traceparent` (W3C Trace Context), else in a new sampled trace.
 */
export function invocationTraceContext(
  traceparent: string | string[] | undefined,
  tracestate: string | string[] | undefined,
): { traceParent: string; traceState?: string; attributes: Record<string, string> } {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim()) : null;
  // An all-zero trace id is invalid (W3C Trace Context §3.2.2.3): a new trace, as for no traceparent.
  const incoming = match?.[1] && !/^0+$/.test(match[1]) ? { traceId: match[1], flags: match[2]! } : undefined;
  const traceId = incoming?.traceId ?? randomBytes(16).toString('hex');
  const flags = incoming?.flags ?? '01';
  const state = incoming && typeof tracestate === 'string' ? { traceState: tracestate } : {};
  return {
    traceParent: `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`,
    ...state,
    attributes: {},
  };
}

function errorAnswer(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
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
      socket.write(errorAnswer(431, 'Request Header Fields Too Large'));
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.write(errorAnswer(408, 'Request Timeout'));
    else socket.write(errorAnswer(400, 'Bad Request'));
  }
  lingeringClose(socket);
}

/** Starts the dev host; resolves once it listens. */
export function startDevHost(options: {
  port: number;
  host?: string;
  /** The app's HTTP functions (src/functions/index.ts, or a bundle's). */
  functions: HttpFunctionDefinition[];
  /** The host's request-body limit, FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (default HOST_BODY_LIMIT_BYTES). */
  bodyLimitBytes?: number;
}): Promise<{ server: Server; url: string }> {
  const host = options.host ?? '127.0.0.1';
  const bodyLimit = options.bodyLimitBytes ?? HOST_BODY_LIMIT_BYTES;
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
    dispatch(routes, req, res, origin, bodyLimit).catch((error: unknown) => {
      console.error(`dev host: request failed: ${error instanceof Error ? error.name : 'unknown'}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Length': '0', Connection: 'close' });
        res.end();
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
