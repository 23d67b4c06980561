// One loopback listener per emulated service, with the test controls every service shares:
// counting, latency, injected faults, "down" (listener closed, same port later), and "hang" (accept, never answer).
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Fault, ServiceName } from './types.js';

const MAX_BODY = 1024 * 1024;

export interface EmuRequest {
  method: string;
  url: URL;
  /** Decoded path without trailing slashes (except the root). */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  header(name: string): string | undefined;
  form(): URLSearchParams;
}

export interface EmuResponse {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  contentType?: string;
}

export interface ServiceHandler {
  /** Count key of a request (see README), decided before faults, so faulted requests are counted too. */
  classify(req: EmuRequest): string;
  handle(req: EmuRequest): Promise<EmuResponse> | EmuResponse;
  /** The service's own error response for an injected (or unexpected) failure status. */
  faultResponse(req: EmuRequest, status: number, body: unknown): EmuResponse;
  /** Headers every response of the service carries (request ids and the like). */
  commonHeaders(req: EmuRequest): Record<string, string>;
}

interface PendingFault extends Fault {
  times: number;
}

export class ServiceListener {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #faults: PendingFault[] = [];
  #port = 0;
  #listening = false;
  hang = false;
  /** Delay before every answer (emulated network distance); counted requests still count on arrival. */
  latencyMs = 0;

  constructor(
    readonly name: ServiceName,
    readonly protocol: 'http' | 'https',
    private readonly handler: ServiceHandler,
    private readonly onRequest: (countKey: string) => void,
    tls?: { cert: string; key: string },
  ) {
    const listener = (req: IncomingMessage, res: ServerResponse): void => void this.#serve(req, res);
    this.#server = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
      : createHttpServer(listener);
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('tlsClientError', () => undefined);
    this.#server.keepAliveTimeout = 5000;
  }

  get port(): number {
    return this.#port;
  }

  get origin(): string {
    return `${this.protocol}://127.0.0.1:${this.#port}`;
  }

  get listening(): boolean {
    return this.#listening;
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ port, host: '127.0.0.1' }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error(`${this.name}: no TCP address`);
    this.#port = address.port;
    this.#listening = true;
  }

  /** Closes the listener and drops every open connection (refused from now on); reopens on the same port. */
  async setDown(down: boolean): Promise<void> {
    if (down && this.#listening) {
      this.#listening = false;
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const socket of this.#sockets) socket.destroy();
      await closed;
      // Let in-process clients see their pooled connections close before the caller's next request.
      await new Promise((resolve) => setTimeout(resolve, 20));
    } else if (!down && !this.#listening) {
      await this.start(this.#port);
    }
  }

  injectFault(fault: Fault): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  async stop(): Promise<void> {
    await this.setDown(true);
  }

  #takeFault(): PendingFault | undefined {
    const fault = this.#faults[0];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) this.#faults.shift();
    return fault;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let emu: EmuRequest | undefined;
    try {
      const body = await readBody(req);
      emu = toEmuRequest(req, body);
      this.onRequest(this.handler.classify(emu));
      if (this.hang) return; // never answered; the socket is destroyed on down/stop
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const fault = this.#takeFault();
      let response: EmuResponse;
      if (fault) {
        response = this.handler.faultResponse(emu, fault.status, fault.body);
        if (fault.retryAfterSec !== undefined) {
          response.headers = { ...response.headers, 'Retry-After': String(fault.retryAfterSec) };
        }
      } else {
        response = await this.handler.handle(emu);
      }
      send(res, response, this.handler.commonHeaders(emu));
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        send(res, { status: 413, text: 'Request body too large' }, {});
        return;
      }
      const fallback: EmuRequest = emu ?? toEmuRequest(req, '');
      process.stderr.write(
        `[emulator:${this.name}] internal error: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      send(res, this.handler.faultResponse(fallback, 500, undefined), this.handler.commonHeaders(fallback));
    }
  }
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new BodyTooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toEmuRequest(req: IncomingMessage, body: string): EmuRequest {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    path = url.pathname;
  }
  path = path.replace(/\/+$/, '') || '/';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    path,
    headers: req.headers,
    body,
    header(name: string): string | undefined {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    form(): URLSearchParams {
      return new URLSearchParams(body);
    },
  };
}

function send(res: ServerResponse, response: EmuResponse, common: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...common, ...response.headers };
  let payload = '';
  if (response.json !== undefined) {
    payload = JSON.stringify(response.json);
    headers['Content-Type'] = response.contentType ?? 'application/json; charset=utf-8';
  } else if (response.text !== undefined) {
    payload = response.text;
    headers['Content-Type'] = response.contentType ?? 'text/plain; charset=utf-8';
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}
