import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fingerprint, redact } from '../../src/util/log.js';

describe('redact', () => {
  const secret = 'abc8Q~Zx9yW7vU5tS3rQ1pO-nM_lK.jI0hG';
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
  const cases: [string, string][] = [
    ['a JWT', `token ${jwt} here`],
    ['a form secret', `client_secret=${secret}&x=1`],
    ['a URL-encoded assertion', `assertion%3D${jwt.replace(/\./g, '%2E')}`],
    ['a JSON secret', `{"client_secret":"${secret}"}`],
    ['a header-like secret', `client_secret: ${secret}`],
    ['an opaque bearer', 'Authorization: Bearer opaque-token-value-123'],
    ['a bare Entra secret', `secret is ${secret}`],
  ];
  for (const [name, text] of cases) {
    it(`removes ${name}`, () => {
      const out = redact(text);
      assert.ok(!out.includes(secret), out);
      assert.ok(!out.includes(jwt), out);
      assert.ok(!out.includes('opaque-token-value-123'), out);
    });
  }
  it('strips control characters that could forge log lines', () => {
    assert.equal(redact('a\nFAKE LOG LINE\r\u0007b'), 'a FAKE LOG LINE b');
  });
  it('keeps harmless text', () => {
    assert.equal(
      redact('AADSTS7000215: Invalid client secret provided.'),
      'AADSTS7000215: Invalid client secret provided.',
    );
  });
  it('fingerprints are short and stable', () => {
    assert.equal(fingerprint('x'), fingerprint('x'));
    assert.equal(fingerprint('x').length, 10);
    assert.notEqual(fingerprint('x'), fingerprint('y'));
  });
});
