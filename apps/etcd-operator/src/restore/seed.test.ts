import { describe, expect, it } from 'vitest';
import type { EtcdCluster } from '../api/types.ts';
import { buildMemberPod } from '../cluster/pods.ts';
import { rankCandidates } from '../cluster/recover.ts';
import type { BackupManifest } from '@opsmith/backup-storage';
import {
  agentImage,
  ANNOTATION_RESTORE_FROM,
  formatSeedSource,
  seedInitContainers,
  seedSourceOf,
  type SeedSource,
} from './seed.ts';

const source: SeedSource = {
  location: {
    url: 's3://bk/etcd',
    endpoint: 'http://10.0.0.1:9000',
    credentialsSecret: 's3-creds',
  },
  backupId: 'c-20260101T000000Z',
  agentImage: 'ghcr.io/opsmith/etcd-operator:0.1.0',
};
const cluster = (annotations?: Record<string, string>): EtcdCluster => ({
  apiVersion: 'etcd.opsmith.io/v1alpha1',
  kind: 'EtcdCluster',
  metadata: { name: 'c', namespace: 'ns', uid: 'u-1', ...(annotations ? { annotations } : {}) },
  spec: { size: 3, version: '3.4.23' },
});

describe('seed source annotation', () => {
  it('round-trips and rejects junk', () => {
    const a = { [ANNOTATION_RESTORE_FROM]: formatSeedSource(source) };
    expect(seedSourceOf(a)).toEqual(source);
    expect(seedSourceOf({ [ANNOTATION_RESTORE_FROM]: '{not json' })).toBeUndefined();
    expect(seedSourceOf({ [ANNOTATION_RESTORE_FROM]: '{"backupId":"x"}' })).toBeUndefined();
    expect(seedSourceOf(undefined)).toBeUndefined();
  });
  it('the agent image comes from OPERATOR_IMAGE', () => {
    expect(agentImage({ OPERATOR_IMAGE: 'reg/op:1' })).toBe('reg/op:1');
    expect(agentImage({})).toBe('ghcr.io/opsmith/etcd-operator:latest');
  });
});

describe('seed init containers', () => {
  const s = seedInitContainers({
    source,
    member: 'c-0',
    peerURL: 'http://c-0.c.ns.svc:2380',
    token: 'tok',
    etcdImage: 'quay.io/coreos/etcd:v3.4.23',
    dataMount: '/var/lib/etcd',
    dataDir: '/var/lib/etcd/data',
  });
  it('fetch with the agent (only the credentials Secret mounted), then etcdctl restore', () => {
    const [fetch, restore] = s.initContainers as {
      name: string;
      image: string;
      args?: string[];
      command?: string[];
      env: { name: string; value: string }[];
      volumeMounts: { name: string }[];
    }[];
    expect(fetch?.name).toBe('fetch-backup');
    expect(fetch?.image).toBe(source.agentImage);
    expect(fetch?.args?.slice(0, 4)).toEqual([
      'backup-agent',
      '--unless-exists',
      '/var/lib/etcd/data/member',
      'fetch',
    ]);
    expect(fetch?.args).toContain('c-20260101T000000Z');
    expect(fetch?.args).toContain('--credentials-dir');
    expect(fetch?.volumeMounts.map((m) => m.name)).toEqual(['data', 'backup-credentials']);
    expect(restore?.image).toBe('quay.io/coreos/etcd:v3.4.23');
    expect(restore?.command?.[2]).toContain('if [ -d "$DATA_DIR/member" ]');
    expect(restore?.command?.[2]).toContain('etcdctl snapshot restore');
    expect(restore?.env).toContainEqual({ name: 'PEER_URL', value: 'http://c-0.c.ns.svc:2380' });
    expect(s.volumes).toEqual([
      { name: 'backup-credentials', secret: { secretName: 's3-creds', defaultMode: 0o444 } },
    ]);
  });
  it('only the seed pod of an annotated cluster gets them', () => {
    const annotated = cluster({ [ANNOTATION_RESTORE_FROM]: formatSeedSource(source) });
    const pod = (c: EtcdCluster, state: 'new' | 'existing') =>
      buildMemberPod({
        cluster: c,
        member: 'c-0',
        initialCluster: [{ name: 'c-0', peerURL: 'http://c-0.c.ns.svc:2380' }],
        state,
        token: 'tok',
      }) as unknown as { spec: { initContainers?: unknown[]; volumes: { name: string }[] } };
    expect(pod(annotated, 'new').spec.initContainers).toHaveLength(2);
    expect(pod(annotated, 'new').spec.volumes.map((v) => v.name)).toContain('backup-credentials');
    expect(pod(annotated, 'existing').spec.initContainers).toBeUndefined();
    expect(pod(cluster(), 'new').spec.initContainers).toBeUndefined();
  });
});

describe('recovery candidates', () => {
  const m = (id: string, name: string, completedAt: string): BackupManifest =>
    ({ id, source: { kind: 'EtcdCluster', name }, completedAt }) as unknown as BackupManifest;
  it("only this cluster's backups in s3 locations, newest first, without duplicates", () => {
    const a = { url: 's3://a/x' };
    const b = { url: 's3://b/y' };
    const f = { url: 'file:///f' };
    const ranked = rankCandidates({ name: 'c' }, [
      {
        location: a,
        manifests: [m('1', 'c', '2026-01-01T00:00:00Z'), m('2', 'other', '2026-01-03T00:00:00Z')],
      },
      { location: b, manifests: [m('3', 'c', '2026-01-02T00:00:00Z')] },
      { location: a, manifests: [m('1', 'c', '2026-01-01T00:00:00Z')] },
      { location: f, manifests: [m('4', 'c', '2026-01-04T00:00:00Z')] },
    ]);
    expect(ranked.map((r) => `${r.location.url}/${r.manifest.id}`)).toEqual([
      's3://b/y/3',
      's3://a/x/1',
    ]);
  });
});
