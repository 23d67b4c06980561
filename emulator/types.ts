// Public types of the emulator, and the shared state its services read and write.
import type { SigningKey } from './signing.js';

export type ServiceName = 'entra' | 'arm' | 'keyvault' | 'identity';
export type CredentialMode = 'secret' | 'keyvault' | 'managed-identity';

export interface EmulatorResource {
  name: string;
  /** Full ARM type, e.g. `Microsoft.Storage/storageAccounts`. */
  type: string;
  location: string;
}

export interface EmulatorResourceGroup {
  name: string;
  location: string;
  resources?: EmulatorResource[];
}

export interface EmulatorSubscription {
  subscriptionId: string;
  displayName: string;
  state?: 'Enabled' | 'Disabled' | 'Warned' | 'PastDue';
  resourceGroups?: EmulatorResourceGroup[];
}

export interface EmulatorUser {
  oid: string;
  upn: string;
  name: string;
  subscriptions: EmulatorSubscription[];
  /** OBO for this user fails with invalid_grant / consent_required (AADSTS65001). */
  consentRequired?: boolean;
  /** Every ARM call with this user's token fails with 403 AuthorizationFailed. */
  armForbidden?: boolean;
  /**
   * Conditional Access asks for MFA on ARM: OBO fails with interaction_required (AADSTS50076) and a claims
   * challenge unless the assertion's `amr` contains `mfa`.
   */
  armMfaRequired?: boolean;
  /** The user's sessions were revoked: OBO fails with invalid_grant (AADSTS50173), without claims. */
  sessionRevoked?: boolean;
  /**
   * The interactive sign-in at the authorize endpoint ends in an error sent to the redirect URI: the user declines
   * the consent prompt (`consent_required`, AADSTS65004) or Conditional Access blocks them (`access_denied`, AADSTS53003).
   */
  signInError?: 'consent_declined' | 'conditional_access';
}

/** A public client application known to the tenant (Entra "Mobile and desktop applications" platform). */
export interface EmulatorClientApp {
  clientId: string;
  name?: string;
  /** Loopback (`http://localhost`, `http://127.0.0.1`, `http://[::1]`) entries match on any port. */
  redirectUris?: string[];
  /**
   * "Web" platform redirect URIs (the API app only: the emulator knows no other confidential client). A code issued
   * for one is redeemed only with the app's credential (client secret or federated assertion), as in Entra.
   */
  webRedirectUris?: string[];
  /** Listed in the API's preAuthorizedApplications: no consent needed for the API's scopes. */
  preAuthorized?: boolean;
  /** Users (or an admin) consented to the API's scopes for this client. */
  consented?: boolean;
}

export interface EmulatorOptions {
  tenantId?: string;
  /** The app registration (GUID) that exposes the API and does OBO; also the public client of the CLI. */
  clientId?: string;
  clientSecret?: string;
  users?: EmulatorUser[];
  /** ARM page size for every list (default 2). `$top` overrides it per request. */
  armPageSize?: number;
  /** Where the CA and token-signing key live (default process.env.EMULATOR_CA_DIR ?? a temp dir). */
  caDir?: string;
  /** oid or upn of the user who approves every device code as soon as it is issued. */
  autoApproveDeviceCode?: string;
  /** "Allow public client flows" of the app registration (default true). */
  publicClientFlowsEnabled?: boolean;
  /** Delegated scopes the API exposes (default ['execute']). */
  exposedScopes?: string[];
  managedIdentity?: { clientId: string; principalId: string };
  /** Key Vault secret that holds the app's client secret at start (default 'obo-client-secret'). */
  keyVaultSecretName?: string;
  /** Lifetime of every token issued (default 3600). */
  tokenLifetimeSec?: number;
  /** Access token version for the app's own API (the manifest's accessTokenAcceptedVersion; default 2). */
  userTokenVersion?: 1 | 2;
  /** `interval` of device code responses, i.e. MSAL's polling period (default 1; real Entra says 5). */
  deviceCodeIntervalSec?: number;
  /** `expires_in` of device codes (default 900, like Entra). */
  deviceCodeLifetimeSec?: number;
  /** Fixed ports (default: random). Useful to restart an emulator where SDKs cached its URLs. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Fixed X-IDENTITY-HEADER value (default: random per start). */
  identityHeader?: string;
  /** Application ID URIs of the API app (default [`api://<clientId>`]). */
  identifierUris?: string[];
  /** Public client apps besides the API app itself (default: see defaultClientApps in defaults.ts). */
  clientApps?: EmulatorClientApp[];
  /**
   * "Web" redirect URIs of the API app, e.g. the OAuth proxy's `<origin>/oauth/callback` (default: that path on
   * http://localhost and http://127.0.0.1, any port).
   */
  apiWebRedirectUris?: string[];
  /** oid or upn the "browser" signs in as at the authorize endpoint when no login_hint is sent (default the first user). */
  interactiveUser?: string;
  /** Lifetime of authorization codes (default 600, like Entra's ~10 minutes). */
  authCodeLifetimeSec?: number;
  /** Every service answers each request after this many milliseconds (default 0): an emulated round trip. */
  latencyMs?: number;
}

