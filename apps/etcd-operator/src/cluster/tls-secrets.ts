// The TLS Secrets of a cluster. With provider Operator: a per-cluster CA, one member certificate
// per member (issued before its pod exists) and the operator's client certificate. Member
// certificates are renewed before expiry, or when the user asks with the rotate annotation, one
// member at a time and only once the previous member serves its new certificate: etcd reads its
// certificate files on every new handshake and the kubelet refreshes Secret volumes in place, so
// a renewal needs no restart and no member ever stops serving. With provider Secrets the user's
// Secrets must exist and the user rotates them. Missing or broken Secrets are runtime problems
// reported as conditions, never a crash.
import { isNotFound, type KubeClient, type KubeObject } from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../api/types.ts';
import type { EtcdTlsOptions } from '../etcd/client.ts';
import { createClusterCa, issueClientCertificate, issueMemberCertificate } from '../tls/certs.ts';
import { inspectCertificate, isSignedBy, type KeyPairPem } from '../tls/pki.ts';
import { servingCertificateFingerprint } from '../tls/probe.ts';
import {
  needsRenewal,
  nextCertificateRotation,
  type MemberCertificateState,
  type RotationDecision,
  type RotationReason,
} from '../tls/rotation.ts';
import { memberTlsSecretName } from './pods.ts';
import { ETCD_PEER_PORT, type ClusterRef } from './names.ts';

const SECRET = { apiVersion: 'v1', kind: 'Secret' };

/**
 * Set (to any new value, e.g. a timestamp) on an EtcdCluster to rotate every member certificate
 * now; each member Secret records the value it was issued under.
 */
export const ANNOTATION_ROTATE = 'etcd.opsmith.io/rotate-certificates';
const ANNOTATION_ISSUED_FOR = 'etcd.opsmith.io/rotation-request';

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

function rotationRequest(c: EtcdCluster): string {
  return c.metadata.annotations?.[ANNOTATION_ROTATE] ?? '';
}

async function writeTlsSecret(
  kube: KubeClient,
  c: EtcdCluster,
  name: string,
  pair: KeyPairPem,
  caPem: string,
): Promise<void> {
  const owners = ownerRefs(c);
  const request = rotationRequest(c);
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: c.metadata.namespace,
      labels: { 'etcd.opsmith.io/cluster': c.metadata.name },
      ...(request ? { annotations: { [ANNOTATION_ISSUED_FOR]: request } } : {}),
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
  | { ok: true; client?: EtcdTlsOptions; issued: string[] }
  | { ok: false; problem: TlsProblem };

/** Only operator-issued certificates are rotated by the operator. */
export function operatorIssued(c: EtcdCluster): boolean {
  const tls = c.spec.tls;
  return Boolean((tls?.peer || tls?.client) && tls.provider !== 'Secrets');
}

/**
 * Makes sure every Secret the members and the operator need exists: the CA, a certificate for
 * each of `members` (names that have or will get a pod) and the operator's client certificate
 * (renewed whenever due: only this process uses it). Member renewals are rotateCertificates' job.
 */
export async function ensureTls(
  kube: KubeClient,
  c: EtcdCluster,
  ref: ClusterRef,
  members: string[],
  now = new Date(),
): Promise<TlsState> {
  const tls = c.spec.tls;
  if (!tls?.peer && !tls?.client) return { ok: true, issued: [] };
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
    return { ok: true, ...(client ? { client } : {}), issued: [] };
  }
  // Operator-issued certificates.
  const caName = caSecretName(c.metadata.name);
  let ca = pairOf(await readSecret(kube, caName, ns));
  const existing = new Map<string, KeyPairPem & { caPem?: string }>();
  for (const member of members) {
    const pair = pairOf(await readSecret(kube, memberTlsSecretName(member), ns));
    if (pair) existing.set(member, pair);
  }
  if (!ca) {
    // Members load the CA once at start: a new CA would split the cluster (peers reject each
    // other's renewed certificates), so a lost CA is the user's to restore, not ours to replace.
    if (existing.size > 0) {
      return {
        ok: false,
        problem: {
          reason: 'InvalidTLSSecret',
          message: `Secret ${ns}/${caName} (the cluster's CA) is missing while member certificates signed by it exist; restore it from a copy (every member Secret's ca.crt holds the certificate, the key only lives in ${caName}), or recreate the cluster from a backup`,
        },
      };
    }
    ca = await createClusterCa(ref, undefined, now);
    await writeTlsSecret(kube, c, caName, ca, ca.certPem);
  }
  const validity = tls.certificateValidityDays;
  const issued: string[] = [];
  for (const member of members) {
    if (existing.has(member)) continue; // a pod cannot start without one; renewals go elsewhere
    const pair = await issueMemberCertificate(ca, ref, member, validity, now);
    await writeTlsSecret(kube, c, memberTlsSecretName(member), pair, ca.certPem);
    issued.push(member);
  }
  const clientName = operatorClientSecretName(c.metadata.name);
  let client = pairOf(await readSecret(kube, clientName, ns));
  if (!client || due(client, ca, now) || client.caPem !== ca.certPem) {
    client = await issueClientCertificate(ca, 'etcd-operator', validity, now);
    await writeTlsSecret(kube, c, clientName, client, ca.certPem);
  }
  return {
    ok: true,
    client: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
    issued,
  };
}

