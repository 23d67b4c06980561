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
    timeoutMs: settings.upstreamTimeoutMs,
  });
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
