// Local Azure emulator for offline tests: Entra ID, ARM, Key Vault and the App Service managed identity
// endpoint, each on its own loopback listener. See emulator/README.md for the API and wire formats.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArmHandler } from './arm.js';
import { ensureCa, issueServerCert } from './ca.js';
import { withApiApp } from './clients.js';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_MANAGED_IDENTITY,
  DEFAULT_TENANT_ID,
  defaultClientApps,
  defaultUsers,
} from './defaults.js';
import { createEntraHandler } from './entra.js';
import { approveDeviceCode } from './entra-token.js';
import { ServiceListener } from './http.js';
import { IDENTITY_PATH, createIdentityHandler } from './identity.js';
import { createKeyVaultHandler, putSecret } from './keyvault.js';
import { ensureSigningKey } from './signing.js';
import { nowSec, signJwt, userAccessTokenClaims } from './tokens.js';
import { bump, findUser, recordIssued } from './types.js';
import type {
  CredentialMode,
  EmulatorClientApp,
  EmulatorOptions,
  EmulatorState,
  EmulatorUser,
  Fault,
  ServiceName,
  TokenRequestRecord,
} from './types.js';

export type {
  CredentialMode,
  EmulatorClientApp,
  EmulatorOptions,
  EmulatorResource,
  EmulatorResourceGroup,
  EmulatorSubscription,
  EmulatorUser,
  Fault,
  ServiceName,
  TokenRequestRecord,
} from './types.js';

export {
  DEFAULT_CLI_CLIENT_ID,
  DEFAULT_THIRD_PARTY_CLIENT_ID,
  VSCODE_CLIENT_ID,
  defaultClientApps,
} from './defaults.js';
export { MFA_POLICY_ID } from './entra-token.js';

export interface IssueUserTokenOptions {
  /** oid or upn; default the first user. */
  user?: string;
  /** Default: the app's userTokenVersion (2 unless configured). */
  version?: 1 | 2;
  /** Default ['execute']. */
  scopes?: string[];
  /** Default: v1 'api://<clientId>', v2 '<clientId>'. */
  audience?: string;
  /** Default: v1 'https://sts.windows.net/<tid>/', v2 '<entraUrl>/<tid>/v2.0'. */
  issuer?: string;
  /** `tid` claim (and default issuer tenant). */
  tenantId?: string;
  /** Client app the token was issued to (`azp` v2 / `appid` v1; default the API app itself). */
  clientId?: string;
  /** Lifetime from `now` (default tokenLifetimeSec); <= 0 gives an expired token issued an hour before expiry. */
  expiresInSec?: number;
  /** `nbf` as an offset from `now` (default 0). */
  notBeforeSec?: number;
  /** Epoch seconds to issue at (frozen-clock tests). */
  now?: number;
  /** Merged last; a value of `undefined` removes the claim. */
  extraClaims?: Record<string, unknown>;
}

/** Settings that may be changed while the emulator runs. */
export interface EmulatorSettings {
  publicClientFlowsEnabled: boolean;
  autoApproveDeviceCode: string | undefined;
  armPageSize: number;
  tokenLifetimeSec: number;
  userTokenVersion: 1 | 2;
  /** Application ID URIs of the API app. */
  identifierUris: string[];
  /** Public client apps besides the API app (which stays known unless listed with other settings). */
  clientApps: EmulatorClientApp[];
  /** "Web" redirect URIs of the API app (the OAuth proxy's callback). */
  apiWebRedirectUris: string[];
  /** oid or upn the authorize endpoint signs in as when no login_hint is sent. */
  interactiveUser: string | undefined;
  authCodeLifetimeSec: number;
  /** Delay of every answer of every service, ms (emulated network distance). */
  latencyMs: number;
}

