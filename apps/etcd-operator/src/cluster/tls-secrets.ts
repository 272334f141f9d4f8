// The TLS Secrets of a cluster: with provider Operator, a per-cluster CA, one member certificate
// per member (issued before its pod exists) and the operator's client certificate, each renewed
// before expiry (etcd reloads its certificate files per handshake, so a renewed Secret needs no
// pod restart); with provider Secrets, the user's Secrets must exist. Missing user Secrets are a
// runtime problem reported as a condition, never a crash.
import { isNotFound, type KubeClient, type KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../api/types.ts';
import type { EtcdTlsOptions } from '../etcd/client.ts';
import { createClusterCa, issueClientCertificate, issueMemberCertificate } from '../tls/certs.ts';
import { inspectCertificate, isSignedBy, type KeyPairPem } from '../tls/pki.ts';
import { needsRenewal } from '../tls/rotation.ts';
import { memberTlsSecretName } from './pods.ts';
import type { ClusterRef } from './names.ts';

const SECRET = { apiVersion: 'v1', kind: 'Secret' };

export function caSecretName(cluster: string): string {
  return `${cluster}-ca`;
}
export function operatorClientSecretName(cluster: string): string {
  return `${cluster}-operator-client-tls`;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : undefined);

async function readSecret(
  kube: KubeClient,
  name: string,
  ns: string,
): Promise<SecretObject | undefined> {
  try {
    return await kube.get<SecretObject>(SECRET, name, ns);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function ownerRefs(c: EtcdCluster) {
  return c.metadata.uid
    ? [
        {
          apiVersion: c.apiVersion,
          kind: c.kind,
          name: c.metadata.name,
          uid: c.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]
    : [];
}

async function writeTlsSecret(
  kube: KubeClient,
  c: EtcdCluster,
  name: string,
  pair: KeyPairPem,
  caPem: string,
): Promise<void> {
  const owners = ownerRefs(c);
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: c.metadata.namespace,
      labels: { 'etcd.opsmith.io/cluster': c.metadata.name },
      ...(owners.length ? { ownerReferences: owners } : {}),
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), 'ca.crt': b64(caPem) },
  } as KubeObject);
}

function pairOf(s: SecretObject | undefined): (KeyPairPem & { caPem?: string }) | undefined {
  const certPem = unb64(s?.data?.['tls.crt']);
  const keyPem = unb64(s?.data?.['tls.key']);
  const caPem = unb64(s?.data?.['ca.crt']);
  return certPem && keyPem ? { certPem, keyPem, ...(caPem ? { caPem } : {}) } : undefined;
}

function due(pair: KeyPairPem | undefined, ca: KeyPairPem, now: Date): boolean {
  if (!pair) return true;
  try {
    return (
      needsRenewal(inspectCertificate(pair.certPem), now) || !isSignedBy(pair.certPem, ca.certPem)
    );
  } catch {
    return true; // unreadable: reissue
  }
}

export type TlsProblem = { reason: 'MissingTLSSecret' | 'InvalidTLSSecret'; message: string };

export type TlsState =
  | { ok: true; client?: EtcdTlsOptions; rotated: string[] }
  | { ok: false; problem: TlsProblem };

/**
 * Makes sure every Secret the members and the operator need exists and is fresh. `members` are
 * the member names that have or will get a pod. Renews at most one member certificate per call
 * (member by member; etcd picks the new file up on its next handshake).
 */
export async function ensureTls(
  kube: KubeClient,
  c: EtcdCluster,
  ref: ClusterRef,
  members: string[],
  now = new Date(),
): Promise<TlsState> {
  const tls = c.spec.tls;
  if (!tls?.peer && !tls?.client) return { ok: true, rotated: [] };
  const ns = c.metadata.namespace;
  if (tls.provider === 'Secrets') {
    const needed = [
      ...(tls.peer ? [tls.peerSecret] : []),
      ...(tls.client ? [tls.serverSecret, tls.clientSecret] : []),
    ].filter((n): n is string => Boolean(n));
    let client: EtcdTlsOptions | undefined;
    for (const name of needed) {
      const pair = pairOf(await readSecret(kube, name, ns));
      if (!pair) {
        return {
          ok: false,
          problem: {
            reason: 'MissingTLSSecret',
            message: `Secret ${ns}/${name} (named in spec.tls) is missing or has no tls.crt/tls.key; create it, the operator retries`,
          },
        };
      }
      if (name === tls.clientSecret) {
        if (!pair.caPem) {
          return {
            ok: false,
            problem: { reason: 'InvalidTLSSecret', message: `Secret ${ns}/${name} has no ca.crt` },
          };
        }
        client = { ca: pair.caPem, cert: pair.certPem, key: pair.keyPem };
      }
    }
    return { ok: true, ...(client ? { client } : {}), rotated: [] };
  }
  // Operator-issued certificates.
  let ca = pairOf(await readSecret(kube, caSecretName(c.metadata.name), ns));
  if (!ca) {
    ca = await createClusterCa(ref, undefined, now);
    await writeTlsSecret(kube, c, caSecretName(c.metadata.name), ca, ca.certPem);
  }
  const validity = tls.certificateValidityDays;
  const rotated: string[] = [];
  for (const member of members) {
    const name = memberTlsSecretName(member);
    const current = pairOf(await readSecret(kube, name, ns));
    // Missing ones are always issued (a pod cannot start without); renewals one per pass.
    if (!current || (rotated.length === 0 && due(current, ca, now))) {
      const pair = await issueMemberCertificate(ca, ref, member, validity, now);
      await writeTlsSecret(kube, c, name, pair, ca.certPem);
      if (current) rotated.push(member);
    }
  }
  const clientName = operatorClientSecretName(c.metadata.name);
  let client = pairOf(await readSecret(kube, clientName, ns));
  if (!client || due(client, ca, now)) {
    client = await issueClientCertificate(ca, 'etcd-operator', validity, now);
    await writeTlsSecret(kube, c, clientName, client, ca.certPem);
  }
  return {
    ok: true,
    client: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
    rotated,
  };
}