export interface RotationMember {
  name: string;
  healthy: boolean;
  isLeader: boolean;
}

export interface RotationDeps {
  kube: KubeClient;
  /** Fingerprint of the certificate `member` serves right now; undefined when unknown. */
  servedFingerprint(member: string): Promise<string | undefined>;
}

export type RotationOutcome =
  | { type: 'none' }
  | { type: 'wait'; reason: string }
  | { type: 'rotated'; member: string; reason: RotationReason };

function fingerprintOf(certPem: string): string | undefined {
  try {
    return inspectCertificate(certPem).fingerprint256;
  } catch {
    return undefined;
  }
}

/**
 * Renews at most one member certificate: the next one nextCertificateRotation picks among the
 * members etcd lists. Call it only when the cluster is otherwise steady.
 */
export async function rotateCertificates(
  deps: RotationDeps,
  c: EtcdCluster,
  ref: ClusterRef,
  members: RotationMember[],
  now = new Date(),
): Promise<RotationOutcome> {
  if (!operatorIssued(c) || members.length === 0) return { type: 'none' };
  const ns = c.metadata.namespace;
  const ca = pairOf(await readSecret(deps.kube, caSecretName(c.metadata.name), ns));
  if (!ca) return { type: 'wait', reason: 'no CA Secret' };
  const request = rotationRequest(c);
  const secrets = new Map<string, SecretObject | undefined>();
  const states: MemberCertificateState[] = [];
  for (const m of members) {
    const secret = await readSecret(deps.kube, memberTlsSecretName(m.name), ns);
    secrets.set(m.name, secret);
    const pair = pairOf(secret);
    let info: ReturnType<typeof inspectCertificate> | undefined;
    try {
      info = pair ? inspectCertificate(pair.certPem) : undefined;
    } catch {
      info = undefined;
    }
    const issuedFor = secret?.metadata?.annotations?.[ANNOTATION_ISSUED_FOR] ?? '';
    states.push({
      member: m.name,
      ...(info ? { validity: { notBefore: info.notBefore, notAfter: info.notAfter } } : {}),
      mismatched: !pair || !info || !isSignedBy(pair.certPem, ca.certPem),
      requested: request !== '' && issuedFor !== request,
      healthy: m.healthy,
      isLeader: m.isLeader,
    });
  }
  let decision: RotationDecision = nextCertificateRotation(states, now);
  if (decision.type === 'rotate') {
    // Before touching the next member: does every member serve what its Secret holds?
    for (const s of states) {
      const wanted = fingerprintOf(pairOf(secrets.get(s.member))?.certPem ?? '');
      const served = await deps.servedFingerprint(s.member);
      s.serving = served === undefined ? 'unknown' : served === wanted ? 'current' : 'stale';
    }
    const unknown = states.filter((s) => s.serving === 'unknown').map((s) => s.member);
    if (unknown.length > 0) {
      return {
        type: 'wait',
        reason: `cannot read the certificate served by ${unknown.join(', ')}`,
      };
    }
    decision = nextCertificateRotation(states, now);
  }
  if (decision.type === 'none') return { type: 'none' };
  if (decision.type === 'wait') return { type: 'wait', reason: decision.reason };
  const pair = await issueMemberCertificate(
    ca,
    ref,
    decision.member,
    c.spec.tls?.certificateValidityDays,
    now,
  );
  await writeTlsSecret(deps.kube, c, memberTlsSecretName(decision.member), pair, ca.certPem);
  return { type: 'rotated', member: decision.member, reason: decision.reason };
}

/**
 * Asks a member which certificate it serves: on its client port with client TLS, else on its
 * peer port (the same certificate either way; the operator's client certificate is accepted by
 * both). `endpointOf` gives the member's client URL.
 */
export function servedFingerprintProbe(
  endpointOf: (member: string) => string | undefined,
  clientTls: boolean,
  tls: EtcdTlsOptions,
): (member: string) => Promise<string | undefined> {
  const str = (v: string | Buffer | undefined) =>
    v === undefined ? undefined : typeof v === 'string' ? v : v.toString();
  return async (member) => {
    const url = endpointOf(member);
    if (!url) return undefined;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return undefined;
    }
    if (!clientTls) target.port = String(ETCD_PEER_PORT);
    target.protocol = 'https:';
    const cert = str(tls.cert);
    const key = str(tls.key);
    return await servingCertificateFingerprint(target.toString(), {
      ca: str(tls.ca) ?? '',
      ...(cert && key ? { cert, key } : {}),
      ...(tls.serverName ? { serverName: tls.serverName } : {}),
    });
  };
}
