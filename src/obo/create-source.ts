import type { Settings } from '../config/settings.js';
import type { Logger } from '../util/log.js';
import type { ClientCredentialSource } from './credential-source.js';
import {
  loadIdentitySdk,
  managedIdentityCredential,
  runsWithManagedIdentity,
  serverIdentity,
} from './identity.js';
import { KeyVaultCredentialSource } from './keyvault-source.js';
import { ManagedIdentityAssertionSource } from './mi-assertion-source.js';
import { SecretCredentialSource } from './secret-source.js';

export function createCredentialSource(
  settings: Settings,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): ClientCredentialSource {
  const { credential, upstreamTimeoutMs } = settings;
  switch (credential.mode) {
    case 'secret':
      logger.warn(
        'OBO_CREDENTIAL=secret: the client secret comes from an app setting. Use it for local development only; deploy with keyvault or managed-identity.',
      );
      return new SecretCredentialSource(credential.secret);
    case 'keyvault':
      return new KeyVaultCredentialSource({
        vaultUrl: credential.vaultUrl,
        secretName: credential.secretName,
        ttlMs: credential.secretTtlMs,
        timeoutMs: upstreamTimeoutMs,
        identity: serverIdentity(credential.managedIdentityClientId, env),
        primeIdentity: runsWithManagedIdentity(env),
        logger,
      });
    case 'managed-identity':
      return new ManagedIdentityAssertionSource(
        managedIdentityCredential(credential.managedIdentityClientId),
        upstreamTimeoutMs,
      );
  }
}

/** Imports the SDKs the credential's first requests need (none for a secret setting). */
export async function loadCredentialModules(mode: Settings['credential']['mode']): Promise<void> {
  if (mode === 'keyvault') await Promise.all([loadIdentitySdk(), import('@azure/keyvault-secrets')]);
  if (mode === 'managed-identity') await loadIdentitySdk();
}
