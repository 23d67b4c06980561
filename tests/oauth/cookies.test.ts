import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseSetCookie } from 'cookie';
import {
  CONSENT_DAYS,
  approvalKey,
  browserBinding,
  browserValue,
  isApproved,
  rememberApproval,
  requestCookies,
} from '../../src/oauth/cookies.js';
import { ProxyKeyRing, digest } from '../../src/oauth/keys.js';

const NOW = 1_800_000_000;
const DAY = 86_400;
const CLIENT = digest('https://client.example.com/metadata.json');

function ring(clock: { t: number } = { t: NOW * 1000 }): ProxyKeyRing {
  return new ProxyKeyRing([new Uint8Array(randomBytes(32))], () => clock.t);
}

/** The cookie a Set-Cookie header sets, as the browser sends it back. */
function sent(setCookie: string): Record<string, string> {
  const { name, value } = parseSetCookie(setCookie);
  assert.ok(value, `no value in ${setCookie}`);
  return { [name]: value };
}

/** Set-Cookie attribute names (lower case) and values. */
function attributes(setCookie: string): Map<string, string> {
  const [, ...parts] = setCookie.split(';').map((p) => p.trim());
  return new Map(
    parts.map((p) => {
      const [k = '', v = ''] = p.split('=');
      return [k.toLowerCase(), v];
    }),
  );
}

function assertHostCookie(setCookie: string): void {
  const { name } = parseSetCookie(setCookie);
  const attrs = attributes(setCookie);
  assert.ok(name.startsWith('__Host-'), name);
  assert.ok(attrs.has('secure'), 'Secure');
  assert.ok(attrs.has('httponly'), 'HttpOnly');
  assert.equal(attrs.get('samesite')?.toLowerCase(), 'lax');
  assert.equal(attrs.get('path'), '/');
  assert.equal(attrs.has('domain'), false, '__Host- cookies have no Domain');
  assert.equal(attrs.get('max-age'), String(CONSENT_DAYS * DAY));
}

describe('requestCookies', () => {
  it('reads the Cookie header', () => {
    const request = new Request('https://mcp.example/oauth/authorize', { headers: { cookie: 'a=1; b=two' } });
    assert.deepEqual({ ...requestCookies(request) }, { a: '1', b: 'two' });
  });

  it('reads no cookies from a request without the header', () => {
    assert.deepEqual({ ...requestCookies(new Request('https://mcp.example/')) }, {});
  });
});

describe('browserBinding', () => {
  it('makes a new random value and its cookie for a browser without one', () => {
    const first = browserBinding({});
    const second = browserBinding({});
    assert.match(first.value, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first.value, second.value);
    assert.ok(first.setCookie);
    assert.equal(Object.values(sent(first.setCookie))[0], first.value);
    assertHostCookie(first.setCookie);
  });

  it('keeps the value of a browser that has one, and sets no cookie', () => {
    const { value, setCookie } = browserBinding({});
    assert.ok(setCookie);
    assert.deepEqual(browserBinding(sent(setCookie)), { value, setCookie: undefined });
  });

  for (const [name, value] of [
    ['too short', 'abc'],
    ['too long', 'a'.repeat(44)],
    ['not base64url', `${'a'.repeat(42)}+`],
    ['empty', ''],
  ] as const) {
    it(`replaces a browser value that is ${name}`, () => {
      const { setCookie } = browserBinding({});
      assert.ok(setCookie);
      const { name: cookieName } = parseSetCookie(setCookie);
      const binding = browserBinding({ [cookieName]: value });
      assert.notEqual(binding.value, value);
      assert.ok(binding.setCookie);
    });
  }
});

describe('browserValue', () => {
  it('is the value of a binding cookie', () => {
    const { value, setCookie } = browserBinding({});
    assert.ok(setCookie);
    assert.equal(browserValue(sent(setCookie)), value);
  });

  it('is undefined without the cookie or with a malformed one', () => {
    const { setCookie } = browserBinding({});
    assert.ok(setCookie);
    const { name } = parseSetCookie(setCookie);
    assert.equal(browserValue({}), undefined);
    assert.equal(browserValue({ [name]: 'x' }), undefined);
    assert.equal(browserValue({ 'azure-obo-mcp-browser': 'a'.repeat(43) }), undefined, 'needs the prefix');
  });
});

