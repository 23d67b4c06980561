// Client applications of the emulated tenant: the API app itself plus public clients (CLI, VS Code, MCP clients),
// with Entra's redirect URI and consent rules.
//   https://learn.microsoft.com/entra/identity-platform/reply-url#localhost-exceptions
//   https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview
import { Errors } from './entra-errors.js';
import type { ResourceKind } from './scopes.js';
import type { EmulatorClientApp, EmulatorState } from './types.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where a local OAuth proxy (a dev host on any port) gets Entra's answer. */
export const DEFAULT_API_WEB_REDIRECT_URIS = [
  'http://localhost/oauth/callback',
  'http://127.0.0.1/oauth/callback',
];

export function apiClientApp(
  clientId: string,
  webRedirectUris: string[] = DEFAULT_API_WEB_REDIRECT_URIS,
): EmulatorClientApp {
  return {
    clientId,
    name: 'azure-obo-mcp',
    redirectUris: ['http://localhost'],
    webRedirectUris,
    consented: true,
  };
}

/** The tenant's client apps: the API app first (unless `apps` lists it), then `apps`. */
export function withApiApp(
  clientId: string,
  apps: EmulatorClientApp[],
  webRedirectUris?: string[],
): EmulatorClientApp[] {
  const listed = apps.some((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
  return listed ? [...apps] : [apiClientApp(clientId, webRedirectUris), ...apps];
}

export function findClient(state: EmulatorState, clientId: string): EmulatorClientApp | undefined {
  const id = clientId.toLowerCase();
  return state.clientApps.find((a) => a.clientId.toLowerCase() === id);
}

export function isApiApp(state: EmulatorState, client: EmulatorClientApp): boolean {
  return client.clientId.toLowerCase() === state.clientId.toLowerCase();
}

/** `client_id` names an app of this tenant, else AADSTS700016. */
export function requireClient(state: EmulatorState, clientId: string | null): EmulatorClientApp {
  if (!clientId) throw Errors.missingParam('client_id');
  const client = findClient(state, clientId);
  if (!client) throw Errors.unknownClient(clientId, state.tenantId);
  return client;
}

/** Entra's rule: exact match, except that a loopback `http` redirect URI matches on any port. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let reg: URL;
  let req: URL;
  try {
    reg = new URL(registered);
    req = new URL(requested);
  } catch {
    return false;
  }
  return (
    reg.protocol === 'http:' &&
    req.protocol === 'http:' &&
    LOOPBACK_HOSTS.has(reg.hostname) &&
    reg.hostname === req.hostname &&
    reg.pathname === req.pathname &&
    reg.search === req.search &&
    !req.username &&
    !req.password &&
    !req.hash
  );
}

/** Which platform registered `redirectUri` for the client: `public` (mobile and desktop), `web`, or none. */
export function redirectUriPlatform(
  state: EmulatorState,
  client: EmulatorClientApp,
  redirectUri: string,
): 'public' | 'web' | undefined {
  if ((client.redirectUris ?? []).some((r) => redirectUriMatches(r, redirectUri))) return 'public';
  const web = isApiApp(state, client) ? (client.webRedirectUris ?? []) : [];
  return web.some((r) => redirectUriMatches(r, redirectUri)) ? 'web' : undefined;
}

/**
 * The client may get a token for that resource without a consent prompt: the API's scopes need the API app
 * itself, pre-authorization or consent; ARM needs the API app (the only one holding ARM's user_impersonation).
 */
export function checkConsent(
  state: EmulatorState,
  client: EmulatorClientApp,
  kind: ResourceKind,
  error = 'invalid_grant',
): void {
  const own = isApiApp(state, client);
  const ok = kind === 'arm' ? own : own || client.preAuthorized === true || client.consented === true;
  if (!ok) throw Errors.consentRequired(client.clientId, client.name ?? client.clientId, error);
}