export interface TokenRequestRecord {
  /** The `grant_type` sent, or '' when absent; 'devicecode' for the device authorization endpoint. */
  grantType: string;
  /** Names of the form parameters (sorted). Values are never stored. */
  paramNames: string[];
  clientAuth: 'secret' | 'assertion' | 'none';
  ok: boolean;
  /** OAuth error code, e.g. 'invalid_client'. */
  error?: string;
  /** AADSTS number, e.g. 7000215. */
  errorCode?: number;
}

export interface Fault {
  status: number;
  retryAfterSec?: number;
  /** How many requests get the fault (default 1). */
  times?: number;
  /** Response body (JSON); default: the service's own error shape for that status. */
  body?: unknown;
}

export interface VaultSecret {
  /** Name as first written (Key Vault names are case-insensitive). */
  name: string;
  /** Oldest first; the last one is current. */
  versions: SecretVersion[];
}

export interface SecretVersion {
  version: string;
  value: string;
  created: number;
  updated: number;
}

/** How the user authenticated: decides `amr` / `acrs` of the tokens issued from that sign-in. */
export interface AuthContext {
  amr: string[];
  acrs?: string[];
}

export interface DeviceCodeEntry {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  approvedBy?: string; // oid
  redeemed: boolean;
  auth: AuthContext;
}

export interface RefreshTokenEntry {
  oid: string;
  clientId: string;
  confidential: boolean;
  auth: AuthContext;
}

export interface AuthCodeEntry {
  clientId: string;
  redirectUri: string;
  oid: string;
  /** The `scope` of the authorize request, as sent. */
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  auth: AuthContext;
  expiresAt: number;
  redeemed: boolean;
  /** Issued for a Web redirect URI: redeeming it needs the app's credential. */
  confidential: boolean;
}

export interface EmulatorState {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  entraUrl: string;
  armUrl: string;
  keyVaultUrl: string;
  identityEndpoint: string;
  identityHeader: string;
  managedIdentity: { clientId: string; principalId: string };
  users: EmulatorUser[];
  armPageSize: number;
  publicClientFlowsEnabled: boolean;
  exposedScopes: string[];
  tokenLifetimeSec: number;
  userTokenVersion: 1 | 2;
  deviceCodeIntervalSec: number;
  deviceCodeLifetimeSec: number;
  autoApproveDeviceCode: string | undefined;
  keyVaultSecretName: string;
  key: SigningKey;
  counts: Map<string, number>;
  tokenRequests: TokenRequestRecord[];
  deviceCodes: Map<string, DeviceCodeEntry>;
  refreshTokens: Map<string, RefreshTokenEntry>;
  identifierUris: string[];
  /** Includes the API app itself. */
  clientApps: EmulatorClientApp[];
  interactiveUser: string | undefined;
  authCodeLifetimeSec: number;
  authCodes: Map<string, AuthCodeEntry>;
  /** ARM tokens issued, by `uti` (bounded): who they belong to, for revokeArmTokens. */
  armTokens: Map<string, string>;
  /** `uti`s of revoked ARM tokens, and per user (oid) the epoch second of the last revocation. */
  revokedArmTokens: Set<string>;
  armRevokedAt: Map<string, number>;
  /** Keyed by lower-case name. */
  vault: Map<string, VaultSecret>;
  /** Every token, code and secret handed out, newest last (bounded): what a leak scan looks for. */
  issued: string[];
}

/** Most values `issued` keeps. */
const MAX_ISSUED = 20_000;

/** Records a value the emulator hands out (a token, code or secret). */
export function recordIssued(state: Pick<EmulatorState, 'issued'>, ...values: (string | undefined)[]): void {
  for (const value of values) if (value) state.issued.push(value);
  if (state.issued.length > MAX_ISSUED) state.issued.splice(0, state.issued.length - MAX_ISSUED);
}

export function findUser(state: Pick<EmulatorState, 'users'>, idOrUpn: string): EmulatorUser | undefined {
  const needle = idOrUpn.toLowerCase();
  return state.users.find((u) => u.oid.toLowerCase() === needle || u.upn.toLowerCase() === needle);
}

export function bump(state: Pick<EmulatorState, 'counts'>, key: string): void {
  state.counts.set(key, (state.counts.get(key) ?? 0) + 1);
}
