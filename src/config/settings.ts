import * as z from 'zod/mini';
import { ConfigError } from '../errors.js';
import { GUID } from '../util/guid.js';
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

/** An Entra access token format version: 1 (v1.0) or 2 (v2.0). */
export type TokenVersion = 1 | 2;

/** Where the OAuth proxy's keys come from: the environment (local), or a Key Vault secret (Azure). */
export type ProxyKeySettings =
  | { source: 'environment'; keys: readonly Uint8Array[] }
  | {
      source: 'keyvault';
      vaultUrl: string;
      secretName: string;
      ttlMs: number;
      managedIdentityClientId: string | undefined;
    };

/** MCP_OAUTH_PROXY: this server as the authorization server its MCP clients see, in front of Entra ID. */
export type OAuthProxySettings =
  | { enabled: false }
  | {
      enabled: true;
      key: ProxyKeySettings;
      /** Hosts redirect URIs may point at (lower case); undefined: any host. */
      redirectHosts: readonly string[] | undefined;
    };

/** MCP_TELEMETRY: OpenTelemetry traces and metrics, to OTLP and/or Azure Monitor (src/telemetry/). */
export interface TelemetrySettings {
  enabled: boolean;
  /** OTEL_EXPORTER_OTLP_ENDPOINT without a trailing slash (signals go to /v1/traces, /v1/metrics, /v1/logs). */
  otlpEndpoint: string | undefined;
  azureMonitor:
    | {
        connectionString: string;
        /** APPLICATIONINSIGHTS_AUTHENTICATION_STRING: Entra-authenticated ingestion with the managed identity. */
        entraAuthentication: boolean;
        managedIdentityClientId: string | undefined;
      }
    | undefined;
  /** How users appear: a keyed hash of the object id (default), the object id, or not at all. */
  user: 'hash' | 'oid' | 'none';
  /** The HMAC key of `user: 'hash'`. */
  userKey: string;
  serviceName: string;
  metricIntervalMs: number;
  /** Longest a finished span or log record waits for its batch to be exported. */
  exportDelayMs: number;
}

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
  /** Access token versions accepted (v1: sts.windows.net issuer; v2: the v2.0 issuer), without repeats. */
  acceptedTokenVersions: readonly TokenVersion[];
  /** Azure Resource Manager endpoint (no trailing slash). */
  armEndpoint: string;
  /** Public URL of `/mcp`, when the host is behind a proxy that rewrites Host. */
  publicUrl: string | undefined;
  allowedOrigins: string[];
  credential: CredentialSettings;
  /** Time budget of any one upstream call (discovery, JWKS, token endpoint, Key Vault, ARM). */
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  /** Most users whose OBO (ARM) tokens are cached; bounds the server's memory. */
  oboCacheMaxUsers: number;
  oauthProxy: OAuthProxySettings;
  telemetry: TelemetrySettings;
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
  'ENTRA_ACCEPTED_TOKEN_VERSIONS',
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
  'MCP_OAUTH_PROXY',
  'MCP_OAUTH_PROXY_KEY',
  'MCP_OAUTH_PROXY_KEY_SECRET_NAME',
  'MCP_OAUTH_REDIRECT_HOSTS',
  'MCP_TELEMETRY',
  'MCP_TELEMETRY_USER',
  'MCP_TELEMETRY_USER_KEY',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_SERVICE_NAME',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_BSP_SCHEDULE_DELAY',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];
type Env = Readonly<Record<string, string | undefined>>;

/** Visual Studio Code's application id (its built-in Microsoft sign-in), allowed unless the setting says otherwise. */
export const VSCODE_CLIENT_ID = 'aebc6443-996d-45c2-90f0-388ff96faa56';

const TENANT_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i; // contoso.onmicrosoft.com
const CREDENTIAL_MODES = ['secret', 'keyvault', 'managed-identity'] as const;

// Only messages made here leave this module: zod's own can quote the value it received, and a setting's value
// may be a secret. Each names its setting.
const AUTHORED = new Set<string>();
function says(message: string): { error: string; abort: true } {
  AUTHORED.add(message);
  return { error: message, abort: true };
}

