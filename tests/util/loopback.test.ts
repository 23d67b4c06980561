import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost, isLoopbackUrl } from '../../src/util/loopback.js';

describe('isLoopbackUrl', () => {
  for (const url of [
    'http://localhost:7071/mcp',
    'https://LOCALHOST/',
    'http://127.0.0.1:1/',
    'http://127.8.9.10/',
    'http://[::1]:7071/',
  ])
    it(`${url} is loopback`, () => {
      assert.equal(isLoopbackUrl(url), true);
    });

  for (const url of [
    'https://mcp.example.com/',
    'http://127.0.0.1.nip.io/',
    'http://10.0.0.5/',
    'http://[::2]/',
    'http://localhost.example/',
  ])
    it(`${url} is not loopback`, () => {
      assert.equal(isLoopbackUrl(url), false);
    });
});

describe('isLoopbackHost', () => {
  it('takes URL.hostname spelling: IPv6 in brackets', () => {
    assert.equal(isLoopbackHost('[::1]'), true);
    assert.equal(isLoopbackHost('::1'), false);
  });
});
