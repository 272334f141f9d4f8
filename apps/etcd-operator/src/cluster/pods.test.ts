import { describe, expect, it } from 'vitest';
import type { EtcdCluster } from '../api/types.ts';
import {
  ANNOTATION_SPEC_HASH,
  buildClientService,
  buildMemberPod,
  buildMemberPvc,
  buildPeerService,
  buildPodDisruptionBudget,
  clusterToken,
  etcdFlags,
  LABEL_MEMBER,
  podSpecHash,
  validateExtraArgs,
  type K8sObject,
} from './pods.ts';

function cluster(spec: Partial<EtcdCluster['spec']> = {}): EtcdCluster {
  return {
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdCluster',
    metadata: { name: 'demo', namespace: 'prod', uid: 'abcdef12-3456' },
    spec: { size: 3, version: '3.4.23', ...spec },
  };
}

const initial = [
  { name: 'demo-0', peerURL: 'http://demo-0.demo.prod.svc:2380' },
  { name: 'demo-1', peerURL: 'http://demo-1.demo.prod.svc:2380' },
];

// Small accessors for the untyped object trees.
/* eslint-disable @typescript-eslint/no-explicit-any */
const podSpec = (p: K8sObject): any => (p as any).spec;
const container = (p: K8sObject): any => podSpec(p).containers[0];
const flag = (p: K8sObject, name: string): string | undefined =>
  (container(p).args as string[])
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')
    .slice(1)
    .join('=');

