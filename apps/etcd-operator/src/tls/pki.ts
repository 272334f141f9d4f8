// The operator's PKI for a cluster: one CA per EtcdCluster, a certificate per member (used both
// as the peer and the client-facing serving certificate, so it carries serverAuth and clientAuth:
// etcd members dial each other, and 3.4's gRPC gateway dials the member itself with it), and a
// client certificate for the operator and for users.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses. */
  sans?: string[];
  usages: ('server' | 'client')[];
  validityDays: number;
  /** Defaults to the current time; injectable for tests. */
  now?: Date;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function serialNumber(): string {
  // Positive: the first nibble below 8 keeps the DER integer's sign bit clear.
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

const IP = /^\d{1,3}(\.\d{1,3}){3}$|:/;

async function generateKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function exportKey(keys: CryptoKeyPair): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

/** A self-signed CA. Backdated an hour so clocks slightly behind still accept it. */
export async function createCa(
  commonName: string,
  validityDays: number,
  now = new Date(),
): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKey(keys) };
}

/** A leaf certificate signed by `ca`. */
export async function issueCertificate(
  ca: KeyPairPem,
  request: CertificateRequest,
): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', fromPem(ca.keyPem), ALG, false, ['sign']);
  const keys = await generateKeys();
  const now = request.now ?? new Date();
  const sans = [...new Set(request.sans ?? [])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${request.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + request.validityDays * DAY_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        request.usages.map((u) =>
          u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ),
      ),
      ...(sans.length > 0
        ? [
            new x509.SubjectAlternativeNameExtension(
              sans.map((s) =>
                IP.test(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s },
              ),
            ),
          ]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKey(keys) };
}

export interface CertificateInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** DNS names and IPs from the subjectAltName. */
  sans: string[];
  fingerprint256: string;
}

/** Parses the fields rotation decisions need (node:crypto, no key material involved). */
export function inspectCertificate(pem: string): CertificateInfo {
  const c = new NodeX509(pem);
  const sans = (c.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
  return {
    subject: c.subject,
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    sans,
    fingerprint256: c.fingerprint256,
  };
}

/** True when `certPem` was signed by `caPem`. */
export function isSignedBy(certPem: string, caPem: string): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}
