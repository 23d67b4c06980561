// `npm run serve` as a process: validates settings before listening, serves the app's functions, stops cleanly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runDevHostExpectingFailure, startDevHost } from '../helpers/dev-host.js';
import type { DevHost } from '../helpers/dev-host.js';

const SETTINGS = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'dev-host-secret-value',
  // Nothing listens here: the start-up prefetch fails fast and is only logged.
  ENTRA_AUTHORITY_HOST: 'https://127.0.0.1:1',
  ARM_ENDPOINT: 'https://127.0.0.1:1',
};

describe('dev-host/serve', () => {
  let host: DevHost;
  before(async () => {
    host = await startDevHost(SETTINGS);
  });
  after(() => host.stop());

  it('announces the /mcp URL and the metadata URL', () => {
    assert.match(
      host.logs(),
      /dev host listening: http:\/\/127\.0\.0\.1:\d+\/mcp \(metadata: .*\/\.well-known\/oauth-protected-resource\/mcp\)/,
    );
  });

  it('serves the bundle the Functions host loads and lists its functions, as func start does', () => {
    assert.match(host.logs(), /dev host serving dist\/app\/functions\.mjs\n/);
    assert.match(host.logs(), /^ {2}mcp: \[POST,GET,DELETE,OPTIONS\] http:\/\/127\.0\.0\.1:\d+\/mcp$/m);
    assert.match(
      host.logs(),
      /^ {2}protectedResourceMetadataMcp: \[GET,HEAD,OPTIONS\] http:.*\/\.well-known\/oauth-protected-resource\/mcp$/m,
    );
  });

  it("hides @azure/functions' test-mode warnings (expected outside the Functions host)", () => {
    assert.doesNotMatch(host.logs(), /test mode|Skipping call to register function/);
  });

  it('serves the metadata function of the app', async () => {
    const response = await fetch(`${host.url}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { resource: string }).resource, host.mcpUrl);
  });

  it('serves the /mcp function of the app', async () => {
    const response = await fetch(host.mcpUrl, { method: 'POST', body: '{}' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer resource_metadata=/);
  });

  it('never logs the secret', () => {
    assert.ok(!host.logs().includes(SETTINGS.OBO_CLIENT_SECRET));
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => host.process.once('exit', resolve));
    await host.stop();
    assert.equal(await exited, 0);
  });
});

describe('dev-host/serve --tsx', () => {
  it('serves the TypeScript sources instead of the bundle', async () => {
    const host = await startDevHost(SETTINGS, ['--tsx']);
    try {
      assert.match(host.logs(), /dev host serving src\/ through tsx \(--tsx\)/);
      const response = await fetch(host.mcpUrl, { method: 'POST', body: '{}' });
      assert.equal(response.status, 401);
    } finally {
      await host.stop();
    }
  });
});

describe('dev-host/serve with the sample settings', () => {
  it("warns, naming each setting that still holds the sample's placeholder GUID", async () => {
    const host = await startDevHost({
      ...SETTINGS,
      ENTRA_TENANT_ID: '00000000-0000-0000-0000-000000000000',
      ENTRA_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
    });
    try {
      assert.match(host.logs(), /^config: ENTRA_TENANT_ID is the placeholder all-zero GUID/m);
      assert.match(host.logs(), /^config: ENTRA_CLIENT_ID is the placeholder all-zero GUID/m);
    } finally {
      await host.stop();
    }
  });
});

describe('dev-host/serve with a bad setting', () => {
  it('exits 1 before listening, naming the setting', async () => {
    const { ENTRA_TENANT_ID: _omit, ...env } = SETTINGS;
    const { code, output } = await runDevHostExpectingFailure(env);
    assert.equal(code, 1);
    assert.match(output, /^azure-obo-mcp: .*ENTRA_TENANT_ID/m);
    assert.doesNotMatch(output, /listening/);
  });

  it('exits 1 for a FUNCTIONS_REQUEST_BODY_SIZE_LIMIT that is not a number of bytes', async () => {
    const { code, output } = await runDevHostExpectingFailure({
      ...SETTINGS,
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1MB',
    });
    assert.equal(code, 1);
    assert.match(
      output,
      /^azure-obo-mcp: Setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a whole number of bytes\.$/m,
    );
  });
});
