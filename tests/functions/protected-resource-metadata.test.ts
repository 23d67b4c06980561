import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import functions from '@azure/functions';
import {
  metadataFunctions,
  protectedResourceMetadataHandler,
} from '../../src/functions/protected-resource-metadata.js';

// @azure/functions is CommonJS: default import, then destructure.
const { HttpRequest, InvocationContext } = functions;

// getRuntime reads the process environment once.
Object.assign(process.env, {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'x',
});
delete process.env.MCP_PUBLIC_URL;
delete process.env.ENTRA_AUTHORITY_HOST;
delete process.env.ENTRA_APP_ID_URI;

const get = (url: string) =>
  protectedResourceMetadataHandler(new HttpRequest({ method: 'GET', url }), new InvocationContext());

describe('metadataFunctions', () => {
  const routes: [string, string][] = [
    ['protectedResourceMetadata', '.well-known/oauth-protected-resource'],
    ['protectedResourceMetadataMcp', '.well-known/oauth-protected-resource/mcp'],
  ];
  for (const [name, route] of routes) {
    it(`${name} serves GET, HEAD and the CORS preflight of ${route} anonymously`, () => {
      const fn = metadataFunctions.find((f) => f.name === name);
      assert.ok(fn, 'defined');
      assert.equal(fn.options.route, route);
      assert.deepEqual(fn.options.methods, ['GET', 'HEAD', 'OPTIONS']);
      assert.equal(fn.options.authLevel, 'anonymous');
    });
  }

  it('are exactly those two', () => {
    assert.equal(metadataFunctions.length, 2);
  });
});

describe('protectedResourceMetadataHandler', () => {
  it('answers the RFC 9728 document for the requesting host', async () => {
    const response = await get('http://localhost:7071/.well-known/oauth-protected-resource/mcp');
    assert.equal(response.status, 200);
    assert.deepEqual(response.jsonBody, {
      resource: 'http://localhost:7071/mcp',
      authorization_servers: ['https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0'],
      scopes_supported: ['api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute'],
      bearer_methods_supported: ['header'],
      resource_name: 'azure-obo-mcp',
    });
  });

  it('may be cached for an hour', async () => {
    const response = await get('http://localhost:7071/.well-known/oauth-protected-resource');
    assert.deepEqual(response.headers, { 'Cache-Control': 'public, max-age=3600' });
  });
});
