// An opt-in ServiceMonitor per EtcdCluster, so a Prometheus operator scrapes etcd's own metrics
// (the plain-HTTP --listen-metrics-urls port the client Service exposes as "metrics"). Only when
// the monitoring.coreos.com CRD is served: without it, an opted-in cluster gets a condition that
// says so, never an error loop.
import {
  applyChild,
  isNotFound,
  type ConditionInput,
  type KubeClient,
  type KubeObject,
  type TypeRef,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../api/types.ts';
import { LABEL_MANAGED_BY, LABEL_SERVICE, selectorLabels } from '../cluster/pods.ts';

export const SERVICE_MONITOR: TypeRef = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
};

/** Named like the cluster (as its peer Service and PDB are). */
export function serviceMonitorName(cluster: string): string {
  return cluster;
}

/** Pure: the ServiceMonitor selecting this cluster's client Service, scraping port "metrics". */
export function buildServiceMonitor(c: EtcdCluster): KubeObject {
  const sm = c.spec.monitoring?.serviceMonitor ?? {};
  const name = c.metadata.name;
  const owners = c.metadata.uid
    ? [
        {
          apiVersion: c.apiVersion,
          kind: c.kind,
          name,
          uid: c.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]
    : [];
  return {
    apiVersion: SERVICE_MONITOR.apiVersion,
    kind: SERVICE_MONITOR.kind,
    metadata: {
      name: serviceMonitorName(name),
      namespace: c.metadata.namespace,
      // User labels first (they select which Prometheus picks it up); ours cannot be overridden.
      labels: {
        ...(sm.labels ?? {}),
        ...selectorLabels(name),
        [LABEL_MANAGED_BY]: 'etcd-operator',
      },
      ...(owners.length ? { ownerReferences: owners } : {}),
    },
    spec: {
      selector: { matchLabels: { ...selectorLabels(name), [LABEL_SERVICE]: 'client' } },
      namespaceSelector: { matchNames: [c.metadata.namespace] },
      endpoints: [
        {
          port: 'metrics',
          path: '/metrics',
          scheme: 'http',
          ...(sm.interval ? { interval: sm.interval } : {}),
        },
      ],
    },
  } as KubeObject;
}

const DISCOVERY_TTL_MS = 60_000;
const discoveryCache = new WeakMap<KubeClient, { served: boolean; at: number }>();

/** Whether the API server serves ServiceMonitors; cached a minute so idle passes cost nothing. */
export async function serviceMonitorsServed(kube: KubeClient, now = Date.now()): Promise<boolean> {
  const cached = discoveryCache.get(kube);
  if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.served;
  let served: boolean;
  try {
    await kube.resource(SERVICE_MONITOR);
    served = true;
  } catch (err) {
    // 404 on the group version, or the version served without the kind.
    if (isNotFound(err) || /is not served/.test(String(err))) served = false;
    else throw err;
  }
  discoveryCache.set(kube, { served, at: now });
  return served;
}

/** Forgets what discovery said (tests install the CRD while an operator runs). */
export function resetServiceMonitorDiscovery(kube: KubeClient): void {
  discoveryCache.delete(kube);
}

export type ServiceMonitorOutcome =
  | { type: 'disabled' }
  | { type: 'unsupported'; message: string }
  | { type: 'applied'; operation: 'created' | 'updated' | 'unchanged' }
  | { type: 'deleted' };

function enabled(c: EtcdCluster): boolean {
  return Boolean(c.spec.monitoring?.serviceMonitor?.enabled);
}

/** Creates, updates or (when the cluster opts out again) deletes the cluster's ServiceMonitor. */
export async function ensureServiceMonitor(
  kube: KubeClient,
  c: EtcdCluster,
): Promise<ServiceMonitorOutcome> {
  const want = enabled(c);
  if (!want) {
    // Opted out: clean up what we made, but never let discovery or RBAC trouble with an API
    // this cluster does not use surface as an error.
    return await removeOwned(kube, c).catch(() => ({ type: 'disabled' }) as const);
  }
  const served = await serviceMonitorsServed(kube);
  if (!served) {
    return {
      type: 'unsupported',
      message:
        'spec.monitoring.serviceMonitor.enabled is true but the API server does not serve monitoring.coreos.com/v1 ServiceMonitor; install the Prometheus operator CRDs (the operator picks them up within a minute) or turn the option off',
    };
  }
  const r = await applyChild(kube, buildServiceMonitor(c));
  return { type: 'applied', operation: r.operation };
}

/**
 * The Monitoring condition for an outcome (or the error ensureServiceMonitor threw); undefined
 * when monitoring is off and was never on, so clusters without it carry no extra condition.
 */
export function monitoringCondition(
  outcome: ServiceMonitorOutcome | unknown,
  generation?: number,
): ConditionInput | undefined {
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  const o = outcome as Partial<ServiceMonitorOutcome> | undefined;
  switch (o?.type) {
    case 'disabled':
      return undefined;
    case 'deleted':
      return {
        type: 'Monitoring',
        status: 'False',
        reason: 'Disabled',
        message: 'ServiceMonitor removed',
        ...g,
      };
    case 'unsupported':
      return {
        type: 'Monitoring',
        status: 'False',
        reason: 'ServiceMonitorCRDMissing',
        message: (outcome as { message: string }).message,
        ...g,
      };
    case 'applied':
      return {
        type: 'Monitoring',
        status: 'True',
        reason: 'ServiceMonitorReady',
        message: "the ServiceMonitor selects the client Service's metrics port",
        ...g,
      };
    default:
      return {
        type: 'Monitoring',
        status: 'False',
        reason: 'ServiceMonitorFailed',
        message: `cannot reconcile the ServiceMonitor: ${outcome instanceof Error ? outcome.message : String(outcome)}`,
        ...g,
      };
  }
}

/** The event for an outcome that changed something (or failed); steady states record none. */
export function monitoringEvent(
  outcome: ServiceMonitorOutcome | unknown,
): { type: 'Normal' | 'Warning'; reason: string; note: string } | undefined {
  const o = outcome as Partial<ServiceMonitorOutcome> | undefined;
  if (o?.type === 'applied') {
    const op = (outcome as { operation: string }).operation;
    return op === 'unchanged'
      ? undefined
      : { type: 'Normal', reason: 'ServiceMonitorApplied', note: `ServiceMonitor ${op}` };
  }
  if (o?.type === 'deleted') {
    return { type: 'Normal', reason: 'ServiceMonitorDeleted', note: 'ServiceMonitor deleted' };
  }
  if (o?.type === 'disabled' || o?.type === 'unsupported') return undefined;
  return {
    type: 'Warning',
    reason: 'ServiceMonitorFailed',
    note: `cannot reconcile the ServiceMonitor: ${outcome instanceof Error ? outcome.message : String(outcome)}`,
  };
}

/** Deletes the cluster's ServiceMonitor if this cluster owns one (a user's of that name stays). */
async function removeOwned(kube: KubeClient, c: EtcdCluster): Promise<ServiceMonitorOutcome> {
  if (!(await serviceMonitorsServed(kube))) return { type: 'disabled' };
  const name = serviceMonitorName(c.metadata.name);
  const ns = c.metadata.namespace;
  let live: KubeObject | undefined;
  try {
    live = await kube.get(SERVICE_MONITOR, name, ns);
  } catch (err) {
    if (isNotFound(err)) return { type: 'disabled' };
    throw err;
  }
  const ours = (live.metadata?.ownerReferences ?? []).some(
    (o) => o.uid !== undefined && o.uid === c.metadata.uid,
  );
  if (!ours) return { type: 'disabled' };
  try {
    await kube.delete(SERVICE_MONITOR, name, ns);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return { type: 'deleted' };
}
