import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SETTING_NAMES, loadSettings } from '../../src/config/settings.js';
import type { SettingName } from '../../src/config/settings.js';
import { ConfigError } from '../../src/errors.js';

const BASE = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'super-secret-value-123',
};

function fails(env: Record<string, string>, name: string): void {
  assert.throws(
    () => loadSettings(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'config_invalid');
      assert.ok(error.message.includes(name), `message should name ${name}: ${error.message}`);
      for (const [key, value] of Object.entries(env)) {
        // Mode names are an enumeration, not data; every other value must stay out of the message.
        if (key !== 'OBO_CREDENTIAL' && value.length > 8)
          assert.ok(!error.message.includes(value), `message echoes ${key}`);
      }
      return true;
    },
  );
}

describe('loadSettings', () => {
  it('applies defaults', () => {
    const s = loadSettings(BASE);
    assert.equal(s.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(s.armEndpoint, 'https://management.azure.com');
    assert.equal(s.requiredScope, 'execute');
    assert.deepEqual(s.allowedOrigins, []);
    assert.deepEqual(s.credential, { mode: 'secret', secret: BASE.OBO_CLIENT_SECRET });
    assert.equal(s.publicUrl, undefined);
  });

  for (const [name, env] of [
    ['ENTRA_TENANT_ID', { ...BASE, ENTRA_TENANT_ID: '' }],
    ['ENTRA_CLIENT_ID', { ...BASE, ENTRA_CLIENT_ID: ' ' }],
    ['OBO_CLIENT_SECRET', { ...BASE, OBO_CLIENT_SECRET: '' }],
  ] as const) {
    it(`names the missing required setting ${name}`, () => {
      fails(env, name);
    });
  }

  for (const [name, value] of [
    ['ENTRA_CLIENT_ID', 'not-a-guid-at-all'],
    ['ENTRA_TENANT_ID', 'common'],
    ['ENTRA_AUTHORITY_HOST', 'http://login.example.test'],
    ['ARM_ENDPOINT', 'not a url at all'],
    ['OBO_CREDENTIAL', 'password123456'],
    ['UPSTREAM_TIMEOUT_MS', '-5'],
    ['ENTRA_REQUIRED_SCOPE', 'a b'],
  ] as const) {
    it(`rejects a bad ${name} by name, without echoing it`, () => {
      fails({ ...BASE, [name]: value }, name);
    });
  }

  describe('never echoes a bad value', () => {
    const MARK = 'LEAK-7f3a9c';
    const { OBO_CREDENTIAL: _m, OBO_CLIENT_SECRET: _s, ...NO_CREDENTIAL } = BASE;
    const KEYVAULT = { ...NO_CREDENTIAL, KEY_VAULT_URL: 'https://kv.vault.azure.net' };
    // Per setting: a value it refuses that carries the marker, and the rest of the environment.
    const cases: [SettingName, string, Record<string, string>][] = [
      ['ENTRA_TENANT_ID', `${MARK} tenant`, BASE],
      ['ENTRA_CLIENT_ID', `${MARK}-client`, BASE],
      ['ENTRA_APP_ID_URI', `http://${MARK}.example/mcp`, BASE],
      ['ENTRA_ALLOWED_CLIENT_IDS', `${MARK}-app`, BASE],
      ['ENTRA_AUTHORITY_HOST', `http://${MARK}.example`, BASE],
      ['ENTRA_REQUIRED_SCOPE', `${MARK} scope`, BASE],
      ['ENTRA_ACCEPTED_TOKEN_VERSIONS', `2,${MARK}`, BASE],
      ['ARM_ENDPOINT', `${MARK} not a url`, BASE],
      ['OBO_CREDENTIAL', `${MARK}-mode`, BASE],
      ['OBO_CLIENT_SECRET', `${MARK}-secret`, KEYVAULT],
      ['KEY_VAULT_URL', `http://${MARK}.vault.example`, NO_CREDENTIAL],
      ['KEY_VAULT_SECRET_TTL_SECONDS', MARK, KEYVAULT],
      ['MANAGED_IDENTITY_CLIENT_ID', `${MARK}-identity`, BASE],
      ['MCP_PUBLIC_URL', `ftp://${MARK}.example`, BASE],
      ['MCP_ALLOWED_ORIGINS', `https://${MARK}.example/path`, BASE],
      ['UPSTREAM_TIMEOUT_MS', MARK, BASE],
      ['MCP_MAX_BODY_BYTES', MARK, BASE],
      ['OBO_CACHE_MAX_USERS', MARK, BASE],
      ['MCP_OAUTH_PROXY', `${MARK}-mode`, BASE],
      ['MCP_OAUTH_PROXY_KEY', `${MARK}.not-base64url`, { ...BASE, MCP_OAUTH_PROXY: 'on' }],
      [
        'MCP_OAUTH_REDIRECT_HOSTS',
        `${MARK}.example/path`,
        { ...BASE, MCP_OAUTH_PROXY: 'on', MCP_OAUTH_PROXY_KEY: 'A'.repeat(43) },
      ],
      ['MCP_TELEMETRY', `${MARK}-mode`, BASE],
      [
        'MCP_TELEMETRY_USER',
        `${MARK}-mode`,
        { ...BASE, MCP_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      ],
      [
        'MCP_TELEMETRY_USER_KEY',
        MARK,
        { ...BASE, MCP_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      ],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', `ftp://${MARK}.example`, { ...BASE, MCP_TELEMETRY: 'on' }],
      [
        'OTEL_METRIC_EXPORT_INTERVAL',
        MARK,
        { ...BASE, MCP_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      ],
      [
        'OTEL_BSP_SCHEDULE_DELAY',
        MARK,
        { ...BASE, MCP_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      ],
      [
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        `InstrumentationKey=${MARK}`,
        { ...BASE, MCP_TELEMETRY: 'on' },
      ],
      [
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        `Authorization=${MARK}`,
        { ...BASE, MCP_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      ],
    ];

    for (const [name, value, env] of cases) {
      it(`${name}`, () => {
        assert.throws(
          () => loadSettings({ ...env, [name]: value }),
          (error: unknown) => {
            assert.ok(error instanceof ConfigError);
            assert.ok(error.message.includes(name), `message should name ${name}: ${error.message}`);
            assert.ok(!error.message.includes(MARK), `message echoes ${name}: ${error.message}`);
            return true;
          },
        );
      });
    }

    it('covers every setting that can hold a bad value', () => {
      // Any secret name is valid, so KEY_VAULT_SECRET_NAME and MCP_OAUTH_PROXY_KEY_SECRET_NAME cannot fail.
      const covered = new Set<string>([
        ...cases.map(([name]) => name),
        'KEY_VAULT_SECRET_NAME',
        'MCP_OAUTH_PROXY_KEY_SECRET_NAME',
        'OTEL_SERVICE_NAME', // any name is one
      ]);
      assert.deepEqual(
        SETTING_NAMES.filter((name) => !covered.has(name)),
        [],
      );
    });
  });

  it('keyvault is the default mode and needs KEY_VAULT_URL', () => {
    const { OBO_CREDENTIAL: _m, OBO_CLIENT_SECRET: _s, ...rest } = BASE;
    fails(rest, 'KEY_VAULT_URL');
  });

  it('keyvault mode reads the vault URL without a trailing slash', () => {
    const { OBO_CREDENTIAL: _m, OBO_CLIENT_SECRET: _s, ...rest } = BASE;
    const s = loadSettings({ ...rest, KEY_VAULT_URL: 'https://kv-test.vault.azure.net/' });
    assert.deepEqual(s.credential, {
      mode: 'keyvault',
      vaultUrl: 'https://kv-test.vault.azure.net',
      secretName: 'obo-client-secret',
      secretTtlMs: 3_600_000,
      managedIdentityClientId: undefined,
    });
  });

  it('refuses a client secret setting next to keyvault mode', () => {
    fails(
      { ...BASE, OBO_CREDENTIAL: 'keyvault', KEY_VAULT_URL: 'https://kv.vault.azure.net' },
      'OBO_CLIENT_SECRET',
    );
  });

  it('refuses a client secret setting next to managed-identity mode', () => {
    fails({ ...BASE, OBO_CREDENTIAL: 'managed-identity' }, 'OBO_CLIENT_SECRET');
  });

  it('managed-identity mode takes an optional GUID client id', () => {
    const { OBO_CLIENT_SECRET: _s, ...rest } = BASE;
    const s = loadSettings({
      ...rest,
      OBO_CREDENTIAL: 'managed-identity',
      MANAGED_IDENTITY_CLIENT_ID: BASE.ENTRA_CLIENT_ID,
    });
    assert.deepEqual(s.credential, {
      mode: 'managed-identity',
      managedIdentityClientId: BASE.ENTRA_CLIENT_ID,
    });
  });

  it('managed-identity mode refuses a client id that is not a GUID', () => {
    const { OBO_CLIENT_SECRET: _s, ...rest } = BASE;
    fails(
      { ...rest, OBO_CREDENTIAL: 'managed-identity', MANAGED_IDENTITY_CLIENT_ID: 'nope' },
      'MANAGED_IDENTITY_CLIENT_ID',
    );
  });

  it('parses origins and the public URL', () => {
    const s = loadSettings({
      ...BASE,
      MCP_ALLOWED_ORIGINS: 'https://a.test/, https://b.test',
      MCP_PUBLIC_URL: 'https://app.test/mcp',
    });
    assert.deepEqual(s.allowedOrigins, ['https://a.test', 'https://b.test']);
    assert.equal(s.publicUrl, 'https://app.test/mcp');
  });

  describe('ENTRA_APP_ID_URI', () => {
    it('defaults to api://<ENTRA_CLIENT_ID>', () => {
      assert.equal(loadSettings(BASE).appIdUri, `api://${BASE.ENTRA_CLIENT_ID}`);
    });

    it('accepts api://<ENTRA_CLIENT_ID>, whatever the case of the GUID', () => {
      const uri = `api://${BASE.ENTRA_CLIENT_ID.toUpperCase()}`;
      assert.equal(loadSettings({ ...BASE, ENTRA_APP_ID_URI: uri }).appIdUri, uri);
    });

    for (const uri of [
      'https://mcp.contoso.example/mcp',
      'https://mcp.contoso.example',
      'http://localhost:7071/mcp',
      'http://127.0.0.1:7071/mcp',
      'http://127.8.9.10/mcp',
      'http://[::1]:7071/mcp',
    ]) {
      it(`accepts ${uri} when it is MCP_PUBLIC_URL`, () => {
        const s = loadSettings({ ...BASE, ENTRA_APP_ID_URI: uri, MCP_PUBLIC_URL: uri });
        assert.equal(s.appIdUri, uri);
      });
    }

    for (const [why, env] of [
      ["another app's api:// URI", { ENTRA_APP_ID_URI: 'api://contoso-mcp' }],
      ['an api:// URI under the tenant', { ENTRA_APP_ID_URI: `api://${BASE.ENTRA_TENANT_ID}/mcp` }],
      ['an https URI without MCP_PUBLIC_URL', { ENTRA_APP_ID_URI: 'https://mcp.contoso.example/mcp' }],
      [
        'an https URI other than MCP_PUBLIC_URL',
        { ENTRA_APP_ID_URI: 'https://mcp.contoso.example/mcp', MCP_PUBLIC_URL: 'https://other.example/mcp' },
      ],
    ] as const) {
      it(`refuses to start with ${why} (unrecognised: neither api://<ENTRA_CLIENT_ID> nor MCP_PUBLIC_URL)`, () => {
        fails({ ...BASE, ...env }, 'ENTRA_APP_ID_URI');
        assert.throws(
          () => loadSettings({ ...BASE, ...env }),
          /api:\/\/<ENTRA_CLIENT_ID> or equal MCP_PUBLIC_URL/,
        );
      });
    }

    for (const [why, uri] of [
      ['a trailing slash', 'https://mcp.contoso.example/mcp/'],
      ['a bare api://', 'api://'],
      ['http on a public host', 'http://mcp.contoso.example/mcp'],
      ['http on a private, non-loopback address', 'http://10.0.0.5/mcp'],
      ['a host that merely starts with 127', 'http://127.0.0.1.evil.example/mcp'],
      ['another scheme', 'urn:contoso:mcp-server'],
      ['a query', 'https://mcp.contoso.example/mcp?x=1'],
      ['a fragment', 'https://mcp.contoso.example/mcp#frag'],
      ['credentials in the URL', 'https://user:pass@mcp.contoso.example/mcp'],
      ['no URL at all', 'not a uri at all'],
    ]) {
      it(`rejects ${why}, naming the setting only`, () => {
        fails({ ...BASE, ENTRA_APP_ID_URI: uri! }, 'ENTRA_APP_ID_URI');
      });
    }
  });

  describe('ENTRA_ACCEPTED_TOKEN_VERSIONS', () => {
    it('defaults to 1,2 (the original demo issues v1 tokens)', () => {
      assert.deepEqual(loadSettings(BASE).acceptedTokenVersions, [1, 2]);
    });

    for (const [value, versions] of [
      ['2', [2]],
      ['1', [1]],
      [' 2 , 1 ', [1, 2]],
      ['2,2', [2]],
    ] as const) {
      it(`reads ${JSON.stringify(value)}`, () => {
        const s = loadSettings({ ...BASE, ENTRA_ACCEPTED_TOKEN_VERSIONS: value });
        assert.deepEqual(s.acceptedTokenVersions, versions);
      });
    }

    for (const value of ['3', '2.0', 'v2', ',', '1;2']) {
      it(`rejects ${JSON.stringify(value)}, naming the setting`, () => {
        fails({ ...BASE, ENTRA_ACCEPTED_TOKEN_VERSIONS: value }, 'ENTRA_ACCEPTED_TOKEN_VERSIONS');
      });
    }
  });

  describe('ENTRA_ALLOWED_CLIENT_IDS', () => {
    const VSCODE = 'aebc6443-996d-45c2-90f0-388ff96faa56';

    it('unset: this app and VS Code', () => {
      assert.deepEqual(loadSettings(BASE).allowedClientIds, [BASE.ENTRA_CLIENT_ID, VSCODE]);
    });

    it("'*' allows any client", () => {
      assert.equal(loadSettings({ ...BASE, ENTRA_ALLOWED_CLIENT_IDS: '*' }).allowedClientIds, '*');
    });

    it('a list replaces the default (lower-cased, trimmed, de-duplicated)', () => {
      const other = 'CAFE0000-0000-4000-8000-00000000BEEF';
      const s = loadSettings({
        ...BASE,
        ENTRA_ALLOWED_CLIENT_IDS: ` ${other}, ${VSCODE},${other.toLowerCase()} `,
      });
      assert.deepEqual(s.allowedClientIds, [other.toLowerCase(), VSCODE]);
    });

    for (const [why, value] of [
      ['a non-GUID entry', `${VSCODE},my-client-app-name`],
      ["'*' mixed with ids", `*,${VSCODE}`],
      ['only separators', ' , ,'],
      ['a GUID with extra text', `${VSCODE}x`],
    ]) {
      it(`rejects ${why}, naming the setting only`, () => {
        fails({ ...BASE, ENTRA_ALLOWED_CLIENT_IDS: value! }, 'ENTRA_ALLOWED_CLIENT_IDS');
      });
    }
  });
});

describe('MCP_TELEMETRY', () => {
  const TENANT = BASE.ENTRA_TENANT_ID;
  it('is off by default, and off no other telemetry setting is read (a stray OTEL_* value cannot stop the app)', () => {
    const { telemetry } = loadSettings({
      ...BASE,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
      OTEL_METRIC_EXPORT_INTERVAL: 'soon',
      MCP_TELEMETRY_USER: 'everyone',
    });
    assert.equal(telemetry.enabled, false);
  });

  it('on: users appear hashed, keyed by the deployment unless a key is set', () => {
    const on = { ...BASE, MCP_TELEMETRY: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    const { telemetry } = loadSettings(on);
    assert.equal(telemetry.user, 'hash');
    assert.equal(telemetry.userKey, `${TENANT}:${BASE.ENTRA_CLIENT_ID}`);
    assert.equal(
      loadSettings({ ...on, MCP_TELEMETRY_USER_KEY: 'k'.repeat(32) }).telemetry.userKey,
      'k'.repeat(32),
    );
  });

  it('on needs an exporter, and says which settings', () => {
    fails({ ...BASE, MCP_TELEMETRY: 'on' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('on with OTLP: the endpoint without a trailing slash; http allowed (a local collector)', () => {
    const { telemetry } = loadSettings({
      ...BASE,
      MCP_TELEMETRY: 'on',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318/',
    });
    assert.equal(telemetry.otlpEndpoint, 'http://localhost:4318');
    assert.equal(telemetry.azureMonitor, undefined);
  });

  it('on with Application Insights: Entra authentication with the identity named in the authentication string', () => {
    const clientId = '11111111-2222-4333-8444-555555555555';
    const { telemetry } = loadSettings({
      ...BASE,
      MCP_TELEMETRY: 'on',
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
    });
    assert.deepEqual(
      { ...telemetry.azureMonitor, connectionString: undefined },
      { connectionString: undefined, entraAuthentication: true, managedIdentityClientId: clientId },
    );
  });

  it('an Application Insights connection string with a plain-http ingestion endpoint is refused', () => {
    fails(
      {
        ...BASE,
        MCP_TELEMETRY: 'on',
        APPLICATIONINSIGHTS_CONNECTION_STRING:
          'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=http://ingest.example/',
      },
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    );
  });
});
