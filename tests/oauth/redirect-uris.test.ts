import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_REDIRECT_URI_LENGTH,
  isLoopbackRedirect,
  redirectTarget,
  redirectUriMatches,
  redirectUriProblem,
} from '../../src/oauth/redirect-uris.js';

describe('redirectUriProblem', () => {
  for (const uri of [
    'https://claude.ai/api/mcp/auth_callback',
    'https://chatgpt.com/connector_platform_oauth_redirect',
    'https://client.example.com:8443/cb?tenant=a',
    'http://localhost/callback',
    'http://localhost:33418/callback',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:51234/oauth/callback',
    'http://[::1]/callback',
    'http://[::1]:8080/callback',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
    'io.modelcontextprotocol.client:/cb',
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'http://127.0.0.1:33418',
  ]) {
    it(`accepts ${uri}`, () => {
      assert.equal(redirectUriProblem(uri), undefined);
    });
  }

  for (const [uri, problem] of [
    ['http://client.example.com/callback', /loopback/],
    ['https://claude.ai/api/mcp/auth_callback\\..\\..\\x', /normal form/],
    ['https://claude.ai/api/../x', /normal form/],
    ['https://CLAUDE.ai/cb', /normal form/],
    ['http://127.0.0.1:80/cb', /normal form/],
    ['http://localhost.evil.example/callback', /loopback/],
    ['http://127.0.0.1.nip.io/callback', /loopback/],
    ['http://10.0.0.5/callback', /loopback/],
    ['https://client.example.com/cb#frag', /fragment/],
    ['https://client.example.com/cb#', /fragment/],
    ['http://127.0.0.1:5000/cb#x', /fragment/],
    ['https://user@client.example.com/cb', /user information/],
    ['https://user:pass@client.example.com/cb', /user information/],
    ['http://evil@127.0.0.1/cb', /user information/],
    ['javascript:alert(1)', /javascript: scheme/],
    ['JavaScript:alert(1)', /javascript: scheme/],
    ['data:text/html,<script>alert(1)</script>', /data: scheme/],
    ['vbscript:msgbox(1)', /vbscript: scheme/],
    ['file:///etc/passwd', /file: scheme/],
    ['blob:https://client.example.com/uuid', /blob: scheme/],
    ['about:blank', /about: scheme/],
    ['ws://127.0.0.1/cb', /ws: scheme/],
    ['wss://client.example.com/cb', /wss: scheme/],
    ['ftp://client.example.com/cb', /ftp: scheme/],
    ['mailto:someone@example.com', /mailto: scheme/],
    ['view-source:https://client.example.com/', /view-source: scheme/],
    ['myapp://callback', /reverse domain name/],
    ['claude:/callback', /reverse domain name/],
    ['/relative/callback', /absolute/],
    ['callback', /absolute/],
  ] as const) {
    it(`refuses ${uri}`, () => {
      assert.match(redirectUriProblem(uri) ?? '(accepted)', problem);
    });
  }

  for (const [name, uri] of [
    ['a space', 'https://client.example.com/a b'],
    ['a tab', 'https://client.example.com/a\tb'],
    ['a newline', 'https://client.example.com/cb\n'],
    ['a carriage return', 'https://client.example.com/\rcb'],
    ['a NUL', 'https://client.example.com/\u0000cb'],
    ['a DEL', 'https://client.example.com/\u007fcb'],
    ['a leading space', ' https://client.example.com/cb'],
  ] as const) {
    it(`refuses a URI with ${name}`, () => {
      assert.match(redirectUriProblem(uri) ?? '(accepted)', /control characters/);
    });
  }

  for (const value of ['', 42, null, undefined, ['https://client.example.com/cb'], { uri: 'x' }]) {
    it(`refuses ${JSON.stringify(value) ?? 'undefined'} (not a non-empty string)`, () => {
      assert.match(redirectUriProblem(value) ?? '(accepted)', /non-empty string/);
    });
  }

  it(`accepts ${MAX_REDIRECT_URI_LENGTH} characters and refuses one more`, () => {
    const base = 'https://client.example.com/';
    const longest = base + 'a'.repeat(MAX_REDIRECT_URI_LENGTH - base.length);
    assert.equal(longest.length, MAX_REDIRECT_URI_LENGTH);
    assert.equal(redirectUriProblem(longest), undefined);
    assert.match(redirectUriProblem(`${longest}a`) ?? '(accepted)', /at most/);
  });
});

