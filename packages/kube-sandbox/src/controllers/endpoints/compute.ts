// What Endpoints and EndpointSlices a Service should have, from its selector and the pods: ready
// and not-ready addresses, publishNotReadyAddresses, named targetPorts resolved per pod, hostnames
// for pods in the service's subdomain, and slice conditions ready/serving/terminating.
import {
  arr,
  isDeleting,
  isPodReady,
  mapSelectorMatches,
  name,
  namespace,
  podPhase,
  rec,
  spec,
  str,
  uid,
  type Json,
  type Obj,
} from '../util/objects.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** Resolves a service port's targetPort on one pod; undefined when a named port is not declared. */
export function resolveTargetPort(svcPort: Json, pod: Obj): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  const protocol = str(svcPort.protocol) ?? 'TCP';
  for (const c of arr(rec(pod.spec).containers)) {
    for (const p of arr(c.ports)) {
      if (p.name === target && (str(p.protocol) ?? 'TCP') === protocol)
        return Number(p.containerPort);
    }
  }
  return undefined;
}

export function isHeadless(svc: Obj): boolean {
  return spec(svc).clusterIP === 'None';
}

/** Services whose endpoints this controller maintains. */
export function managesEndpoints(svc: Obj): boolean {
  if (name(svc) === 'kubernetes' && namespace(svc) === 'default') return false;
  if (spec(svc).type === 'ExternalName') return false;
  const selector = rec(spec(svc).selector) as Record<string, string>;
  return Object.keys(selector).length > 0;
}

function podIP(pod: Obj): string | undefined {
  const s = rec(pod.status);
  return str(s.podIP) || str(arr(s.podIPs)[0]?.ip) || undefined;
}

interface PodEndpoint {
  pod: Obj;
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
  ports: EndpointPort[];
}

/** The pods a service selects, each with its resolved ports and conditions. */
export function podEndpoints(svc: Obj, pods: Obj[]): PodEndpoint[] {
  const selector = rec(spec(svc).selector) as Record<string, string>;
  const publishNotReady = spec(svc).publishNotReadyAddresses === true;
  const svcPorts = arr(spec(svc).ports);
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (namespace(pod) !== namespace(svc)) continue;
    if (!mapSelectorMatches(selector, pod.metadata?.labels)) continue;
    const ip = podIP(pod);
    if (!ip) continue;
    const phase = podPhase(pod);
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const terminating = isDeleting(pod);
    const podReady = isPodReady(pod);
    const ports: EndpointPort[] = [];
    for (const sp of svcPorts) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      ports.push({
        ...(str(sp.name) ? { name: str(sp.name) } : {}),
        port,
        protocol: str(sp.protocol) ?? 'TCP',
        ...(str(sp.appProtocol) ? { appProtocol: str(sp.appProtocol) } : {}),
      });
    }
    if (svcPorts.length > 0 && ports.length === 0) continue;
    const hostname = str(rec(pod.spec).hostname);
    const inSubdomain = hostname && str(rec(pod.spec).subdomain) === name(svc);
    out.push({
      pod,
      ip,
      ready: publishNotReady || (podReady && !terminating),
      serving: publishNotReady || podReady,
      terminating,
      ...(inSubdomain ? { hostname } : {}),
      ports,
    });
  }
  return out.sort((a, b) => compareIPs(a.ip, b.ip) || name(a.pod).localeCompare(name(b.pod)));
}

function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a.localeCompare(b);
}

function portsKey(ports: EndpointPort[]): string {
  return JSON.stringify(
    [...ports].sort((x, y) => (x.name ?? '').localeCompare(y.name ?? '') || x.port - y.port),
  );
}

function targetRef(pod: Obj): Json {
  return { kind: 'Pod', namespace: namespace(pod), name: name(pod), uid: uid(pod) };
}

function serviceLabels(svc: Obj): Record<string, string> {
  const labels = { ...svc.metadata?.labels };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  return labels;
}

/** The core/v1 Endpoints object (subsets grouped by identical port sets, as RepackSubsets). */
export function desiredEndpoints(svc: Obj, pods: Obj[]): Obj {
  const publishNotReady = spec(svc).publishNotReadyAddresses === true;
  const groups = new Map<
    string,
    { ports: EndpointPort[]; addresses: Json[]; notReadyAddresses: Json[] }
  >();
  for (const e of podEndpoints(svc, pods)) {
    // Terminating pods leave Endpoints unless not-ready addresses are published.
    if (e.terminating && !publishNotReady) continue;
    const key = portsKey(e.ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports: e.ports, addresses: [], notReadyAddresses: [] }));
    const nodeName = str(rec(e.pod.spec).nodeName);
    const address = {
      ip: e.ip,
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(nodeName ? { nodeName } : {}),
      targetRef: targetRef(e.pod),
    };
    (e.ready ? group.addresses : group.notReadyAddresses).push(address);
  }
  const subsets = [...groups.values()].map((g) => ({
    ...(g.addresses.length ? { addresses: g.addresses } : {}),
    ...(g.notReadyAddresses.length ? { notReadyAddresses: g.notReadyAddresses } : {}),
    ...(g.ports.length ? { ports: g.ports } : {}),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: name(svc), namespace: namespace(svc), labels: serviceLabels(svc) },
    ...(subsets.length ? { subsets } : {}),
  };
}

export interface DesiredSlice {
  ports: EndpointPort[];
  endpoints: Json[];
}

/** Endpoints for discovery.k8s.io/v1 EndpointSlices, one slice per distinct port set. */
export function desiredSlices(svc: Obj, pods: Obj[]): DesiredSlice[] {
  const groups = new Map<string, DesiredSlice>();
  for (const e of podEndpoints(svc, pods)) {
    const key = portsKey(e.ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports: e.ports, endpoints: [] }));
    const nodeName = str(rec(e.pod.spec).nodeName);
    group.endpoints.push({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(nodeName ? { nodeName } : {}),
      targetRef: targetRef(e.pod),
    });
  }
  // A service selecting nothing still gets one empty placeholder slice, as the real controller keeps.
  if (groups.size === 0) {
    return [{ ports: [], endpoints: [] }];
  }
  // Like the real controller (--max-endpoints-per-slice, default 100), large sets span slices.
  return [...groups.values()].flatMap((g) => {
    const chunks: DesiredSlice[] = [];
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
      chunks.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
    }
    return chunks;
  });
}

export function sliceLabels(svc: Obj): Record<string, string> {
  return { ...serviceLabels(svc), [SERVICE_NAME_LABEL]: name(svc), [MANAGED_BY_LABEL]: MANAGED_BY };
}

export function slicePortsKey(slice: Obj): string {
  return portsKey(arr(slice.ports) as unknown as EndpointPort[]);
}

export function desiredPortsKey(d: DesiredSlice): string {
  return portsKey(d.ports);
}
