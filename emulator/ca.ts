// Throwaway certificate authority for the emulator's HTTPS listeners, and the leaf certificates it signs.
// Uses @peculiar/x509 on Node's WebCrypto (pure JS, no native code, no openssl binary needed).
import 'reflect-metadata'; // @peculiar/x509 depends on tsyringe, which needs the Reflect metadata API.
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeOnce } from './files.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
const CA_VALID_DAYS = 30;
/** A CA closer than this to expiry is replaced, so a leaf signed at start never outlives its CA. */
const CA_MIN_REMAINING_DAYS = 2;

export interface CaFiles {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface LeafCert {
  certPem: string;
  keyPem: string;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

function pkcs8Pem(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importEcPrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign']);
}

function usable(certPem: string): boolean {
  try {
    const cert = new x509.X509Certificate(certPem);
    return cert.notAfter.getTime() - Date.now() > CA_MIN_REMAINING_DAYS * DAY_MS;
  } catch {
    return false;
  }
}

async function readPair(
  certPath: string,
  keyPath: string,
): Promise<{ certPem: string; keyPem: string } | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { certPem, keyPem };
  } catch {
    return undefined;
  }
}

async function generateCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=azure-obo-mcp emulator throwaway test CA',
    notBefore: new Date(now - 3600 * 1000),
    notAfter: new Date(now + CA_VALID_DAYS * DAY_MS),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem') + '\n', keyPem: keyPem + '\n' };
}

/**
 * Returns the CA kept in `dir` (ca-cert.pem / ca-key.pem), creating it when missing or close to expiry.
 * Safe against concurrent callers: files are published with a hard link, so the first writer wins and
 * everyone else reads its files.
 */
export async function ensureCa(dir: string): Promise<CaFiles> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const certPath = resolve(root, 'ca-cert.pem');
  const keyPath = resolve(root, 'ca-key.pem');
  const existing = await readPair(certPath, keyPath);
  if (existing && usable(existing.certPem)) {
    return { certPath, keyPath, ...existing };
  }
  const fresh = await generateCa();
  // Key first: a reader that finds the cert must find its key.
  const replace = existing !== undefined;
  await writeOnce(keyPath, fresh.keyPem, replace);
  await writeOnce(certPath, fresh.certPem, replace);
  const final = await readPair(certPath, keyPath);
  if (!final) throw new Error(`emulator CA could not be written to ${root}`);
  return { certPath, keyPath, ...final };
}

/** Signs a server certificate for localhost, 127.0.0.1 and ::1 with the CA. */
export async function issueServerCert(ca: CaFiles, validDays = 7): Promise<LeafCert> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importEcPrivateKey(ca.keyPem);
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const now = Date.now();
  const notAfter = Math.min(now + validDays * DAY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: caCert.subject,
    notBefore: new Date(now - 3600 * 1000),
    notAfter: new Date(notAfter),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  const keyPem = pkcs8Pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem') + '\n', keyPem: keyPem + '\n' };
}

// `node --import tsx emulator/ca.ts <dir>` prints only the CA certificate path (scripts/test.mjs reads it).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node --import tsx emulator/ca.ts <dir>\n');
    process.exit(2);
  }
  ensureCa(dir).then(
    (ca) => process.stdout.write(`${ca.certPath}\n`),
    (err: unknown) => {
      process.stderr.write(`emulator CA: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
