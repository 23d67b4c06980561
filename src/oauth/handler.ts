// The OAuth proxy's HTTP surface: one function per endpoint, each reading at most what it needs from the request
// and answering through responses.ts. Loaded on first use (the functions import it lazily).
import { AppError, CredentialError, OAuthProxyError } from '../errors.js';
import { readAtMost } from '../util/body.js';
import { fingerprint } from '../util/log.js';
import type { Logger } from '../util/log.js';
import { ATTR } from '../telemetry/names.js';
import { activeSpan, markFailed } from '../telemetry/telemetry.js';
import { authorize, callback, consent } from './authorize.js';
import { clientTelemetryLabel } from './client-label.js';
import type { ProxyContext } from './context.js';
import { nowSec } from './context.js';
import { authorizationServerMetadata } from './metadata.js';
import { errorPage } from './pages.js';
import { register, MAX_REGISTRATION_BYTES } from './registration.js';
import { jsonResponse, oauthErrorJson, pageResponse } from './responses.js';
import { token } from './token.js';

export type ProxyEndpoint = 'metadata' | 'register' | 'authorize' | 'consent' | 'callback' | 'token';

/** Largest form body (token request, consent form): codes and tokens are a few KB. */
const MAX_FORM_BYTES = 32 * 1024;

async function readBody(request: Request, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return undefined;
  const chunks: Uint8Array[] = [];
  if (request.body && !(await readAtMost(request.body.getReader(), maxBytes, (c) => chunks.push(c))))
    return undefined;
  return Buffer.concat(chunks);
}

function isType(request: Request, type: string): boolean {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() === type;
}

async function readForm(request: Request): Promise<URLSearchParams> {
  if (!isType(request, 'application/x-www-form-urlencoded')) {
    throw new OAuthProxyError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.');
  }
  const body = await readBody(request, MAX_FORM_BYTES);
  if (!body)
    throw new OAuthProxyError('invalid_request', `The request body exceeds ${MAX_FORM_BYTES} bytes.`, {
      status: 413,
    });
  const form = new URLSearchParams(body.toString('utf8'));
  // RFC 6749 §3.1: parameters must not repeat; a second value would be read by one check and not another.
  const names = [...form.keys()];
  if (new Set(names).size !== names.length)
    throw new OAuthProxyError('invalid_request', 'A parameter is repeated.');
  return form;
}

async function registration(ctx: ProxyContext, request: Request): Promise<Response> {
  if (!isType(request, 'application/json')) {
    throw new OAuthProxyError('invalid_client_metadata', 'Send the registration as application/json.');
  }
  const body = await readBody(request, MAX_REGISTRATION_BYTES);
  if (!body) {
    throw new OAuthProxyError(
      'invalid_client_metadata',
      `The registration exceeds ${MAX_REGISTRATION_BYTES} bytes.`,
      {
        status: 413,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new OAuthProxyError('invalid_client_metadata', 'The registration is not valid JSON.');
  }
  const registered = await register(parsed, await ctx.keys(), nowSec(ctx));
  activeSpan().setAttributes({
    [ATTR.client]: clientTelemetryLabel(String(registered.client_id)),
    [ATTR.oauthClientType]: 'registration',
  });
  ctx.logger.info(`oauth proxy: client registered (${fingerprint(String(registered.client_id))})`);
  return jsonResponse(201, registered);
}

// Browser endpoints answer with pages; the others with JSON.
const PAGES = new Set<ProxyEndpoint>(['authorize', 'consent', 'callback']);

async function route(endpoint: ProxyEndpoint, ctx: ProxyContext, request: Request): Promise<Response> {
  switch (endpoint) {
    case 'metadata':
      return jsonResponse(200, authorizationServerMetadata(ctx.settings, request.url), {
        'Cache-Control': 'public, max-age=3600',
        Pragma: '',
      });
    case 'register':
      return registration(ctx, request);
    case 'token':
      return token(ctx, request, await readForm(request));
    case 'authorize':
      return authorize(ctx, request);
    case 'consent':
      return consent(ctx, request, await readForm(request));
    case 'callback':
      return callback(ctx, request);
  }
}

// Failures of the server's own key store that pass by themselves.
const TRANSIENT = new Set(['keyvault_unavailable', 'identity_unavailable']);

function asProxyError(error: unknown): OAuthProxyError {
  if (error instanceof OAuthProxyError) return error;
  const incident = fingerprint(`${Date.now()}:${Math.random()}`);
  if (error instanceof CredentialError && TRANSIENT.has(error.code)) {
    return new OAuthProxyError(
      'temporarily_unavailable',
      `The server's key store is unreachable; retry shortly (incident ${incident}).`,
      { cause: error, retryAfterSec: 5 },
    );
  }
  return new OAuthProxyError(
    'server_error',
    `The server could not handle the request (incident ${incident}).`,
    {
      cause: error,
    },
  );
}

/** Answers one request to a proxy endpoint; failures become OAuth errors, never a stack. */
export async function handleProxyRequest(
  endpoint: ProxyEndpoint,
  ctx: ProxyContext,
  request: Request,
  logger: Logger,
): Promise<Response> {
  try {
    return await route(endpoint, ctx, request);
  } catch (error) {
    const known = asProxyError(error);
    if (!(error instanceof OAuthProxyError)) {
      const what =
        error instanceof AppError
          ? `${error.code}: ${error.message}`
          : error instanceof Error
            ? error.name
            : 'unknown';
      logger.error(`oauth proxy: ${endpoint} failed (${known.message}): ${what}`);
    } else if (known.status >= 500) {
      logger.warn(`oauth proxy: ${endpoint} failed: ${known.code}`);
    }
    if (PAGES.has(endpoint)) {
      markFailed(known.code);
      return pageResponse(errorPage(known.status, 'This sign-in request cannot be completed', known.message));
    }
    return oauthErrorJson(known);
  }
}
