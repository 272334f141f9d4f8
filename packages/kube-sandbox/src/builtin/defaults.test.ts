import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/types.ts';
import { createBuiltinKinds } from './index.ts';

const kinds = createBuiltinKinds();

function fail(group: string, resource: string): never {
  throw new Error(`no built-in resource ${group}/${resource}`);
}

function defaulted(group: string, resource: string, obj: KubeObject): KubeObject {
  const info =
    kinds.resources().find((r) => r.group === group && r.resource === resource) ??
    fail(group, resource);
  const copy = structuredClone(obj);
  kinds.applyDefaults(info, copy);
  return copy;
}

const container = {
  name: 'app',
  image: 'nginx:1.25',
  ports: [{ containerPort: 80 }],
  readinessProbe: { httpGet: { port: 80 } },
};

describe('defaulting like the real server', () => {
  it('pods', () => {
    const pod = defaulted('', 'pods', {
      metadata: { name: 'p' },
      spec: { containers: [container, { name: 'side', image: 'busybox' }] },
    });
    expect(pod['spec']).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
    });
    const [app, side] = (pod['spec'] as { containers: Record<string, unknown>[] }).containers;
    expect(app).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      readinessProbe: {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    expect(side['imagePullPolicy']).toBe('Always');
    expect(pod['status']).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect((pod['spec'] as { tolerations: unknown }).tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    // Defaulting twice (create, then update) adds nothing more.
    const again = defaulted('', 'pods', pod);
    expect(again).toEqual(pod);
  });

  it('stores quantities in canonical form', () => {
    const pod = defaulted('', 'pods', {
      spec: {
        containers: [
          {
            name: 'a',
            image: 'x:1',
            resources: { requests: { cpu: '0.5', memory: '2048Mi' }, limits: { cpu: 1 } },
          },
        ],
      },
    });
    expect(pod['spec']).toMatchObject({
      containers: [
        { resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '1' } } },
      ],
    });
    const sts = defaulted('apps', 'statefulsets', {
      spec: {
        volumeClaimTemplates: [{ spec: { resources: { requests: { storage: '1024Mi' } } } }],
      },
    });
    expect(sts['spec']).toMatchObject({
      volumeClaimTemplates: [{ spec: { resources: { requests: { storage: '1Gi' } } } }],
    });
  });

  it('host-network pods expose container ports as host ports', () => {
    const pod = defaulted('', 'pods', {
      spec: {
        hostNetwork: true,
        containers: [{ name: 'a', image: 'x:1', ports: [{ containerPort: 9100 }] }],
      },
    });
    expect(pod['spec']).toMatchObject({
      containers: [{ ports: [{ containerPort: 9100, hostPort: 9100, protocol: 'TCP' }] }],
    });
  });

  it('secrets fold stringData into data', () => {
    const s = defaulted('', 'secrets', { data: { a: 'eA==' }, stringData: { b: 'hello', a: 'y' } });
    expect(s).toEqual({ type: 'Opaque', data: { a: 'eQ==', b: 'aGVsbG8=' } });
  });

  it('imagePullPolicy follows the tag', () => {
    const policy = (image: string) =>
      (
        defaulted('', 'pods', { spec: { containers: [{ name: 'a', image }] } })['spec'] as {
          containers: { imagePullPolicy: string }[];
        }
      ).containers[0].imagePullPolicy;
    expect(policy('nginx')).toBe('Always');
    expect(policy('nginx:latest')).toBe('Always');
    expect(policy('localhost:5000/app')).toBe('Always');
    expect(policy('localhost:5000/app:v1')).toBe('IfNotPresent');
    expect(policy('nginx@sha256:abc')).toBe('IfNotPresent');
  });

  it('copies limits into requests and computes the QoS class', () => {
    const pod = defaulted('', 'pods', {
      spec: {
        containers: [
          { name: 'a', image: 'x:1', resources: { limits: { cpu: '1', memory: '1Gi' } } },
        ],
      },
    });
    expect(pod['spec']).toMatchObject({
      containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }],
    });
    expect((pod['status'] as { qosClass: string }).qosClass).toBe('Guaranteed');
  });

  it('services', () => {
    const svc = defaulted('', 'services', {
      spec: { ports: [{ port: 80 }], selector: { app: 'a' } },
    });
    expect(svc['spec']).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      selector: { app: 'a' },
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    });
    expect(
      defaulted('', 'services', { spec: { type: 'NodePort', ports: [] } })['spec'],
    ).toMatchObject({ externalTrafficPolicy: 'Cluster' });
  });

  it('deployments with template defaults but no pod-only defaults', () => {
    const d = defaulted('apps', 'deployments', {
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container] } },
      },
    });
    expect(d['spec']).toMatchObject({
      replicas: 1,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        spec: {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
        },
      },
    });
    const podSpec = (d['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(podSpec['enableServiceLinks']).toBeUndefined();
    expect(podSpec['serviceAccountName']).toBeUndefined();
    const recreate = defaulted('apps', 'deployments', { spec: { strategy: { type: 'Recreate' } } });
    expect((recreate['spec'] as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
  });

  it('statefulsets', () => {
    const s = defaulted('apps', 'statefulsets', {
      spec: {
        template: { spec: { containers: [container] } },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } },
        ],
      },
    });
    expect(s['spec']).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          spec: { volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        },
      ],
    });
  });

  it('daemonsets and replicasets', () => {
    expect(defaulted('apps', 'daemonsets', { spec: {} })['spec']).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    });
    expect(defaulted('apps', 'replicasets', { spec: {} })['spec']).toMatchObject({ replicas: 1 });
  });

  it('jobs: counts, policies and the generated selector', () => {
    const job = defaulted('batch', 'jobs', {
      metadata: { name: 'pi', uid: 'u-1' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } },
    });
    expect(job['spec']).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
    });
    const labels = {
      'batch.kubernetes.io/controller-uid': 'u-1',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'u-1',
      'job-name': 'pi',
    };
    expect(job['spec']).toMatchObject({ template: { metadata: { labels } } });
    expect(job.metadata?.labels).toEqual(labels);
    const parallel = defaulted('batch', 'jobs', {
      metadata: { name: 'x' },
      spec: { parallelism: 3 },
    });
    expect(parallel['spec']).toMatchObject({ parallelism: 3 });
    expect((parallel['spec'] as Record<string, unknown>)['completions']).toBeUndefined();
    const manual = defaulted('batch', 'jobs', {
      metadata: { name: 'm', uid: 'u' },
      spec: { manualSelector: true },
    });
    expect((manual['spec'] as Record<string, unknown>)['selector']).toBeUndefined();
  });

  it('cronjobs, pvcs, secrets, namespaces', () => {
    expect(
      defaulted('batch', 'cronjobs', {
        spec: { jobTemplate: { spec: { template: { spec: { containers: [container] } } } } },
      })['spec'],
    ).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: { template: { spec: { dnsPolicy: 'ClusterFirst' } } } },
    });
    const pvc = defaulted('', 'persistentvolumeclaims', {
      spec: { accessModes: ['ReadWriteOnce'] },
    });
    expect(pvc).toMatchObject({ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
    expect(defaulted('', 'secrets', {})['type']).toBe('Opaque');
    expect(defaulted('', 'namespaces', { metadata: { name: 'team' } })).toMatchObject({
      metadata: { labels: { 'kubernetes.io/metadata.name': 'team' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('horizontal pod autoscalers default to 80% CPU and one replica minimum', () => {
    expect(
      defaulted('autoscaling', 'horizontalpodautoscalers', { spec: { maxReplicas: 3 } })['spec'],
    ).toEqual({
      maxReplicas: 3,
      minReplicas: 1,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    });
  });

  it('keeps values the client set', () => {
    const pod = defaulted('', 'pods', {
      spec: {
        restartPolicy: 'Never',
        serviceAccountName: 'op',
        containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never' }],
      },
    });
    expect(pod['spec']).toMatchObject({
      restartPolicy: 'Never',
      serviceAccountName: 'op',
      serviceAccount: 'op',
      containers: [{ imagePullPolicy: 'Never' }],
    });
  });
});
