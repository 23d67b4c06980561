import { TenantDiscovery } from './auth/discovery.js';
import { TokenVerifier } from './auth/verifier.js';
import { loadSettings } from './config/settings.js';
import type { Settings } from './config/settings.js';
import { createCredentialSource } from './obo/create-source.js';
import { OboClient } from './obo/obo-client.js';
import { consoleLogger } from './util/log.js';
import type { Logger } from './util/log.js';

/** Process-wide services, built once: settings, token verifier (JWKS), OBO client (MSAL). */
export interface Runtime {
  settings: Settings;
  verifier: TokenVerifier;
  obo: OboClient;
}

/** Logs once, at start, which client applications may call (ENTRA_ALLOWED_CLIENT_IDS). */
function logClientPolicy(settings: Settings, logger: Logger): void {
  if (settings.allowedClientIds === '*') {
    logger.warn(
      'auth: ENTRA_ALLOWED_CLIENT_IDS=* — any client application with a token for this API may call, including apps users consented to by mistake.',
    );
    return;
  }
  logger.info(`auth: client applications allowed to call: ${settings.allowedClientIds.join(', ')}`);
}

/** Builds the process-wide services from validated settings. */
export function createRuntime(
  settings: Settings,
  logger: Logger = consoleLogger,
  env: NodeJS.ProcessEnv = process.env,
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
    allowedClientIds: settings.allowedClientIds,
    timeoutMs: settings.upstreamTimeoutMs,
  });
  logClientPolicy(settings, logger);
  const source = createCredentialSource(settings, logger, env);
  const obo = new OboClient({
    clientId: settings.clientId,
    tenantId: settings.tenantId,
    authorityHost: settings.authorityHost,
    armEndpoint: settings.armEndpoint,
    timeoutMs: settings.upstreamTimeoutMs,
    source,
    logger,
  });
  return { settings, verifier, obo };
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
