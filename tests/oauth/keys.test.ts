import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EncryptJWT, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { ProxyKeyRing, digest } from '../../src/oauth/keys.js';
import type { SealedType, SignedType } from '../../src/oauth/keys.js';

const SEALED: SealedType[] = ['access-token', 'refresh-token', 'code', 'state', 'consent-form'];
const SIGNED: SignedType[] = ['client', 'consent'];
const T0 = 1_800_000_000_000; // frozen clock, ms

function newKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

function clock(t = T0): { t: number } {
  return { t };
}

function ring(keys: Uint8Array[], c: { t: number }): ProxyKeyRing {
  return new ProxyKeyRing(keys, () => c.t);
}

const sec = (c: { t: number }) => Math.floor(c.t / 1000);

// Flips one character of the part at `index` of a compact token (a JWE's ciphertext or tag, a JWS's signature).
function tamper(token: string, index: number): string {
  const parts = token.split('.');
  const part = parts[index] ?? '';
  const i = Math.floor(part.length / 2);
  parts[index] = part.slice(0, i) + (part[i] === 'A' ? 'B' : 'A') + part.slice(i + 1);
  return parts.join('.');
}

describe('ProxyKeyRing seal and open', () => {
  it('needs at least one key', () => {
    assert.throws(() => new ProxyKeyRing([]), RangeError);
  });

  for (const type of SEALED) {
    it(`seals and opens a ${type} (JWE dir + A256GCM)`, async () => {
      const c = clock();
      const keys = ring([newKey()], c);
      const token = await keys.seal(type, { secret: `inner-${type}` }, sec(c) + 60);
      assert.equal(token.split('.').length, 5);
      const header = decodeProtectedHeader(token);
      assert.equal(header.alg, 'dir');
      assert.equal(header.enc, 'A256GCM');
      assert.ok(!token.includes(Buffer.from(`inner-${type}`).toString('base64url')), 'claims are encrypted');
      const opened = await keys.open<{ secret: string }>(type, token);
      assert.ok(opened.ok);
      assert.equal(opened.claims.secret, `inner-${type}`);
      assert.equal(opened.claims.iat, sec(c), 'issued at the injected clock');
      assert.equal(opened.claims.exp, sec(c) + 60);
    });
  }

  for (const sealedAs of SEALED) {
    for (const openedAs of SEALED.filter((t) => t !== sealedAs)) {
      it(`refuses a ${sealedAs} opened as a ${openedAs}`, async () => {
        const c = clock();
        const keys = ring([newKey()], c);
        const token = await keys.seal(sealedAs, { x: 1 }, sec(c) + 60);
        assert.deepEqual(await keys.open(openedAs, token), { ok: false, reason: 'invalid' });
      });
    }
  }

  it('tells expired from invalid, on the injected clock', async () => {
    const c = clock();
    const keys = ring([newKey()], c);
    const token = await keys.seal('code', { x: 1 }, sec(c) + 60);
    c.t += 59_000;
    assert.equal((await keys.open('code', token)).ok, true);
    c.t += 2_000;
    assert.deepEqual(await keys.open('code', token), { ok: false, reason: 'expired' });
  });

  it('refuses a tampered ciphertext and a tampered tag as invalid', async () => {
    const c = clock();
    const keys = ring([newKey()], c);
    const token = await keys.seal('access-token', { at: 'entra-token' }, sec(c) + 60);
    assert.deepEqual(await keys.open('access-token', tamper(token, 3)), { ok: false, reason: 'invalid' });
    assert.deepEqual(await keys.open('access-token', tamper(token, 4)), { ok: false, reason: 'invalid' });
  });

  it('refuses garbage and the empty string as invalid', async () => {
    const keys = ring([newKey()], clock());
    for (const token of ['', 'not-a-token', 'a.b.c.d.e', 'eyJhbGciOiJub25lIn0.e30.']) {
      assert.deepEqual(await keys.open('state', token), { ok: false, reason: 'invalid' }, token);
    }
  });

  it('refuses a token of the right type under the right key without an expiry', async () => {
    const c = clock();
    const key = newKey();
    const keys = ring([key], c);
    const genuine = decodeProtectedHeader(await keys.seal('code', {}, sec(c) + 60));
    const forever = await new EncryptJWT({ x: 1 })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: genuine.kid, typ: genuine.typ })
      .setIssuedAt(sec(c))
      .encrypt(key);
    assert.equal(decodeProtectedHeader(forever).typ, genuine.typ);
    assert.deepEqual(await keys.open('code', forever), { ok: false, reason: 'invalid' });
  });
});

