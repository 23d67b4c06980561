import { CredentialError } from '../errors.js';

/** True for failures raised by @azure/identity while getting the server's own token. */
function isIdentityFailure(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return (
    name === 'CredentialUnavailableError' ||
    name === 'AuthenticationError' ||
    name === 'AggregateAuthenticationError'
  );
}

// Says to retry: a managed identity endpoint failure usually passes.
export function identityError(error: unknown): CredentialError {
  return new CredentialError(
    'identity_unavailable',
    'The server could not get a token for its managed identity; retry shortly. If it persists, check the identity is assigned to the app.',
    { cause: error },
  );
}

/** Maps a Key Vault read failure to a CredentialError; names the vault and secret, never the value. */
export function keyVaultError(error: unknown, vaultUrl: string, secretName: string): CredentialError {
  if (error instanceof CredentialError) return error;
  if (isIdentityFailure(error)) return identityError(error);
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 404) {
    return new CredentialError(
      'secret_not_found',
      `Configuration error: secret '${secretName}' was not found in Key Vault ${vaultUrl}. Check KEY_VAULT_SECRET_NAME and that the secret exists.`,
      { cause: error },
    );
  }
  if (status === 401 || status === 403) {
    return new CredentialError(
      'keyvault_forbidden',
      `Configuration error: the server's identity may not read secrets in Key Vault ${vaultUrl}. Grant it the 'Key Vault Secrets User' role.`,
      { cause: error },
    );
  }
  return new CredentialError('keyvault_unavailable', 'Key Vault could not be reached; retry shortly.', {
    cause: error,
  });
}
