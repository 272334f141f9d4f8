import { describe, expect, it } from 'vitest';
import type { KubeObject, ResourceInfo } from '../core/types.ts';
import { builtinResources } from './resources.ts';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:55:00Z';
const resources = builtinResources();

function info(group: string, resource: string): ResourceInfo {
  const found = resources.find((r) => r.group === group && r.resource === resource);
  if (!found) throw new Error(`no ${group}/${resource}`);
  return found;
}

/** The header and cells kubectl would print (priority-0 columns only unless wide). */
function row(
  group: string,
  resource: string,
  obj: KubeObject,
  wide = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of info(group, resource).printerColumns ?? []) {
    if (!wide && (c.priority ?? 0) > 0) continue;
    out[c.name.toUpperCase()] = c.cell ? c.cell(obj, now) : undefined;
  }
  return out;
}

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  creationTimestamp: created,
  ...extra,
});

describe('printer columns', () => {
  it('pods: NAME READY STATUS RESTARTS AGE, wide IP NODE NOMINATED NODE READINESS GATES', () => {
    const p: KubeObject = {
      metadata: meta('web-0'),
      spec: { nodeName: 'sandbox', containers: [{ name: 'a', image: 'x' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.244.0.5' }],
        containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: { running: {} } }],
      },
    };
    expect(row('', 'pods', p)).toEqual({
      NAME: 'web-0',
      READY: '1/1',
      STATUS: 'Running',
      RESTARTS: '0',
      AGE: '5m',
    });
    expect(row('', 'pods', p, true)).toMatchObject({
      IP: '10.244.0.5',
      NODE: 'sandbox',
      'NOMINATED NODE': '<none>',
      'READINESS GATES': '<none>',
    });
    const cols = info('', 'pods').printerColumns ?? [];
    expect(cols[0]).toMatchObject({ name: 'Name', format: 'name', priority: 0 });
    expect(cols.filter((c) => c.priority === 1).map((c) => c.name)).toEqual([
      'IP',
      'Node',
      'Nominated Node',
      'Readiness Gates',
    ]);
  });

  it('deployments and statefulsets', () => {
    const d: KubeObject = {
      metadata: meta('web'),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(row('apps', 'deployments', d)).toEqual({
      NAME: 'web',
      READY: '2/3',
      'UP-TO-DATE': 3,
      AVAILABLE: 2,
      AGE: '5m',
    });
    expect(row('apps', 'deployments', d, true)).toMatchObject({
      CONTAINERS: 'nginx',
      IMAGES: 'nginx:1.25',
      SELECTOR: 'app=web',
    });
    expect(
      row('apps', 'statefulsets', { metadata: meta('db'), spec: { replicas: 3 }, status: {} }),
    ).toEqual({ NAME: 'db', READY: '0/3', AGE: '5m' });
  });

  it('services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE', () => {
    const svc: KubeObject = {
      metadata: meta('web'),
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        ports: [
          { port: 80, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
      },
    };
    expect(row('', 'services', svc)).toEqual({
      NAME: 'web',
      TYPE: 'ClusterIP',
      'CLUSTER-IP': '10.96.0.10',
      'EXTERNAL-IP': '<none>',
      'PORT(S)': '80/TCP,53/UDP',
      AGE: '5m',
    });
    const np: KubeObject = {
      metadata: meta('np'),
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.11',
        ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }],
      },
    };
    expect(row('', 'services', np)['PORT(S)']).toBe('80:30080/TCP');
    const lb: KubeObject = {
      metadata: meta('lb'),
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [] },
    };
    expect(row('', 'services', lb)['EXTERNAL-IP']).toBe('<pending>');
    expect(
      row('', 'services', { metadata: meta('h'), spec: { clusterIP: 'None', type: 'ClusterIP' } })[
        'CLUSTER-IP'
      ],
    ).toBe('None');
  });

  it('configmaps, secrets, namespaces, nodes', () => {
    expect(
      row('', 'configmaps', {
        metadata: meta('c'),
        data: { a: '1', b: '2' },
        binaryData: { c: '' },
      }),
    ).toEqual({ NAME: 'c', DATA: 3, AGE: '5m' });
    expect(
      row('', 'secrets', { metadata: meta('s'), type: 'Opaque', data: { a: 'eA==' } }),
    ).toEqual({ NAME: 's', TYPE: 'Opaque', DATA: 1, AGE: '5m' });
    expect(row('', 'namespaces', { metadata: meta('ns'), status: { phase: 'Active' } })).toEqual({
      NAME: 'ns',
      STATUS: 'Active',
      AGE: '5m',
    });
    const node: KubeObject = {
      metadata: meta('sandbox', { labels: { 'node-role.kubernetes.io/control-plane': '' } }),
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { kubeletVersion: 'v1.32.0' },
      },
    };
    expect(row('', 'nodes', node)).toEqual({
      NAME: 'sandbox',
      STATUS: 'Ready,SchedulingDisabled',
      ROLES: 'control-plane',
      AGE: '5m',
      VERSION: 'v1.32.0',
    });
  });

  it('jobs and cronjobs', () => {
    const job: KubeObject = {
      metadata: meta('pi'),
      spec: { completions: 1, parallelism: 1 },
      status: {
        succeeded: 1,
        startTime: '2024-05-01T11:55:00Z',
        completionTime: '2024-05-01T11:55:12Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    };
    expect(row('batch', 'jobs', job)).toEqual({
      NAME: 'pi',
      STATUS: 'Complete',
      COMPLETIONS: '1/1',
      DURATION: '12s',
      AGE: '5m',
    });
    expect(
      row('batch', 'jobs', {
        metadata: meta('r'),
        spec: { completions: 3 },
        status: { succeeded: 1, startTime: '2024-05-01T11:59:00Z' },
      }),
    ).toMatchObject({ STATUS: 'Running', COMPLETIONS: '1/3', DURATION: '60s' });
    const cj: KubeObject = {
      metadata: meta('nightly'),
      spec: { schedule: '0 3 * * *', suspend: false },
      status: { active: [{}], lastScheduleTime: '2024-05-01T11:00:00Z' },
    };
    expect(row('batch', 'cronjobs', cj)).toEqual({
      NAME: 'nightly',
      SCHEDULE: '0 3 * * *',
      TIMEZONE: '<none>',
      SUSPEND: 'False',
      ACTIVE: 1,
      'LAST SCHEDULE': '60m',
      AGE: '5m',
    });
  });

  it('persistentvolumeclaims', () => {
    const pvc: KubeObject = {
      metadata: meta('data-db-0'),
      spec: { volumeName: 'pv-1', storageClassName: 'standard', volumeMode: 'Filesystem' },
      status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
    };
    expect(row('', 'persistentvolumeclaims', pvc)).toEqual({
      NAME: 'data-db-0',
      STATUS: 'Bound',
      VOLUME: 'pv-1',
      CAPACITY: '1Gi',
      'ACCESS MODES': 'RWO',
      STORAGECLASS: 'standard',
      VOLUMEATTRIBUTESCLASS: '<unset>',
      AGE: '5m',
    });
  });

  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE, NAME last and wide', () => {
    const ev: KubeObject = {
      metadata: meta('web.1'),
      involvedObject: { kind: 'Pod', name: 'web-0', fieldPath: 'spec.containers{a}' },
      reason: 'Started',
      type: 'Normal',
      message: 'Started container a ',
      source: { component: 'kubelet', host: 'sandbox' },
      firstTimestamp: '2024-05-01T11:50:00Z',
      lastTimestamp: '2024-05-01T11:58:00Z',
      count: 2,
    };
    expect(row('', 'events', ev)).toEqual({
      'LAST SEEN': '2m',
      TYPE: 'Normal',
      REASON: 'Started',
      OBJECT: 'pod/web-0',
      MESSAGE: 'Started container a',
    });
    expect(row('', 'events', ev, true)).toMatchObject({
      SUBOBJECT: 'spec.containers{a}',
      SOURCE: 'kubelet, sandbox',
      'FIRST SEEN': '10m',
      COUNT: 2,
      NAME: 'web.1',
    });
    const v1: KubeObject = {
      metadata: meta('e2'),
      regarding: { kind: 'Deployment', name: 'web' },
      reason: 'ScalingReplicaSet',
      type: 'Normal',
      note: 'Scaled up',
      eventTime: '2024-05-01T11:59:30.000000Z',
    };
    expect(row('events.k8s.io', 'events', v1)).toEqual({
      'LAST SEEN': '30s',
      TYPE: 'Normal',
      REASON: 'ScalingReplicaSet',
      OBJECT: 'deployment/web',
      MESSAGE: 'Scaled up',
    });
  });

  it('leases, pdbs, crds, rbac', () => {
    expect(
      row('coordination.k8s.io', 'leases', {
        metadata: meta('op'),
        spec: { holderIdentity: 'pod-a' },
      }),
    ).toEqual({ NAME: 'op', HOLDER: 'pod-a', AGE: '5m' });
    expect(
      row('policy', 'poddisruptionbudgets', {
        metadata: meta('pdb'),
        spec: { minAvailable: 2 },
        status: { disruptionsAllowed: 1 },
      }),
    ).toEqual({
      NAME: 'pdb',
      'MIN AVAILABLE': '2',
      'MAX UNAVAILABLE': 'N/A',
      'ALLOWED DISRUPTIONS': 1,
      AGE: '5m',
    });
    expect(
      row('apiextensions.k8s.io', 'customresourcedefinitions', {
        metadata: meta('etcdclusters.etcd.opsmith.io'),
      }),
    ).toEqual({ NAME: 'etcdclusters.etcd.opsmith.io', 'CREATED AT': created });
    expect(
      row(
        'rbac.authorization.k8s.io',
        'rolebindings',
        {
          metadata: meta('rb'),
          roleRef: { kind: 'Role', name: 'r' },
          subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }],
        },
        true,
      ),
    ).toMatchObject({ ROLE: 'Role/r', SERVICEACCOUNTS: 'ns/sa' });
  });

  it('ingresses, network policies, priority classes, controller revisions', () => {
    const ing: KubeObject = {
      metadata: meta('web'),
      spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }], tls: [{}] },
      status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    };
    expect(row('networking.k8s.io', 'ingresses', ing)).toEqual({
      NAME: 'web',
      CLASS: 'nginx',
      HOSTS: 'a.example.com',
      ADDRESS: '1.2.3.4',
      PORTS: '80, 443',
      AGE: '5m',
    });
    expect(
      row('networking.k8s.io', 'networkpolicies', {
        metadata: meta('deny'),
        spec: { podSelector: { matchLabels: { app: 'db' } } },
      }),
    ).toEqual({ NAME: 'deny', 'POD-SELECTOR': 'app=db', AGE: '5m' });
    expect(
      row('scheduling.k8s.io', 'priorityclasses', { metadata: meta('high'), value: 1000 }),
    ).toEqual({
      NAME: 'high',
      VALUE: 1000,
      'GLOBAL-DEFAULT': false,
      AGE: '5m',
      PREEMPTIONPOLICY: 'PreemptLowerPriority',
    });
    const rev: KubeObject = {
      metadata: meta('db-5d4f', {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true },
        ],
      }),
      revision: 2,
    };
    expect(row('apps', 'controllerrevisions', rev)).toEqual({
      NAME: 'db-5d4f',
      CONTROLLER: 'statefulset.apps/db',
      REVISION: 2,
      AGE: '5m',
    });
  });

  it('horizontal pod autoscalers show their targets', () => {
    const hpa: KubeObject = {
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
        ],
      },
      status: { currentReplicas: 2 },
    };
    expect(row('autoscaling', 'horizontalpodautoscalers', hpa)).toEqual({
      NAME: 'web',
      REFERENCE: 'Deployment/web',
      TARGETS: 'cpu: <unknown>/80%',
      MINPODS: '1',
      MAXPODS: 5,
      REPLICAS: 2,
      AGE: '5m',
    });
    const measured = {
      ...hpa,
      status: {
        currentReplicas: 2,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } },
        ],
      },
    };
    expect(row('autoscaling', 'horizontalpodautoscalers', measured)['TARGETS']).toBe(
      'cpu: 45%/80%',
    );
  });

  it('never throws on malformed objects', () => {
    for (const r of resources) {
      for (const c of r.printerColumns ?? []) {
        expect(() =>
          c.cell?.({ metadata: {}, spec: 'x', status: [1], data: 5 }, now),
        ).not.toThrow();
      }
    }
  });
});