export interface Emulator {
  readonly tenantId: string;
  readonly clientId: string;
  /** The currently valid app secret (changes with rotateClientSecret). */
  readonly clientSecret: string;
  /** Authority host, e.g. https://127.0.0.1:PORT (no trailing slash). */
  readonly entraUrl: string;
  /** https://127.0.0.1:PORT (no trailing slash). */
  readonly armUrl: string;
  /** https://127.0.0.1:PORT/ (trailing slash, like a real vault URI). */
  readonly keyVaultUrl: string;
  /** http://127.0.0.1:PORT/msi/token */
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  readonly caCertPath: string;
  readonly caDir: string;
  readonly managedIdentity: { clientId: string; principalId: string };
  /** Live directory: changes (e.g. consentRequired) apply to the next request. */
  readonly users: EmulatorUser[];
  /** kid (= x5t) of the signing key published in JWKS. */
  readonly keyId: string;
  readonly keyVaultSecretName: string;
  /** Every token, code and secret the emulator handed out (newest 20,000): what a leak scan looks for. */
  issuedValues(): readonly string[];
  /** Every request to the token and device code endpoints, without values. Cleared by resetCounts(). */
  readonly tokenRequests: TokenRequestRecord[];
  env(mode?: CredentialMode): Record<string, string>;
  issueUserToken(opts?: IssueUserTokenOptions): Promise<string>;
  /** Signs arbitrary claims with the emulator's key (for negative tests). */
  signToken(claims: Record<string, unknown>): Promise<string>;
  counts(): Record<string, number>;
  resetCounts(): void;
  injectFault(service: ServiceName, fault: Fault): void;
  /** Drops the faults still queued for `service`. */
  clearFaults(service: ServiceName): void;
  setDown(service: ServiceName, down: boolean): Promise<void>;
  setHang(service: ServiceName, hang: boolean): void;
  rotateClientSecret(): string;
  setVaultSecret(name: string, value: string): void;
  deleteVaultSecret(name: string): void;
  approveDeviceCode(userCode: string, user: string): void;
  /**
   * Continuous access evaluation: ARM answers 401 with a claims challenge to every ARM token issued to that
   * user (oid or upn) before this call; tokens issued afterwards work.
   */
  revokeArmTokens(user: string): void;
  update(settings: Partial<EmulatorSettings>): void;
  stop(): Promise<void>;
}

