// Wires the EtcdCluster reconciler into a k8s-runtime Manager: For(EtcdCluster) and Owns(Pod,
// PVC, Service, PDB), the children cached only when they carry the operator's managed-by label.
import {
  annotationsChanged,
  generationChanged,
  or,
  type KubeObject,
  type Manager,
  type Controller,
} from '@opsmith/k8s-runtime';
import type { EtcdCluster } from '../api/types.ts';
import type { Failpoints } from '../failpoints.ts';
import { operatorMetricsFor } from '../metrics.ts';
import { POD, PVC } from './act.ts';
import { LABEL_MANAGED_BY } from './pods.ts';
import { ClusterReconciler, ETCD_CLUSTER, type ClusterReconcilerDeps } from './reconciler.ts';

export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=etcd-operator`;
export const REPORTING_CONTROLLER = 'etcd.opsmith.io/etcd-operator';

export interface EtcdClusterControllerOptions {
  failpoints: Failpoints;
  maxConcurrentReconciles?: number;
  clusterDomain?: string;
  /** Overrides for tests (peer naming, endpoints, clock, timeouts). */
  overrides?: Partial<Omit<ClusterReconcilerDeps, 'kube' | 'clusters' | 'pods' | 'pvcs'>>;
}

export function addEtcdClusterController(
  mgr: Manager,
  options: EtcdClusterControllerOptions,
): { controller: Controller; reconciler: ClusterReconciler } {
  const owned = { labelSelector: MANAGED_SELECTOR };
  const clusters = mgr.informers.informerFor<EtcdCluster & KubeObject>(ETCD_CLUSTER);
  const pods = mgr.informers.informerFor(POD, owned);
  const pvcs = mgr.informers.informerFor(PVC, owned);
  const reconciler = new ClusterReconciler({
    kube: mgr.client,
    clusters: clusters,
    pods: pods as unknown as ClusterReconcilerDeps['pods'],
    pvcs: pvcs as unknown as ClusterReconcilerDeps['pvcs'],
    events: mgr.eventRecorder(REPORTING_CONTROLLER),
    metrics: operatorMetricsFor(mgr.metrics.registry),
    failpoints: options.failpoints,
    logger: mgr.logger,
    ...(options.clusterDomain ? { clusterDomain: options.clusterDomain } : {}),
    ...options.overrides,
  });
  const controller = mgr
    .controller('etcdcluster')
    // Spec changes only: the operator's own status writes must not trigger another pass (the
    // requeue interval covers health, which is not an event anyway).
    // Annotations: the certificate rotation request is one.
    .for(ETCD_CLUSTER, { predicates: [or(generationChanged, annotationsChanged)] })
    .owns(POD, owned)
    .owns(PVC, owned)
    .owns({ apiVersion: 'v1', kind: 'Service' }, owned)
    .owns({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' }, owned)
    .withOptions({
      maxConcurrentReconciles: options.maxConcurrentReconciles ?? 2,
      reconcileTimeoutMs: 120_000,
    })
    .complete(async (req) => {
      const r = await reconciler.reconcile(req.namespace ?? '', req.name);
      return r ? { requeueAfter: r.requeueAfterMs } : undefined;
    });
  return { controller, reconciler };
}
