import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadSettings, parseProxyKeys } from '../../src/config/settings.js';
import type { OAuthProxySettings } from '../../src/config/settings.js';
import { ConfigError } from '../../src/errors.js';

const SECRET_MODE = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'super-secret-value-123',
};
const KEYVAULT_MODE = {
  ENTRA_TENANT_ID: SECRET_MODE.ENTRA_TENANT_ID,
  ENTRA_CLIENT_ID: SECRET_MODE.ENTRA_CLIENT_ID,
  KEY_VAULT_URL: 'https://kv-app.vault.azure.net/',
  MANAGED_IDENTITY_CLIENT_ID: '5b6c7d8e-9f01-4234-a567-89abcdef0123',
};

function newKey(): Buffer {
  return randomBytes(32);
}
const b64url = (key: Buffer) => key.toString('base64url');

function proxy(env: Record<string, string>): OAuthProxySettings {
  return loadSettings(env).oauthProxy;
}

function enabled(env: Record<string, string>) {
  const settings = proxy(env);
  assert.ok(settings.enabled);
  return settings;
}

/** Asserts loadSettings fails naming `name`, and that no value of `secrets` (nor of the env) is echoed. */
function fails(env: Record<string, string>, name: RegExp, secrets: string[] = []): void {
  assert.throws(
    () => loadSettings(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, name);
      for (const value of [...secrets, env.MCP_OAUTH_PROXY_KEY ?? '', env.OBO_CLIENT_SECRET ?? ''].filter(
        Boolean,
      )) {
        assert.ok(!error.message.includes(value), `echoes a value: ${error.message}`);
      }
      return true;
    },
  );
}

describe('MCP_OAUTH_PROXY', () => {
  it('is off by default', () => {
    assert.deepEqual(proxy(SECRET_MODE), { enabled: false });
  });

  it("off is today's behaviour, whatever the other proxy settings hold", () => {
    assert.deepEqual(
      proxy({
        ...SECRET_MODE,
        MCP_OAUTH_PROXY: 'off',
        MCP_OAUTH_PROXY_KEY: 'not-a-key',
        MCP_OAUTH_REDIRECT_HOSTS: 'a b',
      }),
      { enabled: false },
    );
  });

  it('blank is off', () => {
    assert.deepEqual(proxy({ ...SECRET_MODE, MCP_OAUTH_PROXY: '  ' }), { enabled: false });
  });

  for (const value of ['true', 'ON', '1', 'yes']) {
    it(`refuses ${JSON.stringify(value)}, naming the setting and its values`, () => {
      fails({ ...SECRET_MODE, MCP_OAUTH_PROXY: value }, /MCP_OAUTH_PROXY must be one of off, on/);
    });
  }

  it('on needs a key or a secret name', () => {
    fails({ ...SECRET_MODE, MCP_OAUTH_PROXY: 'on' }, /MCP_OAUTH_PROXY_KEY.*MCP_OAUTH_PROXY_KEY_SECRET_NAME/);
  });

  it('on refuses both a key and a secret name', () => {
    fails(
      {
        ...KEYVAULT_MODE,
        MCP_OAUTH_PROXY: 'on',
        MCP_OAUTH_PROXY_KEY: b64url(newKey()),
        MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'k',
      },
      /exactly one of MCP_OAUTH_PROXY_KEY/,
    );
  });
});

describe('MCP_OAUTH_PROXY_KEY', () => {
  const on = { ...SECRET_MODE, MCP_OAUTH_PROXY: 'on' };

  it('holds one key: the environment is the key source', () => {
    const key = newKey();
    const settings = enabled({ ...on, MCP_OAUTH_PROXY_KEY: b64url(key) });
    assert.equal(settings.key.source, 'environment');
    assert.ok(settings.key.source === 'environment');
    assert.deepEqual(
      settings.key.keys.map((k) => Buffer.from(k)),
      [key],
    );
  });

  it('holds a comma-separated list in order (the first encrypts)', () => {
    const keys = [newKey(), newKey(), newKey()];
    const settings = enabled({ ...on, MCP_OAUTH_PROXY_KEY: ` ${keys.map(b64url).join(' , ')} ` });
    assert.ok(settings.key.source === 'environment');
    assert.deepEqual(
      settings.key.keys.map((k) => Buffer.from(k)),
      keys,
    );
  });

  it("tolerates standard base64's trailing padding", () => {
    const key = newKey();
    const settings = enabled({ ...on, MCP_OAUTH_PROXY_KEY: `${b64url(key)}=` });
    assert.ok(settings.key.source === 'environment');
    assert.deepEqual(
      settings.key.keys.map((k) => Buffer.from(k)),
      [key],
    );
  });

  it('ignores empty list entries', () => {
    const key = newKey();
    const settings = enabled({ ...on, MCP_OAUTH_PROXY_KEY: `${b64url(key)},,` });
    assert.ok(settings.key.source === 'environment');
    assert.equal(settings.key.keys.length, 1);
  });

  for (const [name, value] of [
    ['a passphrase', 'LEAK-correct-horse-battery-staple'],
    ['a 16-byte key', randomBytes(16).toString('base64url')],
    ['a 64-byte key', randomBytes(64).toString('base64url')],
    ['hex of 32 bytes', randomBytes(32).toString('hex')],
    ['standard base64 with + or /', `${'+'.repeat(20)}${'/'.repeat(22)}A`],
    ['one good key and one bad', `${b64url(newKey())},LEAK-second-key-value`],
    ['a 43-character value with a stray character', `${b64url(newKey()).slice(0, 42)}*`],
    ['double padding', `${b64url(newKey())}==`],
  ] as const) {
    it(`refuses ${name}, naming MCP_OAUTH_PROXY_KEY and never echoing it`, () => {
      const env = { ...on, MCP_OAUTH_PROXY_KEY: value };
      fails(env, /MCP_OAUTH_PROXY_KEY must be base64url-encoded 32-byte keys/, [
        value,
        'LEAK',
        ...value.split(','),
      ]);
    });
  }
});

