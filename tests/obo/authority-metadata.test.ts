import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msalAuthorityMetadata } from '../../src/obo/authority-metadata.js';

const DOC = JSON.stringify({ issuer: 'https://example/v2.0', token_endpoint: 'https://example/token' });

describe('msalAuthorityMetadata', () => {
  it('is empty without a discovery document: MSAL fetches it itself', () => {
    assert.deepEqual(msalAuthorityMetadata('https://127.0.0.1:8443', undefined), {});
  });

  for (const host of ['https://login.microsoftonline.com', 'https://login.microsoftonline.us']) {
    it(`hands over only the document for Microsoft's own host ${host}`, () => {
      assert.deepEqual(msalAuthorityMetadata(host, DOC), { authorityMetadata: DOC });
    });
  }

  it('adds instance metadata naming the host as its only alias for another host', () => {
    const result = msalAuthorityMetadata('https://Login.Example.test:8443', DOC);
    assert.equal(result.authorityMetadata, DOC);
    assert.deepEqual(JSON.parse(result.cloudDiscoveryMetadata ?? '{}'), {
      tenant_discovery_endpoint:
        'https://Login.Example.test:8443/common/v2.0/.well-known/openid-configuration',
      'api-version': '1.1',
      metadata: [
        {
          preferred_network: 'login.example.test:8443',
          preferred_cache: 'login.example.test:8443',
          aliases: ['login.example.test:8443'],
        },
      ],
    });
  });
});
