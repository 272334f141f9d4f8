// The sandbox's PKI: one CA per data directory (kept across restarts) and a serving certificate
// issued at every start with the SANs in-cluster clients and the node's pods use.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Crypto = Parameters<typeof x509.cryptoProvider.set>[0];

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export const DEFAULT_SANS = [
  '127.0.0.1',
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
  '10.96.0.1',
];

export interface ServingPki {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** The CA's private key (PKCS#8 PEM), for parts that sign more (e.g. kubelet serving certs). */
  caKeyPem: string;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function loadOrCreateCa(
  dir: string,
): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair; caKeyPem: string }> {
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
    const caKeyPem = readFileSync(keyPath, 'utf8');
    const privateKey = await webcrypto.subtle.importKey('pkcs8', fromPem(caKeyPem), ALG, true, [
      'sign',
    ]);
    const publicKey = await cert.publicKey.export(ALG, ['verify'], webcrypto as unknown as Crypto);
    return { cert, keys: { privateKey, publicKey }, caKeyPem };
  }
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=kube-sandbox-ca',
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * 365 * 86400_000),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caKeyPem = toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, caKeyPem, { mode: 0o600 });
  writeFileSync(certPath, cert.toString('pem') + '\n');
  return { cert, keys, caKeyPem };
}

const IP = /^\d{1,3}(\.\d{1,3}){3}$|:/;

/** Issues a certificate signed by the data directory's CA. */
export async function issueCertificate(
  ca: { cert: x509.X509Certificate; keys: CryptoKeyPair },
  commonName: string,
  sans: string[],
  usage: 'server' | 'client' = 'server',
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: `CN=${commonName}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 86400_000),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      ...(sans.length
        ? [
            new x509.SubjectAlternativeNameExtension(
              sans.map((s) =>
                IP.test(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s },
              ),
            ),
          ]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
  };
}

/** CA (created once per data dir) plus a fresh serving certificate for the given extra SANs. */
export async function preparePki(dir: string, extraSans: string[] = []): Promise<ServingPki> {
  const ca = await loadOrCreateCa(dir);
  const sans = [...new Set([...DEFAULT_SANS, ...extraSans])];
  const serving = await issueCertificate(ca, 'kube-apiserver', sans);
  return {
    caPem: ca.cert.toString('pem') + '\n',
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    caKeyPem: ca.caKeyPem,
  };
}
