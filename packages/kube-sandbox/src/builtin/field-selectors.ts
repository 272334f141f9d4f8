// Field selectors the real server supports per kind, besides metadata.name and metadata.namespace
// (the server handles those for every resource). Values are rendered as the server compares them:
// strings as is, booleans and numbers through their decimal text.
import type { KubeObject } from '../core/types.ts';
import { at } from './access.ts';

type Selector = (obj: KubeObject) => string | undefined;

function field(...path: string[]): Selector {
  return (obj) => {
    const v = at(obj, ...path);
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  };
}

/** A boolean field that prints "false" when absent (spec.hostNetwork, spec.unschedulable). */
function flag(...path: string[]): Selector {
  return (obj) => (at(obj, ...path) === true ? 'true' : 'false');
}

function objectReference(prefix: string): Record<string, Selector> {
  const out: Record<string, Selector> = {};
  for (const f of [
    'kind',
    'namespace',
    'name',
    'uid',
    'apiVersion',
    'resourceVersion',
    'fieldPath',
  ]) {
    out[`${prefix}.${f}`] = field(prefix, f);
  }
  return out;
}

export const builtinFieldSelectors: Record<string, Record<string, Selector>> = {
  '/pods': {
    'spec.nodeName': field('spec', 'nodeName'),
    'spec.restartPolicy': field('spec', 'restartPolicy'),
    'spec.schedulerName': field('spec', 'schedulerName'),
    'spec.serviceAccountName': field('spec', 'serviceAccountName'),
    'spec.hostNetwork': flag('spec', 'hostNetwork'),
    'status.phase': field('status', 'phase'),
    'status.podIP': field('status', 'podIP'),
    'status.nominatedNodeName': field('status', 'nominatedNodeName'),
  },
  '/events': {
    ...objectReference('involvedObject'),
    reason: field('reason'),
    reportingComponent: field('reportingComponent'),
    source: (obj) => field('source', 'component')(obj) || field('reportingComponent')(obj),
    type: field('type'),
  },
  'events.k8s.io/events': {
    ...objectReference('regarding'),
    reason: field('reason'),
    reportingController: field('reportingController'),
    type: field('type'),
  },
  '/secrets': { type: field('type') },
  '/nodes': { 'spec.unschedulable': flag('spec', 'unschedulable') },
  '/namespaces': { 'status.phase': field('status', 'phase') },
  '/replicationcontrollers': { 'status.replicas': field('status', 'replicas') },
  '/services': { 'spec.clusterIP': field('spec', 'clusterIP'), 'spec.type': field('spec', 'type') },
  'apps/replicasets': { 'status.replicas': field('status', 'replicas') },
  'batch/jobs': { 'status.successful': (obj) => String(at(obj, 'status', 'succeeded') ?? 0) },
};
