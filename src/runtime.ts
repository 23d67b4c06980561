import { setImmediate as yieldToIo } from 'node:timers/promises';
import { ArmClient, loadArmSdk } from './arm/arm-client.js';
import { TenantDiscovery } from './auth/discovery.js';
import { TokenVerifier } from './auth/verifier.js';
import type { VerifiedUser } from './auth/verifier.js';
import { loadSettings } from './config/settings.js';
import type { Settings } from './config/settings.js';
import { AppError, OboError } from './errors.js';
import { createCredentialSource, loadCredentialModules } from './obo/create-source.js';
import type { ClientCredentialSource } from './obo/credential-source.js';
import type { ArmAccessToken, OboClient } from './obo/obo-client.js';
import { createProxyKeySource } from './oauth/key-source.js';
import type { OAuthProxy } from './oauth/proxy.js';
import { withTelemetryLog } from './telemetry/state.js';
import { consoleLogger, redact } from './util/log.js';
import type { Logger } from './util/log.js';

export type ArmTokenSource = Pick<OboClient, 'getArmToken' | 'evict'>;

/** Process-wide services, built once: settings, token verifier (JWKS), OBO client (MSAL). */
export interface Runtime {
  settings: Settings;
  verifier: TokenVerifier;
  obo: ArmTokenSource;
  /**
   * An ARM client acting as `user`. `token` hands out the user's OBO token (by default `obo.getArmToken`; the
   * request path wraps it to notice failures that need a new sign-in).
   */
  armClient(user: VerifiedUser, token?: () => Promise<ArmAccessToken>): ArmClient;
  /** MCP_OAUTH_PROXY=on: the OAuth proxy (loaded on first use); undefined when off. */
  proxy: (() => Promise<OAuthProxy>) | undefined;
  /**
   * Warms what a first request needs, in parallel: discovery (v1, v2), the v2 key set, the OBO credential, the
   * lazily loaded modules (the credential's first), and in-process warm-ups of MSAL's token path, the MCP server
   * and the ARM client. Runs once (later calls return the same promise), never rejects, logs one
   * line on failure; whatever failed is simply fetched again on demand by the first request.
   */
  prefetch(): Promise<void>;
}

export interface RuntimeOptions {
  /** Default: the one OBO_CREDENTIAL asks for. */
  source?: ClientCredentialSource;
}

// One ARM listing pages through results and the SDK pipeline retries throttled or failed pages, so it gets the
// budget of several single upstream calls rather than one.
const ARM_LISTING_BUDGET_CALLS = 3;

/** Wires an ArmClient for `user` from the settings and the OBO client (also used by tests' fake runtimes). */
export function armClientFor(
  settings: Settings,
  obo: ArmTokenSource,
  user: VerifiedUser,
  token: () => Promise<ArmAccessToken> = () => obo.getArmToken(user),
): ArmClient {
  return new ArmClient(token, {
    endpoint: settings.armEndpoint,
    timeoutMs: settings.upstreamTimeoutMs * ARM_LISTING_BUDGET_CALLS,
    // ARM rejected the token (revoked under continuous access evaluation): forget it, exchange afresh.
    onUnauthorized: (rejected) => obo.evict(user, rejected),
  });
}

// A warm-up whose prerequisite failed is skipped; the prerequisite's own step reports the failure.
const skipped = (): void => undefined;