describe('redirectUriMatches', () => {
  for (const [registered, requested] of [
    ['https://client.example.com/cb', 'https://client.example.com/cb'],
    ['com.example.app:/cb', 'com.example.app:/cb'],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback'],
    ['http://127.0.0.1:3000/callback', 'http://127.0.0.1:4000/callback'],
    ['http://127.0.0.1:3000/callback', 'http://127.0.0.1/callback'],
    ['http://localhost/callback', 'http://localhost:33418/callback'],
    ['http://[::1]/callback', 'http://[::1]:8080/callback'],
    ['http://127.0.0.1/cb?x=1', 'http://127.0.0.1:5000/cb?x=1'],
    // RFC 8252 §7.3: any port, the default one included.
    ['http://127.0.0.1/callback', 'http://127.0.0.1:80/callback'],
    ['http://localhost:80/callback', 'http://localhost:5000/callback'],
  ] as const) {
    it(`matches ${requested} against ${registered}`, () => {
      assert.equal(redirectUriMatches(registered, requested), true);
    });
  }

  for (const [why, registered, requested] of [
    ['localhost is not 127.0.0.1', 'http://localhost/callback', 'http://127.0.0.1:5000/callback'],
    ['127.0.0.1 is not localhost', 'http://127.0.0.1/callback', 'http://localhost/callback'],
    ['[::1] is not 127.0.0.1', 'http://[::1]/callback', 'http://127.0.0.1:5000/callback'],
    ['another path', 'http://127.0.0.1/callback', 'http://127.0.0.1:5000/callback2'],
    ['a trailing slash', 'http://127.0.0.1/callback', 'http://127.0.0.1:5000/callback/'],
    ['a path in another case', 'http://127.0.0.1/callback', 'http://127.0.0.1:5000/Callback'],
    ['another query', 'http://127.0.0.1/cb?x=1', 'http://127.0.0.1:5000/cb?x=2'],
    ['an added query', 'http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb?next=https://evil.example'],
    ['a fragment', 'http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb#x'],
    ['user information', 'http://127.0.0.1/cb', 'http://evil@127.0.0.1:5000/cb'],
    ['a non-loopback https port', 'https://client.example.com/cb', 'https://client.example.com:8443/cb'],
    ['a non-loopback http port', 'http://client.example.com/cb', 'http://client.example.com:8080/cb'],
    ['an https loopback port', 'https://localhost:3000/cb', 'https://localhost:4000/cb'],
    ['another host', 'https://client.example.com/cb', 'https://evil.example/cb'],
    ['a subdomain', 'https://client.example.com/cb', 'https://client.example.com.evil.example/cb'],
    ['http instead of https', 'https://localhost/cb', 'http://localhost/cb'],
    ['an extra path segment', 'https://client.example.com/cb', 'https://client.example.com/cb/../evil'],
    ['another app scheme', 'com.example.app:/cb', 'com.example.evil:/cb'],
  ] as const) {
    it(`refuses ${why}`, () => {
      assert.equal(redirectUriMatches(registered, requested), false);
    });
  }
});

describe('isLoopbackRedirect', () => {
  for (const [uri, expected] of [
    ['http://127.0.0.1:5000/cb', true],
    ['http://localhost/cb', true],
    ['http://[::1]:1/cb', true],
    ['https://127.0.0.1/cb', false],
    ['http://client.example.com/cb', false],
    ['com.example.app:/cb', false],
    ['not a uri', false],
  ] as const) {
    it(`${uri}: ${expected}`, () => {
      assert.equal(isLoopbackRedirect(uri), expected);
    });
  }
});

describe('redirectTarget', () => {
  for (const [uri, target] of [
    ['https://claude.ai/api/mcp/auth_callback', 'claude.ai'],
    ['https://client.example.com:8443/cb', 'client.example.com:8443'],
    ['http://127.0.0.1:51234/callback', '127.0.0.1:51234'],
    ['http://[::1]:8080/callback', '[::1]:8080'],
    ['com.example.app:/oauth2redirect', 'com.example.app'],
    ['cursor://anysphere.cursor-mcp/oauth/callback', 'cursor'],
  ] as const) {
    it(`${uri} → ${target}`, () => {
      assert.equal(redirectTarget(uri), target);
    });
  }
});
