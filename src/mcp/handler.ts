import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { bearerToken, isProxyToken } from '../auth/bearer.js';
import { challengeFor } from '../auth/challenge.js';
import type { Challenge } from '../auth/challenge.js';
import type { VerifiedUser } from '../auth/verifier.js';
import type { ArmClient } from '../arm/arm-client.js';
import type { Settings } from '../config/settings.js';
import { AppError, OboError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { readAtMost } from '../util/body.js';
import { clientTelemetryLabel } from '../oauth/client-label.js';
import { redact } from '../util/log.js';
import { ORIGIN_NOT_ALLOWED, allowedOrigin, preflightHeaders } from '../util/cors.js';
import type { Logger } from '../util/log.js';
import { SpanStatusCode } from '@opentelemetry/api';
import { ATTR, SPAN } from '../telemetry/names.js';
import { telemetryActive, userAttributes } from '../telemetry/state.js';
import { activeSpan, inSpan, invocationParent, meters, secondsSince } from '../telemetry/telemetry.js';
import type { InvocationTraceContext } from '../telemetry/telemetry.js';
import type { ArmAccessToken } from '../obo/obo-client.js';
import { ARM_TOOLS, TOOLS, createMcpServer } from './server.js';

// Batches left the MCP spec in 2025-06-18; older clients still send small ones, and each message may cost an
// ARM listing, so a request carries at most this many.
const MAX_BATCH = 10;
// JSON-RPC's implementation-defined "server error", which the SDK's own transport answers 405/406 with.
const SERVER_ERROR = ErrorCode.ConnectionClosed;
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

type HeaderMap = Record<string, string>;

function json(status: number, body: unknown, headers: HeaderMap = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function jsonRpcError(status: number, code: ErrorCode, message: string, headers: HeaderMap = {}): Response {
  return json(status, { jsonrpc: '2.0', id: null, error: { code, message } }, headers);
}

function challengeResponse(challenge: Challenge, cors: HeaderMap): Response {
  return json(challenge.status, challenge.body, { ...challenge.headers, ...cors });
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

/** CORS headers of an answer to an allowed browser origin (none for non-browser clients). */
function corsHeaders(origin: string | null): HeaderMap {
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version',
    Vary: 'Origin',
  };
}

/**
 * Step 1, method and origin: answers CORS preflights (as the platform's CORS does on Flex, where this one never
 * runs) and anything but POST, and applies the DNS-rebinding protection of the MCP transport spec (browsers always
 * send Origin). Otherwise the CORS headers to answer with.
 */
function checkMethodAndOrigin(request: Request, settings: Settings): Response | HeaderMap {
  const origin = request.headers.get('origin');
  const allowed = allowedOrigin(origin, settings.allowedOrigins);
  if (request.method === 'OPTIONS') {
    if (!allowed) return json(403, ORIGIN_NOT_ALLOWED);
    return new Response(null, { status: 204, headers: preflightHeaders(allowed, request.headers) });
  }
  if (request.method !== 'POST') {
    // Stateless server: no SSE stream to open (GET) and no session to end (DELETE).
    return jsonRpcError(
      405,
      SERVER_ERROR,
      'Method not allowed: this stateless MCP endpoint accepts POST only.',
      {
        Allow: 'POST',
      },
    );
  }
  if (origin !== null && !allowed) return json(403, ORIGIN_NOT_ALLOWED);
  return corsHeaders(origin);
}

/** Who called: the verified user, and the MCP client acting for them (as logged, never a token). */
export interface Caller {
  user: VerifiedUser;
  /** The OAuth proxy's client id (a metadata document URL, or a registration by a short hash), or `entra:<azp>`. */
  client: string;
}

/**
 * Step 2: the verified caller, or the 401/403/503 challenge. Runs before the body is read. An access token of the
 * OAuth proxy is opened first; the Entra token inside is then verified exactly like a plain one.
 */
async function authenticate(
  request: Request,
  runtime: Runtime,
  cors: HeaderMap,
  logger: Logger,
): Promise<Caller | Response> {
  // The request's span says whether the token was verified before (auth.cached); a verification span of its own
  // only for the work of verifying (a cached answer costs microseconds, and most requests are cached).
  const requestSpan = activeSpan();
  const verify = (token: string | undefined, viaProxy: boolean) => {
    if (!telemetryActive()) return runtime.verifier.verify(token, { viaProxy });
    if (runtime.verifier.isCached(token, viaProxy)) {
      requestSpan.setAttributes({ [ATTR.authCached]: true, [ATTR.authViaProxy]: viaProxy });
      return runtime.verifier.verify(token, { viaProxy });
    }
    requestSpan.setAttributes({ [ATTR.authCached]: false, [ATTR.authViaProxy]: viaProxy });
    return inSpan(SPAN.verifyBearer, { [ATTR.authViaProxy]: viaProxy }, () =>
      runtime.verifier.verify(token, { viaProxy }),
    );
  };
  try {
    const bearer = bearerToken(request.headers.get('authorization'));
    if (bearer !== undefined && runtime.proxy && isProxyToken(bearer)) {
      const unwrapped = await (await runtime.proxy()).unwrap(bearer, request.url);
      const user = await verify(unwrapped.entraToken, true);
      return { user, client: clientTelemetryLabel(unwrapped.clientId) };
    }
    const user = await verify(bearer, false);
    return { user, client: `entra:${user.clientAppId ?? 'unknown'}` };
  } catch (error) {
    const challenge = error instanceof AppError && challengeFor(error, runtime.settings, request.url);
    if (!challenge) throw error;
    logger.warn(`mcp: rejected request: ${error.code}`);
    activeSpan().setAttribute(ATTR.errorType, error.code);
    meters().verificationFailures.add(1, { [ATTR.errorType]: error.code });
    return challengeResponse(challenge, cors);
  }
}

/** What a JSON-RPC message (or batch) asks, for the log: methods, and the tool of a tools/call. */
function describeCall(message: unknown): string {
  const messages: unknown[] = Array.isArray(message) ? message : [message];
  return messages
    .map((m) => {
      if (m === null || typeof m !== 'object') return 'invalid';
      const { method, params } = m as { method?: unknown; params?: { name?: unknown } };
      if (typeof method !== 'string') return 'response';
      const tool = method === 'tools/call' && typeof params?.name === 'string' ? ` ${params.name}` : '';
      return redact(`${method}${tool}`).slice(0, 80);
    })
    .join(', ');
}

// MCP methods as telemetry names them; anything else is `other` (the method is the caller's free text).
const METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
]);