describe('parseProxyKeys', () => {
  it('reads the keys of a value, as the Key Vault secret holds them', () => {
    const [a, b] = [newKey(), newKey()];
    assert.deepEqual(
      parseProxyKeys(`${b64url(a)},${b64url(b)}`)?.map((k) => Buffer.from(k)),
      [a, b],
    );
  });

  for (const value of [undefined, '', ',', 'x', `${b64url(newKey())},x`]) {
    it(`is undefined for ${JSON.stringify(value) ?? 'undefined'}`, () => {
      assert.equal(parseProxyKeys(value), undefined);
    });
  }
});

describe('MCP_OAUTH_PROXY_KEY_SECRET_NAME', () => {
  it('reads the keys from the OBO credential vault in keyvault mode', () => {
    const settings = enabled({
      ...KEYVAULT_MODE,
      MCP_OAUTH_PROXY: 'on',
      MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'oauth-proxy-key',
    });
    assert.deepEqual(settings.key, {
      source: 'keyvault',
      vaultUrl: 'https://kv-app.vault.azure.net',
      secretName: 'oauth-proxy-key',
      ttlMs: 3_600_000,
      managedIdentityClientId: KEYVAULT_MODE.MANAGED_IDENTITY_CLIENT_ID,
    });
  });

  it('follows KEY_VAULT_SECRET_TTL_SECONDS', () => {
    const settings = enabled({
      ...KEYVAULT_MODE,
      MCP_OAUTH_PROXY: 'on',
      MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'oauth-proxy-key',
      KEY_VAULT_SECRET_TTL_SECONDS: '600',
    });
    assert.ok(settings.key.source === 'keyvault');
    assert.equal(settings.key.ttlMs, 600_000);
  });

  it('needs KEY_VAULT_URL outside keyvault mode', () => {
    fails(
      { ...SECRET_MODE, MCP_OAUTH_PROXY: 'on', MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'oauth-proxy-key' },
      /KEY_VAULT_URL/,
    );
  });

  it('uses KEY_VAULT_URL outside keyvault mode, with the managed identity in managed-identity mode', () => {
    const { OBO_CLIENT_SECRET: _s, ...rest } = SECRET_MODE;
    const settings = enabled({
      ...rest,
      OBO_CREDENTIAL: 'managed-identity',
      MANAGED_IDENTITY_CLIENT_ID: KEYVAULT_MODE.MANAGED_IDENTITY_CLIENT_ID,
      KEY_VAULT_URL: 'https://kv-keys.vault.azure.net',
      MCP_OAUTH_PROXY: 'on',
      MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'oauth-proxy-key',
    });
    assert.ok(settings.key.source === 'keyvault');
    assert.equal(settings.key.vaultUrl, 'https://kv-keys.vault.azure.net');
    assert.equal(settings.key.managedIdentityClientId, KEYVAULT_MODE.MANAGED_IDENTITY_CLIENT_ID);
  });

  it('refuses an http KEY_VAULT_URL for it', () => {
    fails(
      {
        ...SECRET_MODE,
        KEY_VAULT_URL: 'http://kv.example',
        MCP_OAUTH_PROXY: 'on',
        MCP_OAUTH_PROXY_KEY_SECRET_NAME: 'oauth-proxy-key',
      },
      /KEY_VAULT_URL must be an https/,
    );
  });
});

describe('MCP_OAUTH_REDIRECT_HOSTS', () => {
  const on = { ...SECRET_MODE, MCP_OAUTH_PROXY: 'on', MCP_OAUTH_PROXY_KEY: b64url(newKey()) };

  it('is unset by default: any host', () => {
    assert.equal(enabled(on).redirectHosts, undefined);
  });

  it('reads a comma-separated list, trimmed and lower case', () => {
    assert.deepEqual(
      enabled({ ...on, MCP_OAUTH_REDIRECT_HOSTS: ' Claude.ai , chatgpt.com,127.0.0.1, localhost ' })
        .redirectHosts,
      ['claude.ai', 'chatgpt.com', '127.0.0.1', 'localhost'],
    );
  });

  it('reads an IPv6 loopback host as URLs spell it', () => {
    assert.deepEqual(enabled({ ...on, MCP_OAUTH_REDIRECT_HOSTS: '[::1]' }).redirectHosts, ['[::1]']);
  });

  it('blank is unset', () => {
    assert.equal(enabled({ ...on, MCP_OAUTH_REDIRECT_HOSTS: '  ' }).redirectHosts, undefined);
  });

  for (const value of [
    'https://claude.ai',
    'claude.ai/path',
    'claude.ai:443',
    'claude ai',
    'user@claude.ai',
    ',',
    '::1',
  ]) {
    it(`refuses ${JSON.stringify(value)}, naming the setting`, () => {
      fails({ ...on, MCP_OAUTH_REDIRECT_HOSTS: value }, /MCP_OAUTH_REDIRECT_HOSTS must list host names/);
    });
  }
});
