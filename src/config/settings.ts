import { ConfigError } from '../errors.js';
import { isLoopbackHost } from '../util/loopback.js';

/** How the server proves its own identity to Entra ID for the On-Behalf-Of exchange. */
export type CredentialSettings =
  | { mode: 'secret'; secret: string }
  | {
      mode: 'keyvault';
      vaultUrl: string;
      secretName: string;
      secretTtlMs: number;
      managedIdentityClientId: string | undefined;
    }
  | { mode: 'managed-identity'; managedIdentityClientId: string | undefined };

/** Validated settings of one process. */
export interface Settings {
  tenantId: string;
  clientId: string;
  /** Application ID URI clients request scopes under (no trailing slash), e.g. `api://<client-id>`. */
  appIdUri: string;
  /** Client applications (`azp`/`appid`, lower case) allowed to call, or `*` for any. */
  allowedClientIds: readonly string[] | '*';
  /** Entra ID authority host, e.g. `https://login.microsoftonline.com` (no trailing slash). */
  authorityHost: string;
  requiredScope: string;
  /** Azure Resource Manager endpoint (no trailing slash). */
  armEndpoint: string;
  /** Public URL of `/mcp`, when the host is behind a proxy that rewrites Host. */
  publicUrl: string | undefined;
  allowedOrigins: string[];
  credential: CredentialSettings;
  /** Time budget of any one upstream call (discovery, JWKS, token endpoint, Key Vault, ARM). */
  upstreamTimeoutMs: number;
  /** Largest accepted MCP request body. */
  maxBodyBytes: number;
  /** Most users whose OBO (ARM) tokens are cached; bounds the server's memory. */
  oboCacheMaxUsers: number;
}

/**
 * Every setting the code reads, with whether it is required. The Bicep templates must set exactly these
 * (tests/infra checks it), so add new settings here first.
 */
export const SETTING_NAMES = [
  'ENTRA_TENANT_ID',
  'ENTRA_CLIENT_ID',
  'ENTRA_APP_ID_URI',
  'ENTRA_ALLOWED_CLIENT_IDS',
  'ENTRA_AUTHORITY_HOST',
  'ENTRA_REQUIRED_SCOPE',
  'ARM_ENDPOINT',
  'OBO_CREDENTIAL',
  'OBO_CLIENT_SECRET',
  'KEY_VAULT_URL',
  'KEY_VAULT_SECRET_NAME',
  'KEY_VAULT_SECRET_TTL_SECONDS',
  'MANAGED_IDENTITY_CLIENT_ID',
  'MCP_PUBLIC_URL',
  'MCP_ALLOWED_ORIGINS',
  'UPSTREAM_TIMEOUT_MS',
  'MCP_MAX_BODY_BYTES',
  'OBO_CACHE_MAX_USERS',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];
type Env = Readonly<Record<string, string | undefined>>;

/** Visual Studio Code's application id (its built-in Microsoft sign-in), allowed unless the setting says otherwise. */
export const VSCODE_CLIENT_ID = 'aebc6443-996d-45c2-90f0-388ff96faa56';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i; // contoso.onmicrosoft.com
const CREDENTIAL_MODES = ['secret', 'keyvault', 'managed-identity'] as const;

function read(env: Env, name: SettingName): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function required(env: Env, name: SettingName, hint?: string): string {
  const value = read(env, name);
  if (value === undefined) {
    throw new ConfigError(`Missing required setting ${name}${hint ? ` (${hint})` : ''}.`);
  }
  return value;
}