function newClientSecret(): string {
  // Shaped like an Entra app secret value: 3 chars, "8Q~", 34 chars.
  const body = randomBytes(40).toString('base64url').replace(/[-_]/g, 'x');
  return `${body.slice(0, 3)}8Q~${body.slice(3, 37)}`;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  let ownedDir: string | undefined;
  const caDir =
    options.caDir ??
    process.env.EMULATOR_CA_DIR ??
    (ownedDir = await mkdtemp(join(tmpdir(), 'azure-emulator-')));
  const ca = await ensureCa(caDir);
  const [leaf, key] = await Promise.all([issueServerCert(ca), ensureSigningKey(caDir)]);
  const tls = { cert: leaf.certPem, key: leaf.keyPem };

  const state: EmulatorState = {
    tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: options.clientSecret ?? newClientSecret(),
    entraUrl: '',
    armUrl: '',
    keyVaultUrl: '',
    identityEndpoint: '',
    identityHeader: options.identityHeader ?? randomBytes(16).toString('hex').toUpperCase(),
    managedIdentity: { ...(options.managedIdentity ?? DEFAULT_MANAGED_IDENTITY) },
    users: options.users ?? defaultUsers(),
    armPageSize: options.armPageSize ?? 2,
    publicClientFlowsEnabled: options.publicClientFlowsEnabled ?? true,
    exposedScopes: options.exposedScopes ?? ['execute'],
    tokenLifetimeSec: options.tokenLifetimeSec ?? 3600,
    userTokenVersion: options.userTokenVersion ?? 2,
    deviceCodeIntervalSec: options.deviceCodeIntervalSec ?? 1,
    deviceCodeLifetimeSec: options.deviceCodeLifetimeSec ?? 900,
    autoApproveDeviceCode: options.autoApproveDeviceCode,
    keyVaultSecretName: options.keyVaultSecretName ?? 'obo-client-secret',
    key,
    counts: new Map(),
    tokenRequests: [],
    deviceCodes: new Map(),
    refreshTokens: new Map(),
    vault: new Map(),
    identifierUris: [...(options.identifierUris ?? [`api://${options.clientId ?? DEFAULT_CLIENT_ID}`])],
    clientApps: withApiApp(
      options.clientId ?? DEFAULT_CLIENT_ID,
      options.clientApps ?? defaultClientApps(),
      options.apiWebRedirectUris,
    ),
    interactiveUser: options.interactiveUser,
    authCodeLifetimeSec: options.authCodeLifetimeSec ?? 600,
    authCodes: new Map(),
    issued: [],
    armTokens: new Map(),
    revokedArmTokens: new Set(),
    armRevokedAt: new Map(),
  };
  if (state.identifierUris.length === 0) throw new Error('startEmulator: identifierUris must not be empty');
  if (state.users.length === 0) throw new Error('startEmulator: at least one user is required');
  putSecret(state, state.keyVaultSecretName, state.clientSecret);

  const count = (k: string): void => bump(state, k);
  const listeners: Record<ServiceName, ServiceListener> = {
    entra: new ServiceListener('entra', 'https', createEntraHandler(state), count, tls),
    arm: new ServiceListener('arm', 'https', createArmHandler(state), count, tls),
    keyvault: new ServiceListener('keyvault', 'https', createKeyVaultHandler(state), count, tls),
    identity: new ServiceListener('identity', 'http', createIdentityHandler(state), count),
  };
  const started: ServiceListener[] = [];
  try {
    for (const [name, l] of Object.entries(listeners) as [ServiceName, ServiceListener][]) {
      await l.start(options.ports?.[name] ?? 0);
      started.push(l);
    }
  } catch (err) {
    await Promise.all(started.map((l) => l.stop()));
    throw err;
  }
  const setLatency = (ms: number): void => {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('latencyMs must be a non-negative number');
    for (const l of Object.values(listeners)) l.latencyMs = ms;
  };
  setLatency(options.latencyMs ?? 0);
  state.entraUrl = listeners.entra.origin;
  state.armUrl = listeners.arm.origin;
  state.keyVaultUrl = `${listeners.keyvault.origin}/`;
  state.identityEndpoint = `${listeners.identity.origin}${IDENTITY_PATH}`;

  const emulator: Emulator = {
    tenantId: state.tenantId,
    clientId: state.clientId,
    issuedValues() {
      return [...state.issued, state.clientSecret];
    },
    get clientSecret() {
      return state.clientSecret;
    },
    entraUrl: state.entraUrl,
    armUrl: state.armUrl,
    keyVaultUrl: state.keyVaultUrl,
    identityEndpoint: state.identityEndpoint,
    identityHeader: state.identityHeader,
    caCertPath: ca.certPath,
    caDir,
    managedIdentity: state.managedIdentity,
    users: state.users,
    keyId: key.kid,
    keyVaultSecretName: state.keyVaultSecretName,
    tokenRequests: state.tokenRequests,

    env(mode: CredentialMode = 'secret') {
      return {
        ENTRA_TENANT_ID: state.tenantId,
        ENTRA_CLIENT_ID: state.clientId,
        ENTRA_AUTHORITY_HOST: state.entraUrl,
        ARM_ENDPOINT: state.armUrl,
        OBO_CREDENTIAL: mode,
        ...(mode === 'secret' ? { OBO_CLIENT_SECRET: state.clientSecret } : {}),
        KEY_VAULT_URL: state.keyVaultUrl,
        KEY_VAULT_SECRET_NAME: state.keyVaultSecretName,
        MANAGED_IDENTITY_CLIENT_ID: state.managedIdentity.clientId,
        IDENTITY_ENDPOINT: state.identityEndpoint,
        IDENTITY_HEADER: state.identityHeader,
        NODE_EXTRA_CA_CERTS: ca.certPath,
      };
    },

    async issueUserToken(opts: IssueUserTokenOptions = {}) {
      const user = opts.user ? findUser(state, opts.user) : state.users[0];
      if (!user) throw new Error(`issueUserToken: unknown user ${opts.user ?? ''}`);
      const version = opts.version ?? state.userTokenVersion;
      const now = opts.now ?? nowSec();
      const exp = now + (opts.expiresInSec ?? state.tokenLifetimeSec);
      const issuedAt = opts.expiresInSec !== undefined && opts.expiresInSec <= 0 ? exp - 3600 : now;
      const nbf = opts.notBeforeSec !== undefined ? now + opts.notBeforeSec : issuedAt;
      const tenantId = opts.tenantId ?? state.tenantId;
      const claims = userAccessTokenClaims({
        user,
        tenantId,
        entraUrl: state.entraUrl,
        version,
        audience: opts.audience ?? (version === 2 ? state.clientId : `api://${state.clientId}`),
        scopes: opts.scopes ?? ['execute'],
        clientAppId: opts.clientId ?? state.clientId,
        clientAuthLevel: '0',
        ...(opts.issuer ? { issuer: opts.issuer } : {}),
        iat: Math.min(issuedAt, nbf),
        nbf,
        exp,
        ...(opts.extraClaims ? { extra: opts.extraClaims } : {}),
      });
      const token = await signJwt(key, claims);
      recordIssued(state, token);
      return token;
    },

    signToken(claims) {
      return signJwt(key, claims);
    },

    counts() {
      return Object.fromEntries([...state.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
    },

    resetCounts() {
      state.counts.clear();
      state.tokenRequests.length = 0;
    },

    injectFault(service, fault) {
      listeners[service].injectFault(fault);
    },

    clearFaults(service) {
      listeners[service].clearFaults();
    },

    setDown(service, down) {
      return listeners[service].setDown(down);
    },

    setHang(service, hang) {
      listeners[service].hang = hang;
    },

    rotateClientSecret() {
      recordIssued(state, state.clientSecret);
      state.clientSecret = newClientSecret();
      putSecret(state, state.keyVaultSecretName, state.clientSecret);
      return state.clientSecret;
    },

    setVaultSecret(name, value) {
      putSecret(state, name, value);
    },

    deleteVaultSecret(name) {
      state.vault.delete(name.toLowerCase());
    },

    approveDeviceCode(userCode, user) {
      approveDeviceCode(state, userCode, user);
    },

    revokeArmTokens(user) {
      const found = findUser(state, user);
      if (!found) throw new Error(`revokeArmTokens: unknown user ${user}`);
      for (const [uti, oid] of state.armTokens) if (oid === found.oid) state.revokedArmTokens.add(uti);
      state.armRevokedAt.set(found.oid, nowSec());
    },

    update(settings) {
      if (settings.identifierUris !== undefined) {
        if (settings.identifierUris.length === 0) throw new Error('update: identifierUris must not be empty');
        state.identifierUris = [...settings.identifierUris];
      }
      if (settings.clientApps !== undefined)
        state.clientApps = withApiApp(state.clientId, settings.clientApps, settings.apiWebRedirectUris);
      if (settings.apiWebRedirectUris !== undefined) {
        const api = state.clientApps.find((a) => a.clientId.toLowerCase() === state.clientId.toLowerCase());
        if (api) api.webRedirectUris = [...settings.apiWebRedirectUris];
      }
      if ('interactiveUser' in settings) state.interactiveUser = settings.interactiveUser;
      if (settings.authCodeLifetimeSec !== undefined)
        state.authCodeLifetimeSec = settings.authCodeLifetimeSec;
      if (settings.publicClientFlowsEnabled !== undefined)
        state.publicClientFlowsEnabled = settings.publicClientFlowsEnabled;
      if ('autoApproveDeviceCode' in settings) state.autoApproveDeviceCode = settings.autoApproveDeviceCode;
      if (settings.armPageSize !== undefined) state.armPageSize = settings.armPageSize;
      if (settings.tokenLifetimeSec !== undefined) state.tokenLifetimeSec = settings.tokenLifetimeSec;
      if (settings.userTokenVersion !== undefined) state.userTokenVersion = settings.userTokenVersion;
      if (settings.latencyMs !== undefined) setLatency(settings.latencyMs);
    },

    async stop() {
      await Promise.all(Object.values(listeners).map((l) => l.stop()));
      if (ownedDir) await rm(ownedDir, { recursive: true, force: true });
    },
  };
  return emulator;
}