function describeFailure(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${redact(error.message)}`;
  return error instanceof Error ? error.name : 'unknown error';
}

// The all-zero GUID local.settings.sample.json ships: valid in form, so settings pass, but no tenant or app has it.
const PLACEHOLDER_GUID = '00000000-0000-0000-0000-000000000000';

// Once, at start: a setting still holding the sample's placeholder makes every sign-in and token check fail.
function warnPlaceholders(settings: Settings, logger: Logger): void {
  const placeholders: [string, string | undefined][] = [
    ['ENTRA_TENANT_ID', settings.tenantId],
    ['ENTRA_CLIENT_ID', settings.clientId],
    [
      'MANAGED_IDENTITY_CLIENT_ID',
      settings.credential.mode === 'secret' ? undefined : settings.credential.managedIdentityClientId,
    ],
  ];
  for (const [name, value] of placeholders) {
    if (value === PLACEHOLDER_GUID)
      logger.warn(
        `config: ${name} is the placeholder all-zero GUID of local.settings.sample.json; no token can match it until you set your own.`,
      );
  }
}

// Once, at start: which client applications may call (ENTRA_ALLOWED_CLIENT_IDS).
function logClientPolicy(settings: Settings, logger: Logger): void {
  if (settings.allowedClientIds === '*') {
    logger.warn(
      'auth: ENTRA_ALLOWED_CLIENT_IDS=* — any client application with a token for this API may call, including apps users consented to by mistake.',
    );
    return;
  }
  logger.info(`auth: client applications allowed to call: ${settings.allowedClientIds.join(', ')}`);
}

export function createRuntime(
  settings: Settings,
  logger: Logger = withTelemetryLog(consoleLogger),
  env: NodeJS.ProcessEnv = process.env,
  options: RuntimeOptions = {},
): Runtime {
  const discovery = new TenantDiscovery(
    settings.authorityHost,
    settings.tenantId,
    settings.upstreamTimeoutMs,
  );
  const verifier = new TokenVerifier(discovery, {
    clientId: settings.clientId,
    appIdUri: settings.appIdUri,
    requiredScope: settings.requiredScope,
    acceptedVersions: settings.acceptedTokenVersions,
    allowedClientIds: settings.allowedClientIds,
    timeoutMs: settings.upstreamTimeoutMs,
    maxCachedTokens: settings.oboCacheMaxUsers,
  });
  warnPlaceholders(settings, logger);
  logClientPolicy(settings, logger);
  const source = options.source ?? createCredentialSource(settings, logger, env);

  // MSAL is loaded on first use (or by the prefetch), off the module-load path of the app.
  let client: Promise<OboClient> | undefined;
  let loaded: OboClient | undefined;
  const loadObo = (): Promise<OboClient> => {
    client ??= import('./obo/obo-client.js').then(
      ({ OboClient }) =>
        (loaded = new OboClient({
          clientId: settings.clientId,
          tenantId: settings.tenantId,
          authorityHost: settings.authorityHost,
          armEndpoint: settings.armEndpoint,
          timeoutMs: settings.upstreamTimeoutMs,
          source,
          logger,
          v2Document: () => discovery.current()?.v2Document,
          maxCachedUsers: settings.oboCacheMaxUsers,
          credentialMode: settings.credential.mode,
        })),
      (error: unknown) => {
        client = undefined; // a failed import is retried by the next caller, not remembered
        throw error;
      },
    );
    return client;
  };
  const proxyKeys = settings.oauthProxy.enabled
    ? createProxyKeySource(settings.oauthProxy.key, settings.upstreamTimeoutMs, logger, env)
    : undefined;
  let proxy: Promise<OAuthProxy> | undefined;
  const loadProxy = (keys: NonNullable<typeof proxyKeys>) => (): Promise<OAuthProxy> =>
    (proxy ??= import('./oauth/proxy.js').then(
      ({ createOAuthProxy }) =>
        createOAuthProxy({
          settings,
          keys,
          source,
          logger,
          stepUpClaims: async (token) => {
            try {
              await obo.getArmToken(await verifier.verify(token, { viaProxy: true }));
              return undefined;
            } catch (error) {
              return error instanceof OboError && error.needsReauthentication ? error.claims : undefined;
            }
          },
          v2Document: () => discovery.current()?.v2Document,
        }),
      (error: unknown) => {
        proxy = undefined; // a failed import is retried by the next caller, not remembered
        throw error;
      },
    ));

  const obo: ArmTokenSource = {
    getArmToken: async (user: VerifiedUser): Promise<ArmAccessToken> => (await loadObo()).getArmToken(user),
    // Only called after ARM rejected a token this client handed out, so the client is loaded by then.
    evict: (user: VerifiedUser, rejected?: string): void => loaded?.evict(user, rejected),
  };

  let prefetched: Promise<void> | undefined;
  const prefetch = (): Promise<void> => {
    prefetched ??= (async () => {
      const started = performance.now();
      const keys = verifier.warmUp();
      const credential = source.prefetch?.() ?? Promise.resolve();
      // The credential's requests are the longest chain at start (Key Vault: token and challenge, then the read;
      // then OBO, then ARM). Its SDKs load first; the others load while its requests are in flight instead of
      // competing with them for the one JavaScript thread.
      const credentialModules = options.source
        ? Promise.resolve()
        : loadCredentialModules(settings.credential.mode).catch(() => undefined);
      // One at a time, yielding in between: evaluating a large chunk blocks the thread, and the credential's
      // responses arriving meanwhile must get through to send its next request.
      const modules = credentialModules.then(async () => {
        const obo = await loadObo();
        await yieldToIo();
        await loadArmSdk();
        await yieldToIo();
        await import('./mcp/handler.js');
        if (proxyKeys) {
          await yieldToIo();
          await loadProxy(proxyKeys)();
        }
        return obo;
      });
      // First uses compile and build much (MSAL's token path, the MCP SDK's schemas, the ARM SDK's pipeline): the
      // in-process warm-ups run while the credential's requests are in flight, rather than for the first caller,
      // each after a yield and only once what it needs succeeded (a failure is reported once, by its own step).
      const warm = (warmUp: (obo: OboClient) => Promise<void>, after: Promise<unknown> = modules) =>
        Promise.all([modules, after]).then(([obo]) => yieldToIo().then(() => warmUp(obo)), skipped);
      const tokenPath = warm((obo) => obo.warmUpTokenPath(), keys);
      const mcpServer = warm(() => import('./mcp/server.js').then((m) => m.warmUpMcpServer()));
      // The MSAL application for the credential, once there is one (a failed read is retried on demand, not here).
      const application = warm((obo) => obo.warmUp(), credential);
      const steps: [string, Promise<unknown>][] = [
        ['Entra ID discovery and signing keys', keys],
        ['OBO credential', credential],
        ['modules', modules],
        ['MSAL token path', tokenPath],
        ['MSAL application', application],
        ['MCP server', mcpServer],
        ...(proxyKeys ? ([['OAuth proxy keys', proxyKeys.prefetch()]] as [string, Promise<unknown>][]) : []),
      ];
      const results = await Promise.allSettled(steps.map(([, step]) => step));
      const failed = results.flatMap((r, i) =>
        r.status === 'rejected' ? [`${steps[i]![0]} (${describeFailure(r.reason)})`] : [],
      );
      const ms = Math.round(performance.now() - started);
      if (failed.length > 0) {
        logger.warn(`prefetch: ${failed.join('; ')} failed after ${ms} ms; requests fetch them on demand.`);
      } else {
        logger.info(`prefetch: discovery, signing keys, OBO credential and modules ready in ${ms} ms.`);
      }
    })();
    return prefetched;
  };

  const armClient = (user: VerifiedUser, token?: () => Promise<ArmAccessToken>): ArmClient =>
    armClientFor(settings, obo, user, token);

  return {
    settings,
    verifier,
    obo,
    armClient,
    proxy: proxyKeys ? loadProxy(proxyKeys) : undefined,
    prefetch,
  };
}

let runtime: Runtime | undefined;
let startupError: Error | undefined;

/** The process's runtime, built from the environment on first use; a bad setting fails every time. */
export function getRuntime(): Runtime {
  if (startupError) throw startupError;
  try {
    runtime ??= createRuntime(loadSettings(process.env));
  } catch (error) {
    startupError = error instanceof Error ? error : new Error(String(error));
    throw startupError;
  }
  return runtime;
}
