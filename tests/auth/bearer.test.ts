import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { bearerToken, isProxyToken } from '../../src/auth/bearer.js';
import { ProxyKeyRing } from '../../src/oauth/keys.js';

describe('bearerToken', () => {
  for (const [header, token] of [
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc', 'abc'],
    ['Bearer abc ', 'abc'],
    ['Bearer a-b_c~d+e/f=', 'a-b_c~d+e/f='],
  ] as const) {
    it(`reads ${JSON.stringify(header)}`, () => {
      assert.equal(bearerToken(header), token);
    });
  }

  for (const header of [
    null,
    '',
    'Bearer',
    'Bearer ',
    'Bearerabc',
    'Basic dXNlcjpwYXNz',
    'DPoP abc',
    'Bearer abc def',
    'Bearer\tabc',
    ' Bearer abc',
    'Token Bearer abc',
  ]) {
    it(`finds no bearer token in ${JSON.stringify(header)}`, () => {
      assert.equal(bearerToken(header), undefined);
    });
  }
});

describe('isProxyToken', () => {
  it('is true for an access token the proxy sealed (a compact JWE)', async () => {
    const keys = new ProxyKeyRing([new Uint8Array(randomBytes(32))]);
    const token = await keys.seal('access-token', { at: 'x' }, Math.floor(Date.now() / 1000) + 60);
    assert.equal(isProxyToken(token), true);
  });

  it('is false for a JWS, as Entra issues', async () => {
    const keys = new ProxyKeyRing([new Uint8Array(randomBytes(32))]);
    assert.equal(isProxyToken(await keys.sign('client', {})), false);
    assert.equal(isProxyToken('eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln'), false);
  });

  for (const token of ['', 'opaque', 'a.b', 'a.b.c.d', 'a.b.c.d.e.f']) {
    it(`is false for ${JSON.stringify(token)}`, () => {
      assert.equal(isProxyToken(token), false);
    });
  }
});
