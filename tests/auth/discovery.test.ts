import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TenantDiscovery } from '../../src/auth/discovery.js';
import { MetadataUnavailableError } from '../../src/errors.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
let base: string;
let requests = 0;
let failing = true;
const server = createServer((req, res) => {
  requests++;
  if (failing) {
    res.writeHead(500).end();
    return;
  }
  const v2 = req.url?.includes('/v2.0/');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      issuer: v2 ? `${base}/${TENANT}/v2.0` : `https://sts.windows.net/${TENANT}/`,
      jwks_uri: `${base}/${TENANT}/discovery/${v2 ? 'v2.0/' : ''}keys`,
    }),
  );
});

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

describe('TenantDiscovery', () => {
  it('fails as metadata_unavailable, backs off, then recovers by itself', async () => {
    const discovery = new TenantDiscovery(base, TENANT, 1000);
    await assert.rejects(discovery.get(), MetadataUnavailableError);
    const afterFirst = requests;
    await assert.rejects(discovery.get(), MetadataUnavailableError);
    assert.equal(requests, afterFirst, 'no new attempt during the back-off');
    failing = false;
    await new Promise((r) => setTimeout(r, 2100));
    const metadata = await discovery.get();
    assert.equal(metadata.tenantGuid, TENANT);
    assert.equal(metadata.v1.issuer, `https://sts.windows.net/${TENANT}/`);
    const loaded = requests;
    await discovery.get();
    assert.equal(requests, loaded, 'cached once loaded');
  });

  it('resolves a tenant configured by domain name to the GUID in the issuer', async () => {
    failing = false;
    const metadata = await new TenantDiscovery(base, 'contoso.example', 1000).get();
    assert.equal(metadata.tenantGuid, TENANT);
  });
});