/** The request span's method and tool: known names only, `batch` for several messages. */
function callAttributes(message: unknown): Record<string, string> {
  if (Array.isArray(message)) return { [ATTR.mcpMethod]: 'batch' };
  if (message === null || typeof message !== 'object') return { [ATTR.mcpMethod]: 'invalid' };
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
  if (typeof method !== 'string') return { [ATTR.mcpMethod]: 'response' };
  const attributes = { [ATTR.mcpMethod]: METHODS.has(method) ? method : 'other' };
  if (method !== 'tools/call') return attributes;
  const name = params?.name;
  return { ...attributes, [ATTR.tool]: typeof name === 'string' && TOOLS.has(name) ? name : 'unknown' };
}

/** Step 3: the JSON-RPC message (or small batch), read up to MCP_MAX_BODY_BYTES and parsed. */
async function readMessage(
  request: Request,
  maxBytes: number,
  cors: HeaderMap,
): Promise<{ message: unknown } | Response> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    return jsonRpcError(
      415,
      ErrorCode.ParseError,
      'Unsupported Media Type: send the JSON-RPC message as application/json.',
      cors,
    );
  }
  const tooLarge = () =>
    jsonRpcError(413, ErrorCode.InvalidRequest, `Request body exceeds ${maxBytes} bytes.`, cors);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();
  const chunks: Uint8Array[] = [];
  if (request.body && !(await readAtMost(request.body.getReader(), maxBytes, (c) => chunks.push(c)))) {
    return tooLarge();
  }
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
  } catch {
    return jsonRpcError(400, ErrorCode.ParseError, 'Parse error: the body is not valid JSON.', cors);
  }
  if (Array.isArray(message) && message.length > MAX_BATCH) {
    return jsonRpcError(
      400,
      ErrorCode.InvalidRequest,
      `Invalid Request: batches are limited to ${MAX_BATCH} messages.`,
      cors,
    );
  }
  return { message };
}

/** The tools' way to ARM for one request, and the first failure of it that needs a new sign-in. */
interface CallerArm {
  arm: () => Promise<ArmClient>;
  reauthentication: () => OboError | undefined;
}

/**
 * Step 4, the On-Behalf-Of pre-flight: the exchange runs before any MCP answer exists, so a failure only a new
 * sign-in can fix (step-up claims, revoked session) reaches the client as an HTTP 401 challenge, not as a tool
 * result. Other failures (consent, outages, throttling) stay tool errors and are not retried within this request.
 */
async function prepareArm(
  message: unknown,
  user: VerifiedUser,
  runtime: Runtime,
  cors: HeaderMap,
  request: Request,
  logger: Logger,
): Promise<CallerArm | Response> {
  let oboFailure: Error | undefined;
  // The pre-flight's token serves the first ARM client, so a tool call looks the token up once.
  let preflight: Promise<ArmAccessToken> | undefined;
  if (callsArmTool(message)) {
    try {
      preflight = runtime.obo.getArmToken(user);
      await preflight;
    } catch (error) {
      const challenge = error instanceof OboError && challengeFor(error, runtime.settings, request.url);
      if (challenge) return reauthenticate(challenge, cors, logger);
      oboFailure = error instanceof Error ? error : new Error(String(error));
    }
  }
  // A fresh exchange later in this request (after ARM rejected the cached token) may need a new sign-in too.
  let reauthentication: OboError | undefined;
  const token = async () => {
    const pending = preflight ?? runtime.obo.getArmToken(user);
    preflight = undefined;
    try {
      return await pending;
    } catch (error) {
      if (error instanceof OboError && error.needsReauthentication) reauthentication ??= error;
      throw error;
    }
  };
  return {
    arm: async () => {
      if (oboFailure !== undefined) throw oboFailure;
      // Surfaces OBO failures before ARM is called; the client's first request then uses this token.
      let first: ArmAccessToken | undefined = await token();
      return runtime.armClient(user, () => {
        const ready = first;
        first = undefined;
        return ready ? Promise.resolve(ready) : token();
      });
    },
    reauthentication: () => reauthentication,
  };
}