// zod/mini, not the classic API: this module is on the app's start path, and the classic API (with its JSON
// Schema code) would add ~100 KB to what the worker loads before it registers the functions. scripts/bundle.mjs
// keeps zod/mini apart from the MCP tools' classic zod.
type Setting<T> = z.ZodMiniType<T, string | undefined>;

function parse<T>(env: Env, name: SettingName, schema: Setting<T>): T {
  const result = schema.safeParse(env[name]);
  if (result.success) return result.data;
  const message = result.error.issues[0]?.message;
  throw new ConfigError(message && AUTHORED.has(message) ? message : `Setting ${name} is not valid.`);
}

// A setting as read: trimmed, and unset when blank.
const text = z.pipe(
  z.optional(z.string()),
  z.transform((value) => value?.trim() || undefined),
);

function withDefault(fallback: string) {
  return z.pipe(
    text,
    z.transform((value) => value ?? fallback),
  );
}

// An unset setting fails z.string(), with this message.
function required(name: SettingName, hint?: string) {
  return z.pipe(text, z.string(says(`Missing required setting ${name}${hint ? ` (${hint})` : ''}.`)));
}

function absent(name: SettingName, mode: string) {
  return text.check(
    z.refine(
      (value) => value === undefined,
      says(`Setting ${name} must not be set when OBO_CREDENTIAL=${mode}.`),
    ),
  );
}

function guid(name: SettingName) {
  return text.check(
    z.refine((value) => value === undefined || GUID.test(value), says(`Setting ${name} must be a GUID.`)),
  );
}

// No trailing slash: paths are appended to these URLs.
function httpsUrl<T extends string | undefined>(name: SettingName, value: Setting<T>, allowHttp = false) {
  return z.pipe(
    value.check(
      z.refine((v) => v === undefined || URL.canParse(v), says(`Setting ${name} is not a valid URL.`)),
      z.refine(
        (v) => {
          if (v === undefined) return true;
          const { protocol } = new URL(v);
          return protocol === 'https:' || (allowHttp && protocol === 'http:');
        },
        says(`Setting ${name} must be an https:// URL.`),
      ),
    ),
    z.transform((v) => v?.replace(/\/+$/, '') as T),
  );
}