describe('member pod', () => {
  const pod = buildMemberPod({
    cluster: cluster(),
    member: 'demo-1',
    memberId: '1234',
    initialCluster: initial,
    state: 'existing',
    token: 'tok',
  });

  it('has the stable identity: name, hostname, subdomain, PVC', () => {
    expect(pod.metadata.name).toBe('demo-1');
    expect(podSpec(pod).hostname).toBe('demo-1');
    expect(podSpec(pod).subdomain).toBe('demo');
    expect(podSpec(pod).restartPolicy).toBe('Always');
    expect(podSpec(pod).volumes[0]).toEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'demo-1-data' },
    });
    expect(pod.metadata.labels?.[LABEL_MEMBER]).toBe('demo-1');
    expect((pod.metadata as any).ownerReferences[0]).toMatchObject({
      kind: 'EtcdCluster',
      controller: true,
    });
  });

  it('passes the etcd flags with DNS names and the initial cluster', () => {
    expect(container(pod).image).toBe('quay.io/coreos/etcd:v3.4.23');
    expect(container(pod).command).toEqual(['/usr/local/bin/etcd']);
    expect(flag(pod, 'name')).toBe('demo-1');
    expect(flag(pod, 'data-dir')).toBe('/var/lib/etcd/data');
    expect(flag(pod, 'initial-advertise-peer-urls')).toBe('http://demo-1.demo.prod.svc:2380');
    expect(flag(pod, 'advertise-client-urls')).toBe('http://demo-1.demo.prod.svc:2379');
    expect(flag(pod, 'initial-cluster')).toBe(
      'demo-0=http://demo-0.demo.prod.svc:2380,demo-1=http://demo-1.demo.prod.svc:2380',
    );
    expect(flag(pod, 'initial-cluster-state')).toBe('existing');
    expect(flag(pod, 'initial-cluster-token')).toBe('tok');
    expect(flag(pod, 'listen-metrics-urls')).toBe('http://0.0.0.0:2381');
    expect(flag(pod, 'cert-file')).toBeUndefined();
  });

  it('probes: readiness on /health, liveness that survives quorum loss', () => {
    expect(container(pod).readinessProbe.httpGet).toMatchObject({ path: '/health', port: 2381 });
    expect(container(pod).livenessProbe.httpGet).toMatchObject({ path: '/metrics', port: 2381 });
    expect(
      container(pod).livenessProbe.failureThreshold * container(pod).livenessProbe.periodSeconds,
    ).toBeGreaterThanOrEqual(60);
  });

  it('runs non-root with a read-only root filesystem', () => {
    expect(podSpec(pod).securityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 65532 });
    expect(container(pod).securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpec(pod).automountServiceAccountToken).toBe(false);
  });

  it('stamps the spec hash and member id', () => {
    expect(pod.metadata.annotations).toMatchObject({
      [ANNOTATION_SPEC_HASH]: podSpecHash(cluster().spec),
      'etcd.opsmith.io/member-id': '1234',
      'etcd.opsmith.io/initial-cluster-state': 'existing',
    });
  });

  it('applies pod template overrides without letting labels break selectors', () => {
    const p = buildMemberPod({
      cluster: cluster({
        pod: {
          labels: { team: 'a', 'app.kubernetes.io/instance': 'hijack' },
          annotations: { note: 'x' },
          nodeSelector: { disk: 'ssd' },
          tolerations: [{ key: 'k', operator: 'Exists' }],
          priorityClassName: 'critical',
          affinity: { nodeAffinity: {} },
          securityContext: { runAsUser: 2000 },
        },
        resources: { limits: { memory: '1Gi' } },
        image: 'registry.local/etcd:custom',
      }),
      member: 'demo-0',
      initialCluster: initial.slice(0, 1),
      state: 'new',
      token: 't',
    });
    expect(p.metadata.labels).toMatchObject({ team: 'a', 'app.kubernetes.io/instance': 'demo' });
    expect(p.metadata.annotations).toMatchObject({ note: 'x' });
    expect(podSpec(p)).toMatchObject({
      nodeSelector: { disk: 'ssd' },
      tolerations: [{ key: 'k', operator: 'Exists' }],
      priorityClassName: 'critical',
      affinity: { nodeAffinity: {} },
    });
    expect(podSpec(p).securityContext).toMatchObject({ runAsUser: 2000, runAsNonRoot: true });
    expect(container(p).resources).toEqual({ limits: { memory: '1Gi' } });
    expect(container(p).image).toBe('registry.local/etcd:custom');
  });

  it('uses the image decided by decide() when given', () => {
    const p = buildMemberPod({
      cluster: cluster({ version: '3.4.24' }),
      member: 'demo-0',
      initialCluster: initial,
      state: 'existing',
      token: 't',
      image: 'quay.io/coreos/etcd:v3.4.23',
    });
    expect(container(p).image).toBe('quay.io/coreos/etcd:v3.4.23');
  });

  it('emptyDir only when chosen', () => {
    const p = buildMemberPod({
      cluster: cluster({ storage: { type: 'EmptyDir', medium: 'Memory' } }),
      member: 'demo-0',
      initialCluster: initial,
      state: 'new',
      token: 't',
    });
    expect(podSpec(p).volumes[0]).toEqual({ name: 'data', emptyDir: { medium: 'Memory' } });
  });

  it('TLS with operator certificates: https URLs, client-cert auth, the member Secret mounted', () => {
    const p = buildMemberPod({
      cluster: cluster({ tls: { peer: true, client: true } }),
      member: 'demo-0',
      initialCluster: initial,
      state: 'new',
      token: 't',
    });
    expect(flag(p, 'initial-advertise-peer-urls')).toBe('https://demo-0.demo.prod.svc:2380');
    expect(flag(p, 'advertise-client-urls')).toBe('https://demo-0.demo.prod.svc:2379');
    expect(flag(p, 'listen-client-urls')).toBe('https://0.0.0.0:2379');
    expect(flag(p, 'client-cert-auth')).toBe('true');
    expect(flag(p, 'peer-client-cert-auth')).toBe('true');
    expect(flag(p, 'cert-file')).toBe('/etc/etcd/tls/member/tls.crt');
    expect(flag(p, 'peer-trusted-ca-file')).toBe('/etc/etcd/tls/member/ca.crt');
    expect(podSpec(p).volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'demo-0-tls', defaultMode: 0o400 },
    });
    // Probes stay on the plain metrics port.
    expect(container(p).readinessProbe.httpGet.scheme).toBe('HTTP');
  });

  it('TLS with user Secrets mounts them separately', () => {
    const p = buildMemberPod({
      cluster: cluster({
        tls: {
          peer: true,
          client: true,
          provider: 'Secrets',
          peerSecret: 'ps',
          serverSecret: 'ss',
        },
      }),
      member: 'demo-0',
      initialCluster: initial,
      state: 'new',
      token: 't',
    });
    expect(flag(p, 'peer-cert-file')).toBe('/etc/etcd/tls/peer/tls.crt');
    expect(flag(p, 'cert-file')).toBe('/etc/etcd/tls/server/tls.crt');
    const names = (podSpec(p).volumes as any[]).map((v) => v.secret?.secretName).filter(Boolean);
    expect(names).toEqual(['ps', 'ss']);
  });
});

