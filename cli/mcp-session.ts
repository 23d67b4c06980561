import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ClientError } from './exit-codes.js';
import {
  MAX_RESPONSE_BYTES,
  ResponseTooLargeError,
  boundedResponse,
  describeNetworkError,
} from './fetch-guard.js';
import { parseBearerChallenge, unreachableServer } from './scope-discovery.js';
import { TOOL_USAGE_FIX } from './tool-errors.js';
import type { BearerChallenge } from './scope-discovery.js';

/**
 * Called once per session when the server answers 401: a new token to retry with (step-up with the challenge's
 * claims, or a fresh token for `invalid_token`), or undefined when the challenge is not worth a retry.
 */
export type RenewToken = (challenge: BearerChallenge) => Promise<string | undefined>;

/** Client name and version announced in `initialize`. */
export const CLIENT_INFO = { name: 'azure-obo-mcp-cli', version: '0.1.0' } as const;

/** A tool call's result, as the CLI reports it. */
export interface ToolResult {
  isError: boolean;
  text: string;
  structuredContent: Record<string, unknown> | undefined;
  content: unknown[];
}

/** A signal aborted when any of `signals` aborts (AbortSignal.any, Node 20.3+, with a fallback). */
function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

/** True when an HTTP status says the URL is no MCP endpoint at all (wrong path, or a GET-only page). */
export const isNotAnEndpoint = (status: number | undefined): boolean => status === 404 || status === 405;

