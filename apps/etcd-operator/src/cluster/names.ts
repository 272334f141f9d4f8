// Stable names of a cluster's objects. A member is `<cluster>-<ordinal>`: its pod, its PVC and its
// etcd member name all carry that name, and its peer DNS name is fixed by the headless Service, so
// a pod recreated on the same PVC comes back as the same etcd member.
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const ETCD_METRICS_PORT = 2381;

export interface ClusterRef {
  name: string;
  namespace: string;
  /** Kubernetes cluster DNS domain; default cluster.local. */
  clusterDomain?: string;
}

export function memberName(cluster: string, ordinal: number): string {
  return `${cluster}-${ordinal}`;
}

/** The ordinal of a member name of this cluster, or undefined for foreign names. */
export function memberOrdinal(cluster: string, name: string): number | undefined {
  const prefix = `${cluster}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  if (!/^(0|[1-9]\d{0,5})$/.test(rest)) return undefined;
  return Number(rest);
}

/** Headless Service that gives every member its stable peer DNS name. */
export function peerServiceName(cluster: string): string {
  return cluster;
}

export function clientServiceName(cluster: string): string {
  return `${cluster}-client`;
}

export function pvcName(member: string): string {
  return `${member}-data`;
}

export function pdbName(cluster: string): string {
  return cluster;
}

/** `<member>.<peer-svc>.<ns>.svc`: resolvable by every member and by the operator. */
export function memberHost(ref: ClusterRef, member: string): string {
  return `${member}.${peerServiceName(ref.name)}.${ref.namespace}.svc`;
}

export function memberPeerURL(ref: ClusterRef, member: string, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${memberHost(ref, member)}:${ETCD_PEER_PORT}`;
}

export function memberClientURL(ref: ClusterRef, member: string, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${memberHost(ref, member)}:${ETCD_CLIENT_PORT}`;
}

export function clientServiceURL(ref: ClusterRef, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${clientServiceName(ref.name)}.${ref.namespace}.svc:${ETCD_CLIENT_PORT}`;
}

/** Every DNS name a member may be reached by (short, namespaced, fully qualified). */
export function memberDnsNames(ref: ClusterRef, member: string): string[] {
  const domain = ref.clusterDomain ?? 'cluster.local';
  const peer = peerServiceName(ref.name);
  return [
    member,
    `${member}.${peer}`,
    `${member}.${peer}.${ref.namespace}`,
    `${member}.${peer}.${ref.namespace}.svc`,
    `${member}.${peer}.${ref.namespace}.svc.${domain}`,
  ];
}

export function clientServiceDnsNames(ref: ClusterRef): string[] {
  const domain = ref.clusterDomain ?? 'cluster.local';
  const svc = clientServiceName(ref.name);
  return [
    svc,
    `${svc}.${ref.namespace}`,
    `${svc}.${ref.namespace}.svc`,
    `${svc}.${ref.namespace}.svc.${domain}`,
  ];
}
