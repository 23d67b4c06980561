// What to do about a failed tool call, by the stable code the server puts at the end of its message
// (`… [arm_forbidden]`, see src/mcp/error-mapping.ts and the README's troubleshooting table).

const REPORT = "report the incident id in the message to the server's operator";
const SIGN_IN_AGAIN = 'Sign in again: azure-obo-mcp logout, then run the command again.';

const FIXES: Readonly<Record<string, string>> = {
  // On-Behalf-Of (Entra ID)
  consent_required:
    "An admin grants consent to the API app's Azure Service Management permission: az ad app permission admin-consent --id <ENTRA_CLIENT_ID> (or the portal).",
  interaction_required: `Entra ID needs an interactive sign-in (e.g. to register MFA). ${SIGN_IN_AGAIN}`,
  invalid_grant: SIGN_IN_AGAIN,
  invalid_client: `The server's own credential is wrong (secret expired or rotated, or no matching federated credential); ${REPORT}.`,
  unauthorized_client: `The API app lacks the Azure Service Management user_impersonation permission (with admin consent); ${REPORT}.`,
  invalid_scope: `The API app lacks the Azure Service Management user_impersonation permission (with admin consent); ${REPORT}.`,
  obo_unavailable: 'Entra ID is unreachable or failing: retry shortly.',
  obo_throttled: 'Entra ID throttles this server: wait the seconds the message gives, then retry.',
  obo_failed: `Entra ID refused the On-Behalf-Of exchange; ${REPORT} (the app registration needs checking).`,
  // The server's own configuration and credential services
  config_invalid: `The server is misconfigured; ${REPORT}.`,
  secret_not_found: `The server's Key Vault secret is missing; ${REPORT}.`,
  keyvault_forbidden: `The server's identity may not read its Key Vault secret (Key Vault Secrets User); ${REPORT}.`,
  credential_failed: `The server could not get its own credential; ${REPORT}.`,
  keyvault_unavailable: `A service the server depends on is unreachable: retry shortly, and ${REPORT} if it persists.`,
  identity_unavailable: `A service the server depends on is unreachable: retry shortly, and ${REPORT} if it persists.`,
  // Azure Resource Manager
  arm_forbidden:
    'You have no Azure RBAC role there: ask an owner of the subscription or resource group for one, such as Reader.',
  arm_unauthorized: `Azure Resource Manager rejected your token twice. ${SIGN_IN_AGAIN}`,
  arm_not_found:
    'Check the ids: azure-obo-mcp call get_subscriptions lists your subscriptions, list_resource_groups their groups.',
  arm_throttled: 'Azure Resource Manager throttles your requests: wait a minute, then retry.',
  arm_timeout: 'Azure Resource Manager did not answer in time: retry shortly.',
  arm_unavailable: 'Azure Resource Manager is failing or unreachable: retry shortly.',
  timeout: 'An upstream service did not answer in time: retry shortly.',
  arm_bad_request: "Check the tool's arguments: azure-obo-mcp --help lists each tool's arguments.",
  arm_failed: `Retry; if it persists, ${REPORT}.`,
  internal_error: `Retry; if it persists, ${REPORT}.`,
};

/** Without a code (an unknown tool, arguments the tool's schema refuses): the usage. */
export const TOOL_USAGE_FIX =
  'Check the tool name and its arguments: azure-obo-mcp --help lists the tools and their arguments.';

/** The error code at the end of a tool error's text, if any. */
export function toolErrorCode(text: string): string | undefined {
  return /\[([a-z][a-z_]*)\]\s*$/.exec(text)?.[1];
}

/** What to do about a tool error with this text. */
export function toolErrorFix(text: string): string {
  const code = toolErrorCode(text);
  return (code !== undefined && FIXES[code]) || TOOL_USAGE_FIX;
}