describe('approvalKey', () => {
  for (const [a, b] of [
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback'],
    ['http://127.0.0.1:3000/callback', 'http://127.0.0.1:4000/callback'],
    ['http://localhost:33418/callback', 'http://localhost/callback'],
    ['http://[::1]:8080/callback', 'http://[::1]/callback'],
  ] as const) {
    it(`is the same for ${a} and ${b} (a loopback port is not part of it)`, () => {
      assert.equal(approvalKey(CLIENT, a), approvalKey(CLIENT, b));
    });
  }

  for (const [why, a, b] of [
    ['another https port', 'https://client.example.com/cb', 'https://client.example.com:8443/cb'],
    ['another http host', 'http://127.0.0.1/callback', 'http://localhost/callback'],
    ['another path', 'http://127.0.0.1:5000/callback', 'http://127.0.0.1:5000/other'],
    ['another query', 'http://127.0.0.1:5000/cb?a=1', 'http://127.0.0.1:5000/cb?a=2'],
    ['a port-like query', 'http://127.0.0.1/cb?x=:5000', 'http://127.0.0.1/cb?x='],
    ['another host', 'https://client.example.com/cb', 'https://evil.example/cb'],
  ] as const) {
    it(`differs for ${why}`, () => {
      assert.notEqual(approvalKey(CLIENT, a), approvalKey(CLIENT, b));
    });
  }

  it('differs for another client with the same redirect URI', () => {
    const uri = 'http://127.0.0.1/callback';
    assert.notEqual(approvalKey(CLIENT, uri), approvalKey(digest('another-client'), uri));
  });
});

