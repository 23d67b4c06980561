import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knownAuthoritiesFor } from '../../src/util/authority.js';

describe('knownAuthoritiesFor', () => {
  it("declares nothing for Microsoft's own hosts", () => {
    assert.deepEqual(knownAuthoritiesFor('https://login.microsoftonline.com'), {});
    assert.deepEqual(knownAuthoritiesFor('https://login.microsoftonline.us'), {});
  });
  it('declares any other host, with its port', () => {
    assert.deepEqual(knownAuthoritiesFor('https://127.0.0.1:8443'), { knownAuthorities: ['127.0.0.1:8443'] });
    assert.deepEqual(knownAuthoritiesFor('https://login.contoso-proxy.example'), {
      knownAuthorities: ['login.contoso-proxy.example'],
    });
  });
});