describe('resource table', () => {
  it('lists the resources of issue 3 with short names, categories, verbs and subresources', () => {
    const byName = (g: string, r: string) => info(g, r);
    expect(byName('', 'pods')).toMatchObject({
      kind: 'Pod',
      listKind: 'PodList',
      singular: 'pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(byName('', 'pods').subresources).toEqual(
      expect.arrayContaining(['status', 'log', 'eviction', 'binding']),
    );
    expect(byName('', 'namespaces').verbs).toEqual([
      'create',
      'delete',
      'get',
      'list',
      'patch',
      'update',
      'watch',
    ]);
    expect(byName('apps', 'deployments').verbs).toEqual([
      'create',
      'delete',
      'deletecollection',
      'get',
      'list',
      'patch',
      'update',
      'watch',
    ]);
    expect(byName('apps', 'statefulsets').subresources).toEqual(['status', 'scale']);
    expect(byName('', 'serviceaccounts').subresources).toEqual(['token']);
    expect(byName('authentication.k8s.io', 'tokenreviews').verbs).toEqual(['create']);
    expect(byName('apiextensions.k8s.io', 'customresourcedefinitions').shortNames).toEqual([
      'crd',
      'crds',
    ]);
    expect(byName('', 'endpoints').singular).toBe('endpoints');
    const short = resources.flatMap((r) => r.shortNames ?? []);
    for (const s of [
      'po',
      'svc',
      'ep',
      'cm',
      'sa',
      'pvc',
      'pv',
      'ns',
      'no',
      'ev',
      'deploy',
      'sts',
      'rs',
      'ds',
      'cj',
      'pdb',
      'sc',
      'crd',
    ])
      expect(short).toContain(s);
    const all = resources
      .filter((r) => r.categories?.includes('all'))
      .map((r) => r.resource)
      .sort();
    expect(all).toEqual([
      'cronjobs',
      'daemonsets',
      'deployments',
      'horizontalpodautoscalers',
      'jobs',
      'pods',
      'replicasets',
      'replicationcontrollers',
      'services',
      'statefulsets',
    ]);
  });

  it('serves the field selectors of the real server', () => {
    const pods = info('', 'pods').fieldSelectors ?? {};
    const p: KubeObject = {
      spec: { nodeName: 'n1', restartPolicy: 'Always' },
      status: { phase: 'Running', podIP: '10.0.0.1' },
    };
    expect(pods['spec.nodeName'](p)).toBe('n1');
    expect(pods['status.phase'](p)).toBe('Running');
    expect(pods['spec.hostNetwork'](p)).toBe('false');
    expect(pods['status.nominatedNodeName'](p)).toBe('');
    const events = info('', 'events').fieldSelectors ?? {};
    const ev: KubeObject = {
      involvedObject: { kind: 'Pod', name: 'a', uid: 'u1' },
      reason: 'Killing',
      type: 'Normal',
      source: { component: 'kubelet' },
    };
    expect(events['involvedObject.uid'](ev)).toBe('u1');
    expect(events['source'](ev)).toBe('kubelet');
    expect((info('', 'secrets').fieldSelectors ?? {})['type']({ type: 'Opaque' })).toBe('Opaque');
    expect(
      (info('batch', 'jobs').fieldSelectors ?? {})['status.successful']({
        status: { succeeded: 2 },
      }),
    ).toBe('2');
    expect((info('', 'nodes').fieldSelectors ?? {})['spec.unschedulable']({ spec: {} })).toBe(
      'false',
    );
  });
});
