// Object builders for the controllers' tests.
import type { KubeObject, OwnerReference } from '../../core/types.ts';

let counter = 0;

export const T0 = Date.parse('2026-01-01T00:00:00Z');

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function template(
  labels: Record<string, string> = { app: 'web' },
  image = 'nginx:1',
): Record<string, unknown> {
  return { metadata: { labels }, spec: { containers: [{ name: 'c', image }] } };
}

export interface PodOpts {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  owner?: OwnerReference;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  created?: number;
  deleting?: boolean;
  nodeName?: string;
  ip?: string;
  restarts?: number;
  spec?: Record<string, unknown>;
}

export function pod(o: PodOpts = {}): KubeObject {
  const n = ++counter;
  const phase = o.phase ?? (o.ready ? 'Running' : 'Pending');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? `pod-${n}`,
      namespace: o.namespace ?? 'ns',
      uid: `pod-uid-${n}`,
      labels: o.labels ?? { app: 'web' },
      creationTimestamp: iso(o.created ?? T0 + n * 1000),
      ...(o.owner ? { ownerReferences: [o.owner] } : {}),
      ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'nginx:1' }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...o.spec,
    },
    status: {
      phase,
      ...(o.ip ? { podIP: o.ip } : {}),
      conditions: [
        {
          type: 'Ready',
          status: o.ready ? 'True' : 'False',
          lastTransitionTime: iso(o.readySince ?? T0),
        },
      ],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  };
}

export function ownerRef(
  kind: string,
  name: string,
  uid: string,
  apiVersion = 'apps/v1',
): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}