describe('extra flags', () => {
  it('appends user flags sorted and never an owned one', () => {
    const flags = etcdFlags({
      ref: { name: 'demo', namespace: 'prod' },
      member: 'demo-0',
      initialCluster: initial,
      state: 'new',
      token: 't',
      tls: { peer: false, client: false },
      extraArgs: {
        'snapshot-count': '5000',
        '--auto-compaction-retention': '1h',
        'data-dir': '/evil',
      },
    });
    expect(flags.filter((f) => f.startsWith('--data-dir'))).toEqual([
      '--data-dir=/var/lib/etcd/data',
    ]);
    expect(flags.slice(-2)).toEqual(['--auto-compaction-retention=1h', '--snapshot-count=5000']);
  });
  it('reports owned flags', () => {
    expect(
      validateExtraArgs({ 'initial-cluster': 'x', '--name': 'y', 'quota-backend-bytes': '1' }),
    ).toEqual([
      'spec.extraArgs: --initial-cluster is set by the operator',
      'spec.extraArgs: --name is set by the operator',
    ]);
    expect(validateExtraArgs(undefined)).toEqual([]);
  });
  it('changes the pod spec hash (so pods roll), not on size or version changes', () => {
    const base = podSpecHash(cluster().spec);
    expect(podSpecHash(cluster({ extraArgs: { 'snapshot-count': '1' } }).spec)).not.toBe(base);
    expect(podSpecHash(cluster({ size: 5, version: '3.4.24' }).spec)).toBe(base);
    expect(
      podSpecHash(cluster({ resources: { requests: { cpu: '1', memory: '1Gi' } } }).spec),
    ).toBe(podSpecHash(cluster({ resources: { requests: { memory: '1Gi', cpu: '1' } } }).spec));
  });
});

describe('services, PVC, PDB', () => {
  it('peer service is headless and publishes not-ready addresses', () => {
    const s = buildPeerService(cluster()) as any;
    expect(s.metadata.name).toBe('demo');
    expect(s.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(s.spec.selector).toEqual({
      'app.kubernetes.io/name': 'etcd',
      'app.kubernetes.io/instance': 'demo',
      'etcd.opsmith.io/cluster': 'demo',
    });
  });
  it('client service routes to ready members', () => {
    const s = buildClientService(cluster()) as any;
    expect(s.metadata.name).toBe('demo-client');
    expect(s.spec.publishNotReadyAddresses).toBeUndefined();
    expect(s.spec.ports[0]).toMatchObject({ name: 'client', port: 2379 });
  });
  it('PVC per member with the storage spec', () => {
    const p = buildMemberPvc(
      cluster({ storage: { size: '5Gi', storageClassName: 'fast' } }),
      'demo-2',
    ) as any;
    expect(p.metadata.name).toBe('demo-2-data');
    expect(p.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'fast',
    });
  });
  it('PDB keeps quorum available', () => {
    const min = (size: number) =>
      (buildPodDisruptionBudget(cluster({ size })) as any).spec.minAvailable;
    expect([1, 3, 4, 5, 7].map(min)).toEqual([1, 2, 3, 3, 4]);
  });
  it('token is stable per object and differs for a recreated one', () => {
    expect(clusterToken(cluster())).toBe('prod-demo-abcdef12');
    const other = cluster();
    other.metadata.uid = '99999999-0000';
    expect(clusterToken(other)).not.toBe(clusterToken(cluster()));
  });
});
