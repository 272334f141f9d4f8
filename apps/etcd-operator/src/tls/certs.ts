// What each certificate of an etcd cluster must say: the SANs of a member certificate and the
// client certificate, and the bundle issued for a new cluster.
import { clientServiceDnsNames, memberDnsNames, type ClusterRef } from '../cluster/names.ts';
import { createCa, issueCertificate, type KeyPairPem } from './pki.ts';

export interface TlsValidity {
  caDays: number;
  certDays: number;
}

export const DEFAULT_VALIDITY: TlsValidity = { caDays: 3650, certDays: 90 };

/**
 * A member certificate serves peers and clients: its own DNS names, the client Service (clients
 * connect through it and verify whichever member answers) and loopback (probes, etcdctl in the pod).
 */
export function memberCertificateSans(ref: ClusterRef, member: string): string[] {
  return [
    ...memberDnsNames(ref, member),
    ...clientServiceDnsNames(ref),
    'localhost',
    '127.0.0.1',
    '::1',
  ];
}

export async function issueMemberCertificate(
  ca: KeyPairPem,
  ref: ClusterRef,
  member: string,
  validityDays = DEFAULT_VALIDITY.certDays,
  now?: Date,
): Promise<KeyPairPem> {
  return await issueCertificate(ca, {
    commonName: member,
    sans: memberCertificateSans(ref, member),
    usages: ['server', 'client'],
    validityDays,
    ...(now ? { now } : {}),
  });
}

/** The operator's (and users') client certificate. */
export async function issueClientCertificate(
  ca: KeyPairPem,
  commonName: string,
  validityDays = DEFAULT_VALIDITY.certDays,
  now?: Date,
): Promise<KeyPairPem> {
  return await issueCertificate(ca, {
    commonName,
    usages: ['client'],
    validityDays,
    ...(now ? { now } : {}),
  });
}

export async function createClusterCa(
  ref: ClusterRef,
  validityDays = DEFAULT_VALIDITY.caDays,
  now?: Date,
): Promise<KeyPairPem> {
  return await createCa(`etcd-ca ${ref.namespace}/${ref.name}`, validityDays, now);
}
