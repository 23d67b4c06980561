// The Function App's app settings, as infra/ sets them, must be exactly the settings the code reads
// (SETTING_NAMES) that infra is meant to set, plus a fixed list of platform settings. A setting added to the
// code but not to infra (or deliberately left out here, with a reason), a typo in infra, or an unknown
// setting in infra all fail.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SETTING_NAMES } from '../../src/config/settings.js';
import { entries, entry, resourceBodies } from './bicep-source.js';
import { compileMain } from './compiled.js';

const root = join(import.meta.dirname, '..', '..');
const infraDir = join(root, 'infra');

/** Settings the code reads that infra deliberately does not set, each with the reason. */
const NOT_SET_BY_INFRA: Readonly<Record<string, string>> = {
  OBO_CLIENT_SECRET:
    'local development only: deployed apps use keyvault or managed-identity, and the code rejects it in those modes',
  ENTRA_AUTHORITY_HOST:
    "the code's default (https://login.microsoftonline.com) is the public cloud, the only cloud the Microsoft Graph Bicep extension deploys to",
  ARM_ENDPOINT:
    "the code's default (https://management.azure.com) is the public cloud, as for ENTRA_AUTHORITY_HOST",
  KEY_VAULT_SECRET_TTL_SECONDS:
    "tuning knob: the code's default (1 hour) bounds how long a rotated secret stays cached; set it by hand if needed",
  UPSTREAM_TIMEOUT_MS: "tuning knob: the code's default (10 s) suits Entra ID, Key Vault and ARM",
  MCP_OAUTH_PROXY_KEY:
    'local development only: in Azure the keys live in Key Vault (MCP_OAUTH_PROXY_KEY_SECRET_NAME), created by scripts/infra/set-oauth-proxy-key.sh',
  MCP_TELEMETRY_USER_KEY:
    'optional: without it the user hash is keyed by the deployment (tenant and client id); an operator who wants only key holders to link hashes to users sets a secret by hand',
  OTEL_EXPORTER_OTLP_ENDPOINT:
    'local development (an OTLP collector): in Azure the app exports to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING)',
  OTEL_SERVICE_NAME: "the code's default (azure-obo-mcp) is the role name the workbook and README use",
  OTEL_METRIC_EXPORT_INTERVAL: "tuning knob: the code's default (60 s) is Azure Monitor's usual interval",
  OTEL_BSP_SCHEDULE_DELAY: "tuning knob: the code's default (5 s) batches spans between exports",
  OBO_CACHE_MAX_USERS:
    "tuning knob: the code's default (1000 users' ARM tokens) bounds memory at a few MiB; raise it by hand for busy apps",
};

/** Settings for the Functions host and platform, not read by the code. */
const PLATFORM_SETTINGS: Readonly<Record<string, string>> = {
  AzureWebJobsStorage__accountName: 'host storage account, identity-based (no connection string, no key)',
  AzureWebJobsStorage__credential: 'managedidentity: the host authenticates to storage with the identity',
  AzureWebJobsStorage__clientId: 'which user-assigned identity the host uses for storage',
  AzureFunctionsJobHost__telemetryMode:
    "OpenTelemetry: the host reports its requests with OpenTelemetry, the parents of the app's spans",
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT:
    "the host's request-body limit (default ~100 MB), twice MCP_MAX_BODY_BYTES: bounded, yet above the app's so that the handler answers 413, not the host 500",
};

const expectedCodeSettings = SETTING_NAMES.filter((name) => !(name in NOT_SET_BY_INFRA));
const expected = [...expectedCodeSettings, ...Object.keys(PLATFORM_SETTINGS)].sort();

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return bicepFiles(path);
    return e.name.endsWith('.bicep') ? [path] : [];
  });
}

function describeDiff(actual: string[]): string {
  const unknown = actual.filter((name) => !expected.includes(name));
  const missing = expected.filter((name) => !actual.includes(name));
  const duplicated = actual.filter((name, i) => actual.indexOf(name) !== i);
  return [
    unknown.length
      ? `set by infra but neither read by the code nor a platform setting: ${unknown.join(', ')}`
      : '',
    missing.length ? `read by the code (or platform) but not set by infra: ${missing.join(', ')}` : '',
    duplicated.length ? `set twice: ${duplicated.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** App settings of the (single) Microsoft.Web/sites/config 'appsettings' resource, read from Bicep source. */
function appSettingsFromSource(): string[] {
  const found: string[][] = [];
  for (const file of bicepFiles(infraDir)) {
    const source = readFileSync(file, 'utf8');
    for (const body of resourceBodies(source, 'Microsoft.Web/sites/config')) {
      if (entry(body, 'name') !== "'appsettings'") continue;
      const properties = entry(body, 'properties');
      if (!properties?.startsWith('{'))
        assert.fail(`${file}: appsettings properties must be an object literal`);
      found.push(entries(properties).map((e) => e.key));
    }
  }
  assert.equal(found.length, 1, 'infra/ must declare exactly one sites/config appsettings resource');
  return found[0]!;
}

describe('app settings drift', () => {
  it('the allow-lists name real settings and do not overlap', () => {
    for (const name of Object.keys(NOT_SET_BY_INFRA)) {
      assert.ok(
        (SETTING_NAMES as readonly string[]).includes(name),
        `${name} is not in SETTING_NAMES any more`,
      );
      assert.ok(NOT_SET_BY_INFRA[name]!.length > 10, `${name} needs a reason`);
    }
    for (const name of Object.keys(PLATFORM_SETTINGS)) {
      assert.ok(
        !(SETTING_NAMES as readonly string[]).includes(name),
        `${name} is a code setting, not a platform one`,
      );
    }
    assert.ok(
      expectedCodeSettings.includes('ENTRA_CLIENT_ID') && expectedCodeSettings.includes('OBO_CREDENTIAL'),
    );
  });

  it('the Function App app settings in the Bicep source are exactly the expected ones', () => {
    const actual = appSettingsFromSource();
    assert.deepEqual([...actual].sort(), expected, describeDiff(actual));
  });

  it('no other place in infra/ sets app settings', () => {
    for (const file of bicepFiles(infraDir)) {
      const source = readFileSync(file, 'utf8');
      assert.doesNotMatch(
        source,
        /^\s*appSettings\s*:/m,
        `${file}: set app settings only in the appsettings config`,
      );
    }
  });

  it('the compiled ARM template sets exactly the expected app settings', () => {
    const template = compileMain();
    const configs: Record<string, unknown>[] = [];
    const sites: Record<string, unknown>[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.type === 'Microsoft.Web/sites/config') configs.push(record);
      if (record.type === 'Microsoft.Web/sites') sites.push(record);
      Object.values(record).forEach(walk);
    };
    walk(template);
    const appSettings = configs.filter((c) => String(c.name).includes("'appsettings'"));
    assert.equal(appSettings.length, 1, 'exactly one appsettings resource in the compiled template');
    const actual = Object.keys(appSettings[0]!.properties as Record<string, unknown>);
    assert.deepEqual([...actual].sort(), expected, describeDiff(actual));
    assert.equal(actual.join(), appSettingsFromSource().join(), 'compiled and source app settings differ');
    assert.equal(sites.length, 1, 'exactly one Function App');
    const siteConfig = (sites[0]!.properties as { siteConfig?: Record<string, unknown> }).siteConfig ?? {};
    assert.ok(!('appSettings' in siteConfig), 'the site must not also set siteConfig.appSettings');
  });
});
