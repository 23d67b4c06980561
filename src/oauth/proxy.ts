// The OAuth proxy (MCP_OAUTH_PROXY=on), assembled once per process from the settings and the runtime's parts.
import type { Settings } from '../config/settings.js';
import type { ClientCredentialSource } from '../obo/credential-source.js';
import { boundedCache } from '../util/cache.js';
import { isLoopbackUrl } from '../util/loopback.js';
import type { Logger } from '../util/log.js';
import { ATTR, SPAN } from '../telemetry/names.js';
import { SpanStatusCode, inSpan, invocationParent } from '../telemetry/telemetry.js';
import type { InvocationTraceContext } from '../telemetry/telemetry.js';
import { ClientResolver } from './clients.js';
import type { ProxyContext } from './context.js';
import { EntraSignIn } from './entra-sign-in.js';
import { handleProxyRequest } from './handler.js';
import type { ProxyEndpoint } from './handler.js';
import type { ProxyKeySource } from './key-source.js';
import { unwrapAccessToken } from './token.js';
import type { UnwrappedToken } from './token.js';

export type { ProxyEndpoint } from './handler.js';

export interface OAuthProxy {
  /** `traceContext`: the host's invocation, the parent of the endpoint's span (oauth.<endpoint>). */
  handle(
    endpoint: ProxyEndpoint,
    request: Request,
    logger: Logger,
    traceContext?: InvocationTraceContext,
  ): Promise<Response>;
  /** Opens one of the proxy's access tokens presented at /mcp (throws TokenError when it is not one). */
  unwrap(token: string, requestUrl: string): Promise<UnwrappedToken>;
}

export interface OAuthProxyOptions {
  settings: Settings;
  keys: ProxyKeySource;
  /** The app's credential, as for On-Behalf-Of. */
  source: ClientCredentialSource;
  logger: Logger;
  /** See ProxyContext.stepUpClaims. */
  stepUpClaims: (entraAccessToken: string) => Promise<string | undefined>;
  v2Document?: () => string | undefined;
  now?: () => number;
}

// Codes are single use per instance: each seen code is remembered until it expires anyway (60 s).
const MAX_REMEMBERED_CODES = 10_000;

/**
 * The upstream scope of the proxy's own sign-in. Entra lets an app request a token for itself only under its
 * GUID-based identifier (AADSTS90009), so an https Application ID URI is replaced by the bare client id.
 */
function upstreamScope(settings: Settings): string {
  const base = settings.appIdUri === `api://${settings.clientId}` ? settings.appIdUri : settings.clientId;
  return `${base}/${settings.requiredScope}`;
}

export function createOAuthProxy(options: OAuthProxyOptions): OAuthProxy {
  const { settings, logger } = options;
  const now = options.now ?? Date.now;
  const usedCodes = boundedCache<string, true>(now, { max: MAX_REMEMBERED_CODES });
  const ctx: ProxyContext = {
    settings,
    keys: (sealed) => options.keys.get(sealed),
    clients: new ClientResolver({
      keys: (sealed) => options.keys.get(sealed),
      // The CIMD draft's one exception: a server on loopback may fetch documents from loopback.
      fetch: { allowLoopback: settings.publicUrl !== undefined && isLoopbackUrl(settings.publicUrl) },
      now,
    }),
    signIn: new EntraSignIn({
      clientId: settings.clientId,
      tenantId: settings.tenantId,
      authorityHost: settings.authorityHost,
      timeoutMs: settings.upstreamTimeoutMs,
      source: options.source,
      logger,
      scope: upstreamScope(settings),
      ...(options.v2Document ? { v2Document: options.v2Document } : {}),
    }),
    stepUpClaims: options.stepUpClaims,
    useCode: (id, expiresAt) => {
      if (usedCodes.has(id)) return false;
      usedCodes.set(id, true, { ttl: Math.max(1, expiresAt * 1000 - now()) });
      return true;
    },
    logger,
    now,
  };
  return {
    // INTERNAL, a child of the host's invocation: the host already reports the HTTP request itself.
    handle: (endpoint, request, requestLogger, traceContext) =>
      inSpan(
        SPAN.oauth(endpoint),
        {},
        async (span) => {
          const response = await handleProxyRequest(
            endpoint,
            { ...ctx, logger: requestLogger },
            request,
            requestLogger,
          );
          span.setAttribute(ATTR.httpStatus, response.status);
          if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
          return response;
        },
        { parent: invocationParent(traceContext) },
      ),
    unwrap: (token, requestUrl) => unwrapAccessToken(ctx, token, requestUrl),
  };
}
