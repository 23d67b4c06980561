import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protectedResourceMetadata, requiredScopeUri, resourceUrls } from '../../src/auth/resource.js';
import { loadSettings } from '../../src/config/settings.js';

const BASE = {
  ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  OBO_CREDENTIAL: 'secret',
  OBO_CLIENT_SECRET: 'x',
};
const settings = loadSettings(BASE);

describe('resourceUrls', () => {
  it('derives the resource from the request origin, with the path-inserted metadata URL', () => {
    assert.deepEqual(resourceUrls(settings, 'http://localhost:7071/.well-known/oauth-protected-resource'), {
      resource: 'http://localhost:7071/mcp',
      metadataUrl: 'http://localhost:7071/.well-known/oauth-protected-resource/mcp',
    });
  });

  it('prefers MCP_PUBLIC_URL over the request URL', () => {
    const s = { ...settings, publicUrl: 'https://public.example.test/mcp' };
    assert.deepEqual(resourceUrls(s, 'http://internal:8080/mcp'), {
      resource: 'https://public.example.test/mcp',
      metadataUrl: 'https://public.example.test/.well-known/oauth-protected-resource/mcp',
    });
  });

  it('drops trailing slashes of the public path from the metadata URL', () => {
    const s = { ...settings, publicUrl: 'https://public.example.test/api/mcp/' };
    assert.equal(
      resourceUrls(s, 'http://internal/mcp').metadataUrl,
      'https://public.example.test/.well-known/oauth-protected-resource/api/mcp',
    );
  });

  it('puts the metadata at the root for a public URL without a path', () => {
    const s = { ...settings, publicUrl: 'https://public.example.test/' };
    assert.equal(
      resourceUrls(s, 'http://internal/mcp').metadataUrl,
      'https://public.example.test/.well-known/oauth-protected-resource',
    );
  });
});

describe('requiredScopeUri', () => {
  it('defaults to api://<client id>/<scope>', () => {
    assert.equal(requiredScopeUri(settings), 'api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute');
  });

  it('lives under ENTRA_APP_ID_URI when set', () => {
    const url = 'https://app.example.test/mcp';
    const s = loadSettings({ ...BASE, ENTRA_APP_ID_URI: url, MCP_PUBLIC_URL: url });
    assert.equal(requiredScopeUri(s), 'https://app.example.test/mcp/execute');
  });
});

describe('protectedResourceMetadata', () => {
  it('is the RFC 9728 document for MCP_PUBLIC_URL', () => {
    const s = { ...settings, publicUrl: 'https://public.example.test/mcp' };
    const doc = protectedResourceMetadata(s, 'http://internal:8080/.well-known/oauth-protected-resource');
    assert.deepEqual(doc, {
      resource: 'https://public.example.test/mcp',
      authorization_servers: ['https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0'],
      scopes_supported: ['api://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/execute'],
      bearer_methods_supported: ['header'],
      resource_name: 'azure-obo-mcp',
    });
  });

  it('puts scopes_supported under the resource when ENTRA_APP_ID_URI is it, so RFC 8707 clients can sign in', () => {
    const aligned = loadSettings({
      ...BASE,
      ENTRA_APP_ID_URI: 'https://app.example.test/mcp',
      MCP_PUBLIC_URL: 'https://app.example.test/mcp',
    });
    const doc = protectedResourceMetadata(aligned, 'https://app.example.test/mcp');
    assert.equal(doc.resource, 'https://app.example.test/mcp');
    assert.deepEqual(doc.scopes_supported, ['https://app.example.test/mcp/execute']);
  });

  it('names the configured authority host as the authorization server', () => {
    const s = { ...settings, authorityHost: 'https://login.microsoftonline.us' };
    assert.deepEqual(protectedResourceMetadata(s, 'https://app.example.test/mcp').authorization_servers, [
      'https://login.microsoftonline.us/11111111-2222-3333-4444-555555555555/v2.0',
    ]);
  });
});