describe('ProxyKeyRing rotation', () => {
  it('the first key seals: the ring of that key alone opens it, the second alone does not', async () => {
    const c = clock();
    const [first, second] = [newKey(), newKey()];
    const token = await ring([first, second], c).seal('refresh-token', { rt: 'x' }, sec(c) + 60);
    assert.equal((await ring([first], c).open('refresh-token', token)).ok, true);
    assert.deepEqual(await ring([second], c).open('refresh-token', token), { ok: false, reason: 'invalid' });
  });

  it('every key opens: what the old key sealed opens once a new key is put first', async () => {
    const c = clock();
    const [oldKey, newer] = [newKey(), newKey()];
    const token = await ring([oldKey], c).seal('access-token', { at: 'a' }, sec(c) + 60);
    const opened = await ring([newer, oldKey], c).open<{ at: string }>('access-token', token);
    assert.ok(opened.ok);
    assert.equal(opened.claims.at, 'a');
  });

  it('a retired key is refused once removed from the ring', async () => {
    const c = clock();
    const [retired, current] = [newKey(), newKey()];
    const token = await ring([retired], c).seal('access-token', { at: 'a' }, sec(c) + 60);
    assert.deepEqual(await ring([current], c).open('access-token', token), { ok: false, reason: 'invalid' });
  });

  it('names the sealing key in the header: different keys, different key ids', async () => {
    const c = clock();
    const [a, b] = [newKey(), newKey()];
    const kidA = decodeProtectedHeader(await ring([a, b], c).seal('state', {}, sec(c) + 60)).kid;
    const kidB = decodeProtectedHeader(await ring([b, a], c).seal('state', {}, sec(c) + 60)).kid;
    assert.ok(kidA && kidB);
    assert.notEqual(kidA, kidB);
    assert.equal(decodeProtectedHeader(await ring([a], c).seal('code', {}, sec(c) + 60)).kid, kidA);
  });
});