function positiveInt(name: SettingName, fallback: number, max: number) {
  return z
    .pipe(
      text,
      z.transform((value) => (value === undefined ? fallback : Number(value))),
    )
    .check(
      z.refine(
        (n) => Number.isInteger(n) && n > 0 && n <= max,
        says(`Setting ${name} must be a whole number between 1 and ${max}.`),
      ),
    );
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

const tenantId = required('ENTRA_TENANT_ID').check(
  z.refine(
    (v) => GUID.test(v) || TENANT_NAME.test(v),
    says('Setting ENTRA_TENANT_ID must be a tenant GUID or a verified domain name.'),
  ),
  z.refine(
    (v) => !['common', 'organizations', 'consumers'].includes(v.toLowerCase()),
    says('Setting ENTRA_TENANT_ID must name one tenant, not a multi-tenant alias.'),
  ),
);

const clientId = required('ENTRA_CLIENT_ID').check(
  z.refine((v) => GUID.test(v), says('Setting ENTRA_CLIENT_ID must be a GUID.')),
);

const requiredScope = withDefault('execute').check(
  z.refine((v) => !/\s/.test(v), says('Setting ENTRA_REQUIRED_SCOPE must be one scope.')),
);

// `1,2` by default: the original demo's app registrations issue v1 tokens; infra's registration issues v2 only.
const acceptedTokenVersions = z.pipe(
  withDefault('1,2').check(
    z.refine((v) => {
      const versions = list(v);
      return versions.length > 0 && versions.every((version) => version === '1' || version === '2');
    }, says('Setting ENTRA_ACCEPTED_TOKEN_VERSIONS must be 1,2 (the default), 2 or 1.')),
  ),
  z.transform((v) => [...new Set(list(v).map(Number))].sort() as TokenVersion[]),
);

// An origin is scheme://host[:port]; "null" (opaque origins, sandboxed frames) or "*" would open the door.
const allowedOrigins = z
  .pipe(
    text,
    z.transform((value) => list(value).map((origin) => origin.replace(/\/+$/, ''))),
  )
  .check(
    z.refine(
      (origins) => origins.every((origin) => /^https?:\/\/[^/\s*]+$/i.test(origin)),
      says('Setting MCP_ALLOWED_ORIGINS must list origins like https://app.example.com, comma-separated.'),
    ),
  );

const APP_ID_URI_FORM = says(
  'Setting ENTRA_APP_ID_URI must be an api://, https:// or (loopback only) http:// URI without a trailing slash, query or fragment.',
);

/**
 * An Application ID URI as Entra accepts it for a scope prefix: `api://…`, `https://…`, or (local testing only)
 * `http://` on a loopback host. No trailing slash: the scope is `<uri>/<scope>`, and v1 tokens carry the URI
 * exactly as requested, so a normalised variant would not match the audience. Unset: `api://<client id>`.
 */
const appIdUri = text.check(
  z.refine(
    (v) => v === undefined || (!/\s/.test(v) && !v.endsWith('/') && !/[?#]/.test(v) && URL.canParse(v)),
    APP_ID_URI_FORM,
  ),
  z.refine((v) => {
    if (v === undefined) return true;
    const url = new URL(v);
    return url.protocol !== 'http:' || (isLoopbackHost(url.hostname) && !url.username && !url.password);
  }, says('Setting ENTRA_APP_ID_URI may use http:// only for a loopback host (local testing).')),
  z.refine((v) => {
    if (v === undefined) return true;
    const url = new URL(v);
    switch (url.protocol) {
      case 'api:':
        return v.length > 'api://'.length && v.toLowerCase().startsWith('api://');
      case 'https:':
        return Boolean(url.hostname) && !url.username && !url.password;
      case 'http:':
        return true;
      default:
        return false;
    }
  }, APP_ID_URI_FORM),
);

/**
 * Unset: this app itself (the single-app setup, where the CLI signs in with ENTRA_CLIENT_ID) and VS Code.
 * `*`: any client app of any tenant that got a token for this API (consent-phished apps included).
 */
const allowedClientIds = z.pipe(
  text.check(
    z.refine((v) => {
      if (v === undefined || v === '*') return true;
      const ids = list(v);
      return ids.length > 0 && ids.every((id) => GUID.test(id));
    }, says("Setting ENTRA_ALLOWED_CLIENT_IDS must be '*' or a comma-separated list of application id GUIDs.")),
  ),
  z.transform((v) =>
    v === undefined || v === '*' ? v : [...new Set(list(v).map((id) => id.toLowerCase()))],
  ),
);

const credentialMode = z.pipe(
  withDefault('keyvault'),
  z.enum(CREDENTIAL_MODES, says(`Setting OBO_CREDENTIAL must be one of ${CREDENTIAL_MODES.join(', ')}.`)),
);

function credentialSettings(env: Env): CredentialSettings {
  const mode = parse(env, 'OBO_CREDENTIAL', credentialMode);
  const managedIdentityClientId = parse(
    env,
    'MANAGED_IDENTITY_CLIENT_ID',
    guid('MANAGED_IDENTITY_CLIENT_ID'),
  );
  switch (mode) {
    case 'secret':
      return {
        mode,
        secret: parse(
          env,
          'OBO_CLIENT_SECRET',
          required('OBO_CLIENT_SECRET', 'needed when OBO_CREDENTIAL=secret'),
        ),
      };
    case 'keyvault':
      // Two sources of truth for one secret is how stale secrets survive a rotation.
      parse(env, 'OBO_CLIENT_SECRET', absent('OBO_CLIENT_SECRET', mode));
      return {
        mode,
        vaultUrl: vaultUrl(env, 'needed when OBO_CREDENTIAL=keyvault, the default'),
        secretName: parse(env, 'KEY_VAULT_SECRET_NAME', withDefault('obo-client-secret')),
        secretTtlMs:
          parse(
            env,
            'KEY_VAULT_SECRET_TTL_SECONDS',
            positiveInt('KEY_VAULT_SECRET_TTL_SECONDS', 3600, 7 * 24 * 3600),
          ) * 1000,
        managedIdentityClientId,
      };
    case 'managed-identity':
      parse(env, 'OBO_CLIENT_SECRET', absent('OBO_CLIENT_SECRET', mode));
      return { mode, managedIdentityClientId };
  }
}

const PROXY_MODES = ['off', 'on'] as const;
const proxyMode = z.pipe(
  withDefault('off'),
  z.enum(PROXY_MODES, says(`Setting MCP_OAUTH_PROXY must be one of ${PROXY_MODES.join(', ')}.`)),
);

// 32 random bytes, base64url (43 characters; a trailing '=' of standard padding is tolerated).
const PROXY_KEY = /^[A-Za-z0-9_-]{43}=?$/;

/** Parses an MCP_OAUTH_PROXY_KEY value (also the Key Vault secret's): the first key encrypts, all decrypt. */
export function parseProxyKeys(value: string | undefined): Uint8Array[] | undefined {
  const entries = list(value);
  if (entries.length === 0 || !entries.every((k) => PROXY_KEY.test(k))) return undefined;
  const keys = entries.map((k) => new Uint8Array(Buffer.from(k.replace(/=$/, ''), 'base64url')));
  return keys.every((k) => k.length === 32) ? keys : undefined;
}

const proxyKeys = z.pipe(
  text.check(
    z.refine(
      (v) => v === undefined || parseProxyKeys(v) !== undefined,
      says(
        'Setting MCP_OAUTH_PROXY_KEY must be base64url-encoded 32-byte keys, comma-separated (the first encrypts).',
      ),
    ),
  ),
  z.transform((v) => (v === undefined ? undefined : parseProxyKeys(v))),
);

// Host names as URL.hostname spells them (IPv6 in brackets), lower case.
const redirectHosts = z
  .pipe(
    text,
    z.transform((v) => (v === undefined ? undefined : list(v).map((h) => h.toLowerCase()))),
  )
  .check(
    z.refine(
      (hosts) =>
        hosts === undefined ||
        (hosts.length > 0 &&
          hosts.every((h) => URL.canParse(`https://${h}/`) && new URL(`https://${h}/`).hostname === h)),
      says(
        'Setting MCP_OAUTH_REDIRECT_HOSTS must list host names like claude.ai or 127.0.0.1, comma-separated.',
      ),
    ),
  );

function vaultUrl(env: Env, hint: string): string {
  return parse(env, 'KEY_VAULT_URL', httpsUrl('KEY_VAULT_URL', required('KEY_VAULT_URL', hint)));
}

function oauthProxySettings(env: Env, credential: CredentialSettings): OAuthProxySettings {
  if (parse(env, 'MCP_OAUTH_PROXY', proxyMode) === 'off') return { enabled: false };
  const keys = parse(env, 'MCP_OAUTH_PROXY_KEY', proxyKeys);
  const secretName = parse(env, 'MCP_OAUTH_PROXY_KEY_SECRET_NAME', text);
  if ((keys === undefined) === (secretName === undefined)) {
    throw new ConfigError(
      'With MCP_OAUTH_PROXY=on, set exactly one of MCP_OAUTH_PROXY_KEY (the keys) and MCP_OAUTH_PROXY_KEY_SECRET_NAME (a Key Vault secret holding them).',
    );
  }
  const key: ProxyKeySettings =
    keys !== undefined
      ? { source: 'environment', keys }
      : {
          source: 'keyvault',
          vaultUrl:
            credential.mode === 'keyvault'
              ? credential.vaultUrl
              : vaultUrl(env, 'needed when MCP_OAUTH_PROXY_KEY_SECRET_NAME is set'),
          secretName: secretName!,
          ttlMs:
            parse(
              env,
              'KEY_VAULT_SECRET_TTL_SECONDS',
              positiveInt('KEY_VAULT_SECRET_TTL_SECONDS', 3600, 7 * 24 * 3600),
            ) * 1000,
          managedIdentityClientId:
            credential.mode === 'secret' ? undefined : credential.managedIdentityClientId,
        };
  return { enabled: true, key, redirectHosts: parse(env, 'MCP_OAUTH_REDIRECT_HOSTS', redirectHosts) };
}

const telemetryMode = z.pipe(
  withDefault('off'),
  z.enum(['off', 'on'], says('Setting MCP_TELEMETRY must be off (the default) or on.')),
);
const telemetryUser = z.pipe(
  withDefault('hash'),
  z.enum(
    ['hash', 'oid', 'none'],
    says('Setting MCP_TELEMETRY_USER must be hash (the default), oid or none.'),
  ),
);
const userKey = text.check(
  z.refine(
    (v) => v === undefined || v.length >= 16,
    says('Setting MCP_TELEMETRY_USER_KEY must have at least 16 characters.'),
  ),
);
// InstrumentationKey=<guid>;IngestionEndpoint=https://…/ as the portal shows it; only the form is checked here.
const connectionString = text.check(
  z.refine((v) => {
    if (v === undefined) return true;
    const parts = new Map(
      v.split(';').flatMap((part) => {
        const at = part.indexOf('=');
        return at > 0 ? [[part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const] : [];
      }),
    );
    const key = parts.get('instrumentationkey');
    const ingestion = parts.get('ingestionendpoint');
    return (
      key !== undefined &&
      GUID.test(key) &&
      (ingestion === undefined || (URL.canParse(ingestion) && new URL(ingestion).protocol === 'https:'))
    );
  }, says('Setting APPLICATIONINSIGHTS_CONNECTION_STRING must be an Application Insights connection string (InstrumentationKey=<guid>;IngestionEndpoint=https://…).')),
);
const AUTHENTICATION_FORM =
  'Setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be Authorization=AAD or ClientId=<guid>;Authorization=AAD.';
const authenticationString = z.pipe(
  text.check(
    z.refine((v) => {
      if (v === undefined) return true;
      const parts = v
        .split(';')
        .filter(Boolean)
        .map((p) => p.split('=').map((x) => x.trim()));
      return (
        parts.some(([k, value]) => k?.toLowerCase() === 'authorization' && value?.toUpperCase() === 'AAD') &&
        parts.every(
          ([k, value, ...rest]) =>
            rest.length === 0 &&
            ((k?.toLowerCase() === 'authorization' && value?.toUpperCase() === 'AAD') ||
              (k?.toLowerCase() === 'clientid' && value !== undefined && GUID.test(value))),
        )
      );
    }, says(AUTHENTICATION_FORM)),
  ),
  z.transform((v) =>
    v === undefined
      ? undefined
      : {
          clientId: v
            .split(';')
            .map((p) => p.split('=').map((x) => x.trim()))
            .find(([k]) => k?.toLowerCase() === 'clientid')?.[1],
        },
  ),
);

function telemetrySettings(env: Env, tenant: string, client: string): TelemetrySettings {
  const enabled = parse(env, 'MCP_TELEMETRY', telemetryMode) === 'on';
  // Off, no other telemetry setting is read: a stray OTEL_* variable cannot stop an app that exports nothing.
  if (!enabled) {
    return {
      enabled,
      otlpEndpoint: undefined,
      azureMonitor: undefined,
      user: 'none',
      userKey: '',
      serviceName: 'azure-obo-mcp',
      metricIntervalMs: 60_000,
      exportDelayMs: 5000,
    };
  }
  const user = parse(env, 'MCP_TELEMETRY_USER', telemetryUser);
  // Without a key of the operator's, the hash is keyed by the deployment: stable, and apart from other deployments.
  const key = parse(env, 'MCP_TELEMETRY_USER_KEY', userKey) ?? `${tenant}:${client}`;
  const serviceName = parse(env, 'OTEL_SERVICE_NAME', withDefault('azure-obo-mcp'));
  const metricIntervalMs = parse(
    env,
    'OTEL_METRIC_EXPORT_INTERVAL',
    positiveInt('OTEL_METRIC_EXPORT_INTERVAL', 60_000, 3_600_000),
  );
  const exportDelayMs = parse(
    env,
    'OTEL_BSP_SCHEDULE_DELAY',
    positiveInt('OTEL_BSP_SCHEDULE_DELAY', 5000, 60_000),
  );
  const base = { enabled, user, userKey: key, serviceName, metricIntervalMs, exportDelayMs };
  const otlpEndpoint = parse(
    env,
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    httpsUrl('OTEL_EXPORTER_OTLP_ENDPOINT', text, true),
  );
  const connection = parse(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING', connectionString);
  const authentication = parse(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', authenticationString);
  if (!otlpEndpoint && !connection) {
    throw new ConfigError(
      'With MCP_TELEMETRY=on, set OTEL_EXPORTER_OTLP_ENDPOINT (an OTLP/HTTP collector) or APPLICATIONINSIGHTS_CONNECTION_STRING (Azure Monitor), or both.',
    );
  }
  return {
    ...base,
    otlpEndpoint,
    azureMonitor: connection
      ? {
          connectionString: connection,
          entraAuthentication: authentication !== undefined,
          managedIdentityClientId: authentication?.clientId,
        }
      : undefined,
  };
}

/** Reads and validates all settings; throws a ConfigError naming the first bad setting (never its value). */
export function loadSettings(env: Env = process.env): Settings {
  const tenant = parse(env, 'ENTRA_TENANT_ID', tenantId);
  const client = parse(env, 'ENTRA_CLIENT_ID', clientId);
  const scope = parse(env, 'ENTRA_REQUIRED_SCOPE', requiredScope);
  const origins = parse(env, 'MCP_ALLOWED_ORIGINS', allowedOrigins);
  const uri = parse(env, 'ENTRA_APP_ID_URI', appIdUri) ?? `api://${client}`;
  const publicUrl = parse(env, 'MCP_PUBLIC_URL', httpsUrl('MCP_PUBLIC_URL', text, true));
  // Any other URI is probably another app's, and v1 tokens requested under it would be accepted here.
  if (uri.toLowerCase() !== `api://${client}`.toLowerCase() && uri !== publicUrl)
    throw new ConfigError(
      'Setting ENTRA_APP_ID_URI must be api://<ENTRA_CLIENT_ID> or equal MCP_PUBLIC_URL (set MCP_PUBLIC_URL to it when it is the MCP URL).',
    );
  const clientIds = parse(env, 'ENTRA_ALLOWED_CLIENT_IDS', allowedClientIds) ?? [
    ...new Set([client.toLowerCase(), VSCODE_CLIENT_ID]),
  ];
  const credential = credentialSettings(env);
  return {
    tenantId: tenant,
    clientId: client,
    appIdUri: uri,
    allowedClientIds: clientIds,
    authorityHost: parse(
      env,
      'ENTRA_AUTHORITY_HOST',
      httpsUrl('ENTRA_AUTHORITY_HOST', withDefault('https://login.microsoftonline.com')),
    ),
    requiredScope: scope,
    acceptedTokenVersions: parse(env, 'ENTRA_ACCEPTED_TOKEN_VERSIONS', acceptedTokenVersions),
    armEndpoint: parse(
      env,
      'ARM_ENDPOINT',
      httpsUrl('ARM_ENDPOINT', withDefault('https://management.azure.com')),
    ),
    publicUrl,
    allowedOrigins: origins,
    credential,
    upstreamTimeoutMs: parse(env, 'UPSTREAM_TIMEOUT_MS', positiveInt('UPSTREAM_TIMEOUT_MS', 10_000, 120_000)),
    maxBodyBytes: parse(
      env,
      'MCP_MAX_BODY_BYTES',
      positiveInt('MCP_MAX_BODY_BYTES', 1_048_576, 16 * 1_048_576),
    ),
    oboCacheMaxUsers: parse(env, 'OBO_CACHE_MAX_USERS', positiveInt('OBO_CACHE_MAX_USERS', 1000, 1_000_000)),
    oauthProxy: oauthProxySettings(env, credential),
    telemetry: telemetrySettings(env, tenant, client),
  };
}
