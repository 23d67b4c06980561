import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { buildChallenge, oboChallenge } from '../auth/challenge.js';
import type { Challenge } from '../auth/challenge.js';
import type { VerifiedUser } from '../auth/verifier.js';
import { ArmClient } from '../arm/arm-client.js';
import { MetadataUnavailableError, OboError, TokenError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Logger } from '../util/log.js';
import { toAuthInfo } from './context.js';
import { ARM_TOOLS, createMcpServer } from './server.js';

const MAX_BATCH = 10;
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return json(status, { jsonrpc: '2.0', id: null, error: { code, message } }, headers);
}

/** True when the JSON-RPC message (or batch) calls a tool that acts on Azure Resource Manager. */
export function callsArmTool(parsed: unknown): boolean {
  const messages: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  return messages.some((m) => {
    if (m === null || typeof m !== 'object') return false;
    const { method, params } = m as { method?: unknown; params?: unknown };
    if (method !== 'tools/call' || params === null || typeof params !== 'object') return false;
    const name = (params as { name?: unknown }).name;
    return typeof name === 'string' && ARM_TOOLS.has(name);
  });
}

function challengeResponse(challenge: Challenge, cors: Record<string, string>): Response {
  return json(challenge.status, challenge.body, { ...challenge.headers, ...cors });
}

/** Reads the bearer token of an `Authorization` header; undefined when absent or another scheme. */
export function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** CORS headers for an allowed browser origin (none for non-browser clients). */
function corsHeaders(origin: string | null): Record<string, string> {
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version',
    Vary: 'Origin',
  };
}

/** Reads the body up to `maxBytes`, stopping (and cancelling the stream) as soon as it is exceeded. */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array | 'too_large'> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return 'too_large';
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return 'too_large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Handles one request to `/mcp`: method and origin checks, bearer verification, then a fresh stateless
 * MCP server and transport for this request only.
 */
export async function handleMcpRequest(
  request: Request,
  runtime: Runtime,
  logger: Logger,
): Promise<Response> {
  const { settings } = runtime;
  const origin = request.headers.get('origin');
  const originAllowed = origin === null || settings.allowedOrigins.includes(origin.replace(/\/+$/, ''));

  if (request.method === 'OPTIONS') {
    if (!origin || !originAllowed)
      return json(403, {
        error: 'origin_not_allowed',
        error_description: 'This origin may not call the MCP endpoint.',
      });
    return new Response(null, {
      status: 204,
      headers: {
        ...corsHeaders(origin),
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers':
          'Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id',
        'Access-Control-Max-Age': '600',
      },
    });
  }
  if (request.method !== 'POST') {
    // Stateless server: no SSE stream to open (GET) and no session to end (DELETE).
    return jsonRpcError(405, -32000, 'Method not allowed: this stateless MCP endpoint accepts POST only.', {
      Allow: 'POST',
    });
  }
  if (!originAllowed) {
    // DNS-rebinding protection (MCP transport spec): browsers always send Origin.
    return json(403, {
      error: 'origin_not_allowed',
      error_description: 'This origin may not call the MCP endpoint.',
    });
  }
  const cors = corsHeaders(origin);

  let user: VerifiedUser;
  try {
    user = await runtime.verifier.verify(bearerToken(request.headers.get('authorization')));
  } catch (error) {
    if (error instanceof TokenError || error instanceof MetadataUnavailableError) {
      logger.warn(`mcp: rejected request: ${error.code}`);
      return challengeResponse(buildChallenge(error, settings, request.url), cors);
    }
    throw error;
  }

  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    return jsonRpcError(
      415,
      -32700,
      'Unsupported Media Type: send the JSON-RPC message as application/json.',
      cors,
    );
  }
  const body = await readBody(request, settings.maxBodyBytes);
  if (body === 'too_large') {
    return jsonRpcError(413, -32600, `Request body exceeds ${settings.maxBodyBytes} bytes.`, cors);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return jsonRpcError(400, -32700, 'Parse error: the body is not valid JSON.', cors);
  }
  if (Array.isArray(parsed) && parsed.length > MAX_BATCH) {
    // Batches left the MCP spec in 2025-06-18; older clients may still send small ones.
    return jsonRpcError(400, -32600, `Invalid Request: batches are limited to ${MAX_BATCH} messages.`, cors);
  }

  // The On-Behalf-Of exchange runs before any MCP answer exists: a failure only a new sign-in can fix
  // (step-up claims, revoked session) must reach the client as an HTTP 401 challenge, not as a tool result.
  // Other failures (consent, outages, throttling) stay tool errors and are not retried within this request.
  let oboFailure: Error | undefined;
  if (callsArmTool(parsed)) {
    try {
      await runtime.obo.getArmToken(user);
    } catch (error) {
      const challenge = oboChallenge(error, settings, request.url);
      if (challenge) {
        logger.warn(`mcp: On-Behalf-Of needs a new sign-in: ${challenge.body.error}`);
        return challengeResponse(challenge, cors);
      }
      oboFailure = error instanceof Error ? error : new Error(String(error));
    }
  }
  // A fresh exchange later in this request (after ARM rejected the cached token) may need a new sign-in too.
  let reauthentication: OboError | undefined;
  const armToken = async () => {
    try {
      return await runtime.obo.getArmToken(user);
    } catch (error) {
      if (error instanceof OboError && error.needsReauthentication) reauthentication ??= error;
      throw error;
    }
  };

  const server = createMcpServer({
    user,
    logger,
    arm: async () => {
      if (oboFailure !== undefined) throw oboFailure;
      await armToken(); // surfaces OBO failures before ARM is called
      return new ArmClient(armToken, {
        endpoint: settings.armEndpoint,
        timeoutMs: settings.upstreamTimeoutMs * 3,
        // ARM rejected the token (revoked under continuous access evaluation): forget it, exchange afresh.
        onUnauthorized: () => runtime.obo.evict(user),
      });
    },
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    const headers = new Headers(request.headers);
    const forwarded = new Request(request.url, { method: 'POST', headers });
    const response = await transport.handleRequest(forwarded, {
      parsedBody: parsed,
      authInfo: toAuthInfo(user),
    });
    const out = new Headers(response.headers);
    for (const [k, v] of Object.entries(cors)) out.set(k, v);
    out.set('Cache-Control', 'no-store');
    // Buffer the (JSON) answer so the server can be closed before the response leaves.
    const text = await response.text();
    if (reauthentication) {
      const challenge = oboChallenge(reauthentication, settings, request.url);
      if (challenge) {
        logger.warn(`mcp: On-Behalf-Of needs a new sign-in: ${challenge.body.error}`);
        return challengeResponse(challenge, cors);
      }
    }
    return new Response(response.status === 202 || text === '' ? null : text, {
      status: response.status,
      headers: out,
    });
  } finally {
    await server.close();
  }
}