describe('ProxyKeyRing sign and verify', () => {
  for (const type of SIGNED) {
    it(`signs and verifies a ${type} (HS256, readable)`, async () => {
      const c = clock();
      const keys = ring([newKey()], c);
      const token = await keys.sign(type, { name: `n-${type}` });
      assert.equal(token.split('.').length, 3);
      assert.equal(decodeProtectedHeader(token).alg, 'HS256');
      assert.equal(decodeJwt(token).name, `n-${type}`, 'a signed record is readable');
      const verified = await keys.verify<{ name: string }>(type, token);
      assert.ok(verified.ok);
      assert.equal(verified.claims.name, `n-${type}`);
      assert.equal(verified.claims.iat, sec(c));
    });
  }

  for (const [signedAs, verifiedAs] of [
    ['client', 'consent'],
    ['consent', 'client'],
  ] as const) {
    it(`refuses a ${signedAs} verified as a ${verifiedAs}`, async () => {
      const c = clock();
      const keys = ring([newKey()], c);
      const token = await keys.sign(signedAs, { x: 1 });
      assert.deepEqual(await keys.verify(verifiedAs, token), { ok: false, reason: 'invalid' });
    });
  }

  it('without an expiry never expires; with one, expires on the injected clock', async () => {
    const c = clock();
    const keys = ring([newKey()], c);
    const forever = await keys.sign('client', { x: 1 });
    const month = await keys.sign('consent', { x: 1 }, sec(c) + 30 * 86_400);
    assert.equal(decodeJwt(forever).exp, undefined);
    c.t += 31 * 86_400_000;
    assert.equal((await keys.verify('client', forever)).ok, true);
    assert.deepEqual(await keys.verify('consent', month), { ok: false, reason: 'expired' });
  });

  it('refuses a changed payload and a changed signature', async () => {
    const c = clock();
    const keys = ring([newKey()], c);
    const token = await keys.sign('client', { redirect_uris: ['https://a.example/cb'] });
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ redirect_uris: ['https://evil.example/cb'], iat: sec(c) }));
    assert.deepEqual(await keys.verify('client', `${h}.${forged.toString('base64url')}.${s}`), {
      ok: false,
      reason: 'invalid',
    });
    assert.deepEqual(await keys.verify('client', tamper(token, 2)), { ok: false, reason: 'invalid' });
  });

  it('does not sign with the raw key: an HS256 token made with the encryption key itself is refused', async () => {
    const c = clock();
    const key = newKey();
    const keys = ring([key], c);
    const genuine = decodeProtectedHeader(await keys.sign('client', {}));
    const raw = await new SignJWT({ redirect_uris: ['https://evil.example/cb'] })
      .setProtectedHeader({ alg: 'HS256', kid: genuine.kid, typ: genuine.typ })
      .setIssuedAt(sec(c))
      .sign(key);
    assert.deepEqual(await keys.verify('client', raw), { ok: false, reason: 'invalid' });
  });

  it('refuses an unsecured (alg none) token of the right type', async () => {
    const c = clock();
    const keys = ring([newKey()], c);
    const genuine = decodeProtectedHeader(await keys.sign('client', {}));
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: genuine.typ, kid: genuine.kid }));
    const payload = Buffer.from(JSON.stringify({ iat: sec(c) }));
    const unsecured = `${header.toString('base64url')}.${payload.toString('base64url')}.`;
    assert.deepEqual(await keys.verify('client', unsecured), { ok: false, reason: 'invalid' });
  });

  it('verifies under every key of the ring, and not under a retired one', async () => {
    const c = clock();
    const [oldKey, newer] = [newKey(), newKey()];
    const token = await ring([oldKey], c).sign('client', { x: 1 });
    assert.equal((await ring([newer, oldKey], c).verify('client', token)).ok, true);
    assert.deepEqual(await ring([newer], c).verify('client', token), { ok: false, reason: 'invalid' });
  });
});

describe('ProxyKeyRing mac and checkMac', () => {
  it('checks its own mac', () => {
    const keys = ring([newKey()], clock());
    assert.equal(keys.checkMac('consent', 'jti.browser', keys.mac('consent', 'jti.browser')), true);
  });

  for (const [name, purpose, data] of [
    ['another purpose', 'other', 'jti.browser'],
    ['other data', 'consent', 'jti.other-browser'],
  ] as const) {
    it(`refuses the mac for ${name}`, () => {
      const keys = ring([newKey()], clock());
      const mac = keys.mac('consent', 'jti.browser');
      assert.equal(keys.checkMac(purpose, data, mac), false);
    });
  }

  for (const [name, change] of [
    ['a changed character', (m: string) => (m[0] === 'A' ? 'B' : 'A') + m.slice(1)],
    ['a truncated mac', (m: string) => m.slice(0, -1)],
    ['an empty mac', () => ''],
    ['a longer mac', (m: string) => `${m}A`],
  ] as const) {
    it(`refuses ${name}`, () => {
      const keys = ring([newKey()], clock());
      assert.equal(keys.checkMac('consent', 'd', change(keys.mac('consent', 'd'))), false);
    });
  }

  it('checks a mac made under another key of the ring, not one of a key outside it', () => {
    const c = clock();
    const [oldKey, newer, stranger] = [newKey(), newKey(), newKey()];
    const mac = ring([oldKey], c).mac('consent', 'd');
    assert.equal(ring([newer, oldKey], c).checkMac('consent', 'd', mac), true);
    assert.equal(ring([newer, stranger], c).checkMac('consent', 'd', mac), false);
  });

  it('macs with the first key', () => {
    const c = clock();
    const [first, second] = [newKey(), newKey()];
    const mac = ring([first, second], c).mac('consent', 'd');
    assert.equal(ring([first], c).checkMac('consent', 'd', mac), true);
    assert.equal(ring([second], c).checkMac('consent', 'd', mac), false);
  });
});

describe('digest', () => {
  it('is SHA-256, base64url (FIPS 180-2 vector for "abc")', () => {
    assert.equal(
      digest('abc'),
      Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString(
        'base64url',
      ),
    );
  });
});
