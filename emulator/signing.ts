// The RSA key the emulated Entra ID signs every token with, published in JWKS like Entra's keys
// (kty RSA, use sig, kid = x5t = base64url SHA-1 thumbprint of a self-signed certificate, x5c).
// It is kept next to the CA so that all emulators sharing a CA directory share one key: a token cached
// by an SDK in one test (MSAL caches managed-identity tokens process-wide) stays valid in the next.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeOnce } from './files.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** One JWKS entry (no `issuer`; the v2 endpoint adds it). */
  jwk: { kty: 'RSA'; use: 'sig'; kid: string; x5t: string; n: string; e: string; x5c: string[] };
}

async function createCertPem(privatePem: string, publicPem: string): Promise<string> {
  const priv = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(privatePem),
    RSA,
    false,
    ['sign'],
  );
  const pub = await webcrypto.subtle.importKey('spki', x509.PemConverter.decodeFirst(publicPem), RSA, true, [
    'verify',
  ]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=accounts.emulator.local',
    notBefore: new Date(now - 3600 * 1000),
    notAfter: new Date(now + 365 * 24 * 3600 * 1000),
    keys: { privateKey: priv, publicKey: pub },
    signingAlgorithm: RSA,
  });
  return cert.toString('pem') + '\n';
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/** Loads the signing key and certificate from `dir`, creating them on first use. */
export async function ensureSigningKey(dir: string): Promise<SigningKey> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const keyPath = resolve(root, 'token-signing-key.pem');
  const certPath = resolve(root, 'token-signing-cert.pem');
  let keyPem = await readText(keyPath);
  if (!keyPem) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeOnce(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    keyPem = await readFile(keyPath, 'utf8');
  }
  const privateKey = createPrivateKey(keyPem);
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let certPem = await readText(certPath);
  if (!certPem || !certMatches(certPem, publicPem)) {
    await writeOnce(certPath, await createCertPem(keyPem, publicPem), certPem !== undefined);
    certPem = await readFile(certPath, 'utf8');
  }
  const der = Buffer.from(x509.PemConverter.decodeFirst(certPem));
  const x5t = createHash('sha1').update(der).digest('base64url');
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (!n || !e) throw new Error('signing key is not an RSA key');
  return {
    kid: x5t,
    privateKey,
    publicKey,
    jwk: { kty: 'RSA', use: 'sig', kid: x5t, x5t, n, e, x5c: [der.toString('base64')] },
  };
}

function certMatches(certPem: string, publicPem: string): boolean {
  try {
    const cert = new x509.X509Certificate(certPem);
    const certSpki = Buffer.from(cert.publicKey.rawData);
    const keySpki = Buffer.from(x509.PemConverter.decodeFirst(publicPem));
    return certSpki.equals(keySpki);
  } catch {
    return false;
  }
}