/** The failure for a URL that is no MCP endpoint. */
export function notAnMcpEndpoint(server: string, status: number, cause?: unknown): ClientError {
  return new ClientError('server_unreachable', `${server} is not an MCP endpoint (HTTP ${status}).`, {
    fix: 'Check --server: the endpoint path is /mcp, e.g. http://localhost:7071/mcp.',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** What the transport saw of the last rejected request. */
interface Rejection {
  status: number;
  wwwAuthenticate: string | null;
}

/** An MCP session with the server over streamable HTTP, authenticated with a bearer token. */
export class McpSession {
  private client: Client;
  private token = '';
  /** True once the token was renewed after a 401: a second 401 is reported, not retried. */
  private renewed = false;

  private constructor(
    private readonly server: string,
    private readonly timeoutMs: number,
    private readonly state: { rejection?: Rejection; networkFailure?: string; tooLarge?: boolean },
    private readonly renew: RenewToken | undefined,
  ) {
    this.client = new Client(CLIENT_INFO);
  }

  /**
   * Connects (initialize) to `server` with `token`; throws a ClientError on 401/403 or an unreachable server.
   * With `renew`, one 401 (at connect or on any later request) gets a new token and one retry.
   */
  static async connect(
    server: string,
    token: string,
    timeoutMs: number,
    renew?: RenewToken,
  ): Promise<McpSession> {
    const session = new McpSession(server, timeoutMs, {}, renew);
    session.token = token;
    await session.run(() => session.open(), undefined, true);
    return session;
  }

  /** Whether the token was renewed after a 401 during this session. */
  get tokenRenewed(): boolean {
    return this.renewed;
  }

  /** A new client and transport with `token` (the server is stateless: a new initialize costs nothing). */
  private async open(): Promise<void> {
    const token = this.token;
    const { state, timeoutMs } = this;
    const recordingFetch: FetchLike = async (url, init) => {
      const method = (init?.method ?? 'GET').toUpperCase();
      // The SDK bounds requests by its own timer but not every POST (e.g. notifications/initialized):
      // bound each POST/DELETE here too. The background GET (SSE) stream stays open-ended.
      let request = init;
      if (method === 'POST' || method === 'DELETE') {
        const limit = AbortSignal.timeout(timeoutMs);
        request = { ...init, signal: init?.signal ? anySignal([init.signal, limit]) : limit };
      }
      let res: Response;
      try {
        // Every answer is read to at most MAX_RESPONSE_BYTES, the SDK's own reading included.
        res = boundedResponse(await fetch(url, request), String(url), {
          onTooLarge: () => (state.tooLarge = true),
        });
      } catch (error) {
        if (method !== 'GET' && !(error instanceof ResponseTooLargeError))
          state.networkFailure = describeNetworkError(error);
        throw error;
      }
      // Only requests carrying JSON-RPC messages explain failures: the SDK's optional GET stream is answered
      // 405 by this stateless server on purpose, and must not be mistaken for "not an MCP endpoint".
      if (res.status >= 400 && method === 'POST')
        state.rejection = { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') };
      return res;
    };
    const transport = new StreamableHTTPClientTransport(new URL(this.server), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
      fetch: recordingFetch,
    });
    await this.client.close().catch(() => undefined);
    const client = new Client(CLIENT_INFO);
    this.client = client;
    try {
      await client.connect(transport, { timeout: timeoutMs });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  /** Server name and version from `initialize`. */
  get serverVersion(): { name: string; version: string } | undefined {
    return this.client.getServerVersion();
  }

  /** JSON-RPC ping. */
  async ping(): Promise<void> {
    await this.run(() => this.client.ping({ timeout: this.timeoutMs }));
  }

  /** Names of the server's tools, sorted. */
  async listTools(): Promise<string[]> {
    const { tools } = await this.run(() => this.client.listTools(undefined, { timeout: this.timeoutMs }));
    return tools.map((t) => t.name).sort();
  }

  /** Calls a tool; an `isError` result is returned, not thrown (the caller decides). */
  async callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    const result = await this.run(
      () => this.client.callTool({ name, arguments: args }, undefined, { timeout: this.timeoutMs }),
      name,
    );
    const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
    const text = content
      .filter(
        (c): c is { type: 'text'; text: string } =>
          (c as { type?: unknown }).type === 'text' && typeof (c as { text?: unknown }).text === 'string',
      )
      .map((c) => c.text)
      .join('\n');
    const structured = result.structuredContent;
    return {
      isError: result.isError === true,
      text,
      structuredContent:
        typeof structured === 'object' && structured !== null
          ? (structured as Record<string, unknown>)
          : undefined,
      content,
    };
  }

  /** Closes the session (stateless server: nothing to terminate). */
  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }

  /** Runs `fn`; after a 401, once: a renewed token, a new connection, and `fn` again (`fn` is the connect itself when `isOpen`). */
  private async run<T>(fn: () => Promise<T>, tool?: string, isOpen = false): Promise<T> {
    this.state.rejection = undefined;
    this.state.networkFailure = undefined;
    this.state.tooLarge = undefined;
    try {
      return await fn();
    } catch (error) {
      const rejection = this.state.rejection as Rejection | undefined;
      if (rejection?.status !== 401 || this.renewed || !this.renew) throw this.explain(error, tool);
      const challenge = parseBearerChallenge(rejection.wwwAuthenticate) ?? {};
      const first = this.explain(error, tool);
      this.renewed = true;
      const token = await this.renew(challenge);
      if (!token) throw first;
      this.state.rejection = undefined;
      this.state.networkFailure = undefined;
      this.token = token;
      try {
        if (isOpen) return await fn();
        await this.open();
        return await fn();
      } catch (retryError) {
        throw this.explain(retryError, tool);
      }
    }
  }

  /** Maps a transport or protocol failure to a ClientError with cause and fix. */
  private explain(error: unknown, tool?: string): ClientError {
    const { rejection, networkFailure, tooLarge } = this.state;
    if (tooLarge) {
      return new ClientError(
        'generic',
        `The MCP server at ${this.server} sent an answer larger than ${MAX_RESPONSE_BYTES / 1_048_576} MiB; the CLI reads no more than that.`,
        {
          fix: 'Check --server: azure-obo-mcp answers are far smaller (lists stop at 1,000 items).',
          cause: error,
        },
      );
    }
    if (rejection && (rejection.status === 401 || rejection.status === 403)) {
      const challenge = parseBearerChallenge(rejection.wwwAuthenticate) ?? {};
      const what =
        rejection.status === 403 ? 'refused (403 Forbidden)' : 'rejected the token (401 Unauthorized)';
      const said = [challenge.error, challenge.errorDescription?.replace(/[.\s]+$/, '')]
        .filter(Boolean)
        .join(': ');
      const fix =
        rejection.status === 403 && challenge.error !== 'insufficient_scope'
          ? 'The request was refused before authentication (e.g. an Origin not in MCP_ALLOWED_ORIGINS); check the server configuration.'
          : `Request the scope the server names${challenge.scope ? ` (${challenge.scope})` : ''}: check that ENTRA_CLIENT_ID / ENTRA_TENANT_ID match the server's settings, then run "azure-obo-mcp logout" and sign in again.`;
      return new ClientError('server_auth', `The MCP server ${what}${said ? `: ${said}` : ''}.`, {
        fix,
        cause: error,
        details: {
          status: rejection.status,
          wwwAuthenticate: rejection.wwwAuthenticate,
          ...(challenge.error ? { error: challenge.error } : {}),
          ...(challenge.scope ? { scope: challenge.scope } : {}),
          ...(challenge.resourceMetadata ? { resourceMetadata: challenge.resourceMetadata } : {}),
        },
      });
    }
    if (networkFailure === 'timed out') {
      return new ClientError(
        'server_unreachable',
        `The MCP server at ${this.server} did not answer in time.`,
        { fix: 'Check the server, or raise --timeout.', cause: error },
      );
    }
    if (networkFailure) return unreachableServer(this.server, networkFailure, error);
    if (rejection && isNotAnEndpoint(rejection.status))
      return notAnMcpEndpoint(this.server, rejection.status, error);
    if (error instanceof McpError) {
      if (error.code === -32001) {
        return new ClientError(
          'server_unreachable',
          `The MCP server at ${this.server} did not answer in time.`,
          { fix: 'Check the server, or raise --timeout.', cause: error },
        );
      }
      return new ClientError(
        tool ? 'tool' : 'generic',
        `${tool ? `Tool ${tool} failed` : 'MCP request failed'}: ${error.message}`,
        {
          fix: tool ? TOOL_USAGE_FIX : 'Check the server logs.',
          cause: error,
        },
      );
    }
    if (error instanceof StreamableHTTPError) {
      return new ClientError('generic', `The MCP server answered HTTP ${error.code ?? '?'}.`, {
        fix: 'Check the server logs.',
        cause: error,
      });
    }
    return new ClientError('generic', error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}
