import { ConfigError } from '../errors.js';

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
