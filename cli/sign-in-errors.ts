import { AuthError } from '@azure/msal-node';
import { ClientError } from './exit-codes.js';
import { DeviceCodeRefusedError } from './entra-network.js';
import type { EntraErrorInfo, EntraRecorder } from './entra-network.js';

/** What the failing sign-in was about, to word the fix. */
export interface SignInContext {
  /** The public client app signing in. */
  clientId: string;
  /** The API's app id (ENTRA_CLIENT_ID); the same as clientId in the single-app setup. */
  apiClientId?: string | undefined;
  tenantId: string;
  authorityHost: string;
  scope: string;
  cachePath: string;
}

const SCOPE_NOT_EXPOSED = new Set([500011, 65005, 650053, 70011, 650057]);

function aadsts(info: EntraErrorInfo): string {
  const code = info.codes[0];
  return code === undefined ? info.error : `AADSTS${code} ${info.error}`;
}

/** Maps an Entra ID error answer to the cause and fix of the demo's failure tables. */
export function explainEntraError(info: EntraErrorInfo, ctx: SignInContext): ClientError {
  const details = { error: info.error, aadsts: info.codes, description: info.description };
  const has = (code: number) => info.codes.includes(code);
  if (has(7000218) || (info.error === 'invalid_client' && info.codes.length === 0)) {
    return new ClientError(
      'sign_in',
      `Entra ID refused the public client sign-in (${aadsts(info)}): public client flows are disabled for app ${ctx.clientId}.`,
      {
        fix: 'Enable public client flows in App Registration → Authentication ("Allow public client flows" = Yes), e.g. az ad app update --id <CLIENT_ID> --is-fallback-public-client true.',
        details,
      },
    );
  }
  if (info.codes.some((c) => SCOPE_NOT_EXPOSED.has(c))) {
    return new ClientError(
      'sign_in',
      `The scope ${ctx.scope} is not available (${aadsts(info)}): the API does not expose it.`,
      {
        fix: `Add the scope api://${ctx.apiClientId ?? ctx.clientId}/execute under App Registration → Expose an API (Application ID URI api://${ctx.apiClientId ?? ctx.clientId}, or the server's MCP URL when ENTRA_APP_ID_URI is set; scope "execute").`,
        details,
      },
    );
  }
  if (has(700016) || info.error === 'unauthorized_client') {
    return new ClientError(
      'sign_in',
      `Entra ID does not know the application ${ctx.clientId} in tenant ${ctx.tenantId} (${aadsts(info)}).`,
      {
        fix: 'Check ENTRA_CLIENT_ID / --client-id and ENTRA_TENANT_ID / --tenant-id.',
        details,
      },
    );
  }
  if (has(90002) || info.error === 'invalid_tenant') {
    return new ClientError(
      'sign_in',
      `Tenant ${ctx.tenantId} was not found at ${ctx.authorityHost} (${aadsts(info)}).`,
      {
        fix: 'Check ENTRA_TENANT_ID / --tenant-id and ENTRA_AUTHORITY_HOST / --authority-host.',
        details,
      },
    );
  }
  if (has(70019) || info.error === 'expired_token') {
    return new ClientError(
      'sign_in',
      `The device code expired before the sign-in was completed (${aadsts(info)}).`,
      {
        fix: 'Run the command again and complete the sign-in in the browser before the code expires.',
        details,
      },
    );
  }
  if (has(65001) || info.error === 'consent_required') {
    return new ClientError('sign_in', `Consent is missing for app ${ctx.clientId} (${aadsts(info)}).`, {
      fix:
        ctx.apiClientId && ctx.apiClientId.toLowerCase() !== ctx.clientId.toLowerCase()
          ? `Pre-authorize the CLI app ${ctx.clientId} for the "execute" scope on the API app ${ctx.apiClientId} (Expose an API → Authorized client applications), or grant admin consent.`
          : 'Grant admin consent for the API permissions in App Registration → API permissions.',
      details,
    });
  }
  if (info.error === 'invalid_grant') {
    return new ClientError('sign_in', `The cached sign-in is no longer valid (${aadsts(info)}).`, {
      fix: `Run "azure-obo-mcp logout" (or delete ${ctx.cachePath}) and sign in again.`,
      details,
    });
  }
  return new ClientError('sign_in', `Sign-in failed: ${info.description || aadsts(info)}`, {
    fix: 'See the AADSTS code at https://login.microsoftonline.com/error.',
    details,
  });
}

/** Turns any sign-in failure into a ClientError with a cause and a fix (no secrets, no stack). */
export function explainSignInError(error: unknown, network: EntraRecorder, ctx: SignInContext): ClientError {
  if (error instanceof ClientError) return error;
  if (error instanceof DeviceCodeRefusedError) return explainEntraError(error.info, ctx);
  const code = error instanceof AuthError ? error.errorCode : '';
  if (code === 'device_code_expired' || code === 'user_timeout_reached') {
    return new ClientError('sign_in', 'The device code expired before the sign-in was completed.', {
      fix: 'Run the command again and complete the sign-in in the browser before the code expires.',
      cause: error,
    });
  }
  if (network.lastError) {
    const explained = explainEntraError(network.lastError, ctx);
    return new ClientError(explained.kind, explained.message, {
      fix: explained.fix,
      details: explained.details,
      cause: error,
    });
  }
  if (network.lastNetworkFailure) {
    return new ClientError('sign_in', `Cannot reach Entra ID: ${network.lastNetworkFailure}.`, {
      fix: 'Check your network and ENTRA_AUTHORITY_HOST / --authority-host.',
      cause: error,
    });
  }
  const message =
    error instanceof AuthError
      ? `${error.errorCode}${error.errorMessage ? `: ${error.errorMessage}` : ''}`
      : error instanceof Error
        ? error.message
        : String(error);
  return new ClientError('sign_in', `Sign-in failed: ${message}`, {
    fix: `Check ENTRA_CLIENT_ID, ENTRA_TENANT_ID and ENTRA_AUTHORITY_HOST; if it persists, run "azure-obo-mcp logout" (or delete ${ctx.cachePath}).`,
    cause: error,
  });
}