function reauthenticate(challenge: Challenge, cors: HeaderMap, logger: Logger): Response {
  logger.warn(`mcp: On-Behalf-Of needs a new sign-in: ${challenge.body.error}`);
  return challengeResponse(challenge, cors);
}

/** Step 5: a fresh stateless MCP server and transport for this request only, answering in JSON. */
async function serve(
  request: Request,
  message: unknown,
  caller: Caller,
  callerArm: CallerArm,
  runtime: Runtime,
  cors: HeaderMap,
  logger: Logger,
  report: RequestReport,
): Promise<Response> {
  const server = createMcpServer({
    user: caller.user,
    logger,
    arm: callerArm.arm,
    client: caller.client,
    onToolResult: (outcome) => {
      if (outcome === 'tool_error') report.outcome = 'tool_error';
    },
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    // The body was consumed above; the transport gets the parsed message and a body-less copy of the request.
    const forwarded = new Request(request.url, { method: 'POST', headers: new Headers(request.headers) });
    const response = await transport.handleRequest(forwarded, { parsedBody: message });
    const out = new Headers(response.headers);
    for (const [k, v] of Object.entries(cors)) out.set(k, v);
    out.set('Cache-Control', 'no-store');
    // Buffer the (JSON) answer so the server can be closed before the response leaves.
    const text = await response.text();
    const needed = callerArm.reauthentication();
    const challenge = needed && challengeFor(needed, runtime.settings, request.url);
    if (challenge) {
      report.outcome = 'reauthentication';
      return reauthenticate(challenge, cors, logger);
    }
    return new Response(response.status === 202 || text === '' ? null : text, {
      status: response.status,
      headers: out,
    });
  } finally {
    await server.close();
  }
}

/** What the request's span and duration metric say of it, filled in step by step. */
interface RequestReport {
  outcome: 'ok' | 'preflight' | 'bad_request' | 'rejected' | 'reauthentication' | 'tool_error' | 'error';
  attributes: Record<string, string>;
}

async function handleSteps(
  request: Request,
  runtime: Runtime,
  logger: Logger,
  report: RequestReport,
  span: ReturnType<typeof activeSpan>,
): Promise<Response> {
  report.outcome = 'bad_request';
  const cors = checkMethodAndOrigin(request, runtime.settings);
  if (cors instanceof Response) {
    if (request.method === 'OPTIONS') report.outcome = 'preflight';
    return cors;
  }
  report.outcome = 'rejected';
  const caller = await authenticate(request, runtime, cors, logger);
  if (caller instanceof Response) return caller;
  report.attributes[ATTR.client] = caller.client;
  span.setAttributes({ [ATTR.client]: caller.client, ...userAttributes(caller.user.oid) });
  report.outcome = 'bad_request';
  const read = await readMessage(request, runtime.settings.maxBodyBytes, cors);
  if (read instanceof Response) return read;
  Object.assign(report.attributes, callAttributes(read.message));
  span.setAttributes(report.attributes);
  logger.info(`mcp: ${describeCall(read.message)} by client ${caller.client}`);
  report.outcome = 'reauthentication';
  const callerArm = await prepareArm(read.message, caller.user, runtime, cors, request, logger);
  if (callerArm instanceof Response) return callerArm;
  report.outcome = 'ok';
  return serve(request, read.message, caller, callerArm, runtime, cors, logger, report);
}

/**
 * Handles one request to `/mcp`, step by step; each step either answers or hands on. Its span (mcp.request) is a
 * child of the Functions host's invocation (`traceContext`); INTERNAL, as the host already reports the HTTP request.
 */
export function handleMcpRequest(
  request: Request,
  runtime: Runtime,
  logger: Logger,
  traceContext?: InvocationTraceContext,
): Promise<Response> {
  const started = performance.now();
  const report: RequestReport = { outcome: 'error', attributes: {} };
  return inSpan(
    SPAN.mcpRequest,
    {},
    async (span) => {
      try {
        const response = await handleSteps(request, runtime, logger, report, span);
        span.setAttributes({ [ATTR.outcome]: report.outcome, [ATTR.httpStatus]: response.status });
        if (report.outcome !== 'ok' && report.outcome !== 'preflight')
          span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      } catch (error) {
        report.outcome = 'error';
        span.setAttribute(ATTR.outcome, 'error');
        throw error;
      } finally {
        meters().requestDuration.record(secondsSince(started), {
          ...report.attributes,
          [ATTR.outcome]: report.outcome,
        });
      }
    },
    { parent: invocationParent(traceContext) },
  );
}