describe('rememberApproval and isApproved', () => {
  const KEY_A = approvalKey(CLIENT, 'https://client.example.com/a');
  const KEY_B = approvalKey(CLIENT, 'https://client.example.com/b');

  it('remembers an approval in a signed __Host- cookie', async () => {
    const keys = ring();
    const setCookie = await rememberApproval(keys, {}, KEY_A, NOW);
    assertHostCookie(setCookie);
    assert.equal(await isApproved(keys, sent(setCookie), KEY_A, NOW), true);
    assert.equal(await isApproved(keys, sent(setCookie), KEY_B, NOW), false);
  });

  it('keeps earlier approvals when it remembers another', async () => {
    const keys = ring();
    const first = sent(await rememberApproval(keys, {}, KEY_A, NOW));
    const both = sent(await rememberApproval(keys, first, KEY_B, NOW + 60));
    assert.equal(await isApproved(keys, both, KEY_A, NOW + 60), true);
    assert.equal(await isApproved(keys, both, KEY_B, NOW + 60), true);
  });

  it('nothing is approved without the cookie', async () => {
    assert.equal(await isApproved(ring(), {}, KEY_A, NOW), false);
  });

  it(`forgets an approval after ${CONSENT_DAYS} days`, async () => {
    const clock = { t: NOW * 1000 };
    const keys = ring(clock);
    const cookies = sent(await rememberApproval(keys, {}, KEY_A, NOW));
    const before = NOW + CONSENT_DAYS * DAY - 1;
    clock.t = before * 1000;
    assert.equal(await isApproved(keys, cookies, KEY_A, before), true);
    const afterwards = NOW + CONSENT_DAYS * DAY + 1;
    clock.t = afterwards * 1000;
    assert.equal(await isApproved(keys, cookies, KEY_A, afterwards), false);
  });

  it('an older approval expires on its own date when a newer one is added', async () => {
    const clock = { t: NOW * 1000 };
    const keys = ring(clock);
    const first = sent(await rememberApproval(keys, {}, KEY_A, NOW));
    const later = NOW + 20 * DAY;
    clock.t = later * 1000;
    const both = sent(await rememberApproval(keys, first, KEY_B, later));
    const check = NOW + CONSENT_DAYS * DAY + 1;
    clock.t = check * 1000;
    assert.equal(await isApproved(keys, both, KEY_A, check), false);
    assert.equal(await isApproved(keys, both, KEY_B, check), true);
  });

  it('approving again renews an approval', async () => {
    const clock = { t: NOW * 1000 };
    const keys = ring(clock);
    const first = sent(await rememberApproval(keys, {}, KEY_A, NOW));
    const later = NOW + 20 * DAY;
    clock.t = later * 1000;
    const renewed = sent(await rememberApproval(keys, first, KEY_A, later));
    const check = NOW + CONSENT_DAYS * DAY + 1;
    clock.t = check * 1000;
    assert.equal(await isApproved(keys, renewed, KEY_A, check), true);
  });

  it('is bounded: the oldest approvals give way, and the cookie stays small', async () => {
    const keys = ring();
    const approvalKeys = Array.from({ length: 40 }, (_, i) =>
      approvalKey(CLIENT, `https://c${i}.example/cb`),
    );
    let cookies: Record<string, string> = {};
    let setCookie = '';
    for (const [i, key] of approvalKeys.entries()) {
      setCookie = await rememberApproval(keys, cookies, key, NOW + i);
      cookies = sent(setCookie);
    }
    assert.ok(setCookie.length < 4096, `Set-Cookie of ${setCookie.length} bytes`);
    const approved = await Promise.all(approvalKeys.map((k) => isApproved(keys, cookies, k, NOW + 40)));
    assert.equal(approved[0], false, 'the oldest is forgotten');
    assert.equal(approved.at(-1), true, 'the newest is kept');
    const kept = approved.filter(Boolean).length;
    assert.ok(kept >= 10 && kept < 40, `${kept} kept`);
    assert.deepEqual(approved, [
      ...Array<boolean>(40 - kept).fill(false),
      ...Array<boolean>(kept).fill(true),
    ]);
  });

  it('ignores a consent cookie signed under another key', async () => {
    const keys = ring();
    const forged = sent(await rememberApproval(ring(), {}, KEY_A, NOW));
    assert.equal(await isApproved(keys, forged, KEY_A, NOW), false);
  });

  it('does not carry the approvals of a forged cookie into the one it sets', async () => {
    const keys = ring();
    const forged = sent(await rememberApproval(ring(), {}, KEY_A, NOW));
    const next = sent(await rememberApproval(keys, forged, KEY_B, NOW));
    assert.equal(await isApproved(keys, next, KEY_A, NOW), false);
    assert.equal(await isApproved(keys, next, KEY_B, NOW), true);
  });

  it('ignores a cookie whose payload was changed', async () => {
    const keys = ring();
    const genuine = sent(await rememberApproval(keys, {}, KEY_B, NOW));
    const [name, value] = Object.entries(genuine)[0] ?? ['', ''];
    const [h, , s] = value.split('.');
    const payload = Buffer.from(
      JSON.stringify({ approvals: [[KEY_A, NOW + DAY]], iat: NOW, exp: NOW + DAY }),
    );
    const forged = { [name]: `${h}.${payload.toString('base64url')}.${s}` };
    assert.equal(await isApproved(keys, forged, KEY_A, NOW), false);
  });

  it('ignores a registration (another signed type) presented as the consent cookie', async () => {
    const keys = ring();
    const [name] = Object.keys(sent(await rememberApproval(keys, {}, KEY_B, NOW)));
    assert.ok(name);
    const other = await keys.sign('client', { approvals: [[KEY_A, NOW + DAY]] });
    assert.equal(await isApproved(keys, { [name]: other }, KEY_A, NOW), false);
  });

  it('ignores garbage in the cookie', async () => {
    const keys = ring();
    const [name] = Object.keys(sent(await rememberApproval(keys, {}, KEY_B, NOW)));
    assert.ok(name);
    assert.equal(await isApproved(keys, { [name]: 'garbage' }, KEY_A, NOW), false);
  });
});