function httpsUrl(name: SettingName, value: string, allowHttp = false): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`Setting ${name} is not a valid URL.`);
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new ConfigError(`Setting ${name} must be an https:// URL.`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * An Application ID URI as Entra accepts it for a scope prefix: `api://…`, `https://…`, or (local testing only)
 * `http://` on a loopback host. No trailing slash: the scope is `<uri>/<scope>`, and v1 tokens carry the URI
 * exactly as requested, so a normalised variant would not match the audience.
 */
function appIdUri(env: Env, clientId: string): string {
  const name: SettingName = 'ENTRA_APP_ID_URI';
  const value = read(env, name);
  if (value === undefined) return `api://${clientId}`;
  const form = `Setting ${name} must be an api://, https:// or (loopback only) http:// URI without a trailing slash, query or fragment.`;
  if (/\s/.test(value) || value.endsWith('/') || /[?#]/.test(value)) throw new ConfigError(form);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(form);
  }
  switch (url.protocol) {
    case 'api:':
      if (value.length <= 'api://'.length || !value.toLowerCase().startsWith('api://')) {
        throw new ConfigError(form);
      }
      return value;
    case 'https:':
      if (!url.hostname || url.username || url.password) throw new ConfigError(form);
      return value;
    case 'http:':
      if (!isLoopbackHost(url.hostname) || url.username || url.password) {
        throw new ConfigError(`Setting ${name} may use http:// only for a loopback host (local testing).`);
      }
      return value;
    default:
      throw new ConfigError(form);
  }
}

/**
 * Unset: this app itself (the single-app setup, where the CLI signs in with ENTRA_CLIENT_ID) and VS Code.
 * `*`: any client app of any tenant that got a token for this API (consent-phished apps included).
 */
function allowedClientIds(env: Env, clientId: string): readonly string[] | '*' {
  const name: SettingName = 'ENTRA_ALLOWED_CLIENT_IDS';
  const value = read(env, name);
  if (value === undefined) return [...new Set([clientId.toLowerCase(), VSCODE_CLIENT_ID])];
  if (value === '*') return '*';
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0 || !ids.every((id) => GUID.test(id))) {
    throw new ConfigError(`Setting ${name} must be '*' or a comma-separated list of application id GUIDs.`);
  }
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

function positiveInt(env: Env, name: SettingName, fallback: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > max) {
    throw new ConfigError(`Setting ${name} must be a whole number between 1 and ${max}.`);
  }
  return n;
}

function guidSetting(env: Env, name: SettingName): string | undefined {
  const value = read(env, name);
  if (value !== undefined && !GUID.test(value)) {
    throw new ConfigError(`Setting ${name} must be a GUID.`);
  }
  return value;
}

function credentialSettings(env: Env): CredentialSettings {
  const mode = read(env, 'OBO_CREDENTIAL') ?? 'keyvault';
  if (!(CREDENTIAL_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`Setting OBO_CREDENTIAL must be one of ${CREDENTIAL_MODES.join(', ')}.`);
  }
  const managedIdentityClientId = guidSetting(env, 'MANAGED_IDENTITY_CLIENT_ID');
  switch (mode) {
    case 'secret':
      return { mode, secret: required(env, 'OBO_CLIENT_SECRET', 'needed when OBO_CREDENTIAL=secret') };
    case 'keyvault': {
      if (read(env, 'OBO_CLIENT_SECRET') !== undefined) {
        // Two sources of truth for one secret is how stale secrets survive a rotation.
        throw new ConfigError('Setting OBO_CLIENT_SECRET must not be set when OBO_CREDENTIAL=keyvault.');
      }
      const vaultUrl = httpsUrl(
        'KEY_VAULT_URL',
        required(env, 'KEY_VAULT_URL', 'needed when OBO_CREDENTIAL=keyvault, the default'),
      );
      return {
        mode,
        vaultUrl,
        secretName: read(env, 'KEY_VAULT_SECRET_NAME') ?? 'obo-client-secret',
        secretTtlMs: positiveInt(env, 'KEY_VAULT_SECRET_TTL_SECONDS', 3600, 7 * 24 * 3600) * 1000,
        managedIdentityClientId,
      };
    }
    default:
      if (read(env, 'OBO_CLIENT_SECRET') !== undefined) {
        throw new ConfigError(
          'Setting OBO_CLIENT_SECRET must not be set when OBO_CREDENTIAL=managed-identity.',
        );
      }
      return { mode: 'managed-identity', managedIdentityClientId };
  }
}

/** Reads and validates all settings; throws a ConfigError naming the first bad setting (never its value). */
export function loadSettings(env: Env = process.env): Settings {
  const tenantId = required(env, 'ENTRA_TENANT_ID');
  if (!GUID.test(tenantId) && !TENANT_NAME.test(tenantId)) {
    throw new ConfigError('Setting ENTRA_TENANT_ID must be a tenant GUID or a verified domain name.');
  }
  if (['common', 'organizations', 'consumers'].includes(tenantId.toLowerCase())) {
    throw new ConfigError('Setting ENTRA_TENANT_ID must name one tenant, not a multi-tenant alias.');
  }
  const clientId = required(env, 'ENTRA_CLIENT_ID');
  if (!GUID.test(clientId)) throw new ConfigError('Setting ENTRA_CLIENT_ID must be a GUID.');

  const requiredScope = read(env, 'ENTRA_REQUIRED_SCOPE') ?? 'execute';
  if (/\s/.test(requiredScope)) throw new ConfigError('Setting ENTRA_REQUIRED_SCOPE must be one scope.');

  const publicUrl = read(env, 'MCP_PUBLIC_URL');
  const allowedOrigins = (read(env, 'MCP_ALLOWED_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    // An origin is scheme://host[:port]; "null" (opaque origins, sandboxed frames) or "*" would open the door.
    if (!/^https?:\/\/[^/\s*]+$/i.test(origin)) {
      throw new ConfigError(
        'Setting MCP_ALLOWED_ORIGINS must list origins like https://app.example.com, comma-separated.',
      );
    }
  }

  return {
    tenantId,
    clientId,
    appIdUri: appIdUri(env, clientId),
    allowedClientIds: allowedClientIds(env, clientId),
    authorityHost: httpsUrl(
      'ENTRA_AUTHORITY_HOST',
      read(env, 'ENTRA_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com',
    ),
    requiredScope,
    armEndpoint: httpsUrl('ARM_ENDPOINT', read(env, 'ARM_ENDPOINT') ?? 'https://management.azure.com'),
    publicUrl: publicUrl === undefined ? undefined : httpsUrl('MCP_PUBLIC_URL', publicUrl, true),
    allowedOrigins,
    credential: credentialSettings(env),
    upstreamTimeoutMs: positiveInt(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 120_000),
    maxBodyBytes: positiveInt(env, 'MCP_MAX_BODY_BYTES', 1_048_576, 16 * 1_048_576),
    oboCacheMaxUsers: positiveInt(env, 'OBO_CACHE_MAX_USERS', 1000, 1_000_000),
  };
}
