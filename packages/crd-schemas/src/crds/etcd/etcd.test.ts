import { describe, expect, it } from 'vitest';
import { etcdBackup, etcdCluster, etcdResources, etcdRestore, OWNED_ETCD_FLAGS } from './index.ts';

const cluster = (spec: Record<string, unknown>) => ({
  apiVersion: 'etcd.opsmith.io/v1alpha1',
  kind: 'EtcdCluster',
  metadata: { name: 'demo', namespace: 'default' },
  spec,
});

function errorsOf(
  r: { validate: (o: unknown) => { valid: boolean; errors: { field: string; message: string }[] } },
  o: unknown,
) {
  return r.validate(o).errors.map((e) => `${e.field}: ${e.message}`);
}

describe('EtcdCluster schema', () => {
  it('defaults a minimal cluster', () => {
    const v = etcdCluster.parse<{ spec: Record<string, unknown> }>(cluster({}));
    expect(v.spec).toMatchObject({
      size: 3,
      version: '3.4.23',
      repository: 'quay.io/coreos/etcd',
      paused: false,
      replaceUnhealthyAfterSeconds: 300,
    });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['size 0', { size: 0 }, 'spec.size'],
    ['size 10', { size: 10 }, 'spec.size'],
    ['size -1', { size: -1 }, 'spec.size'],
    ['size as string', { size: 'three' }, 'spec.size'],
    ['version with v', { version: 'v3.4.23' }, 'spec.version'],
    ['version two parts', { version: '3.4' }, 'spec.version'],
    ['version latest', { version: 'latest' }, 'spec.version'],
    ['version leading zero', { version: '3.04.1' }, 'spec.version'],
    ['repository with spaces', { repository: 'my repo' }, 'spec.repository'],
    ['storage type', { storage: { type: 'HostPath' } }, 'spec.storage.type'],
    ['retention policy', { storage: { retentionPolicy: 'Keep' } }, 'spec.storage.retentionPolicy'],
    ['tls provider', { tls: { provider: 'Vault' } }, 'spec.tls.provider'],
    ['cert validity', { tls: { certificateValidityDays: 0 } }, 'spec.tls.certificateValidityDays'],
    ['replace timeout', { replaceUnhealthyAfterSeconds: 5 }, 'spec.replaceUnhealthyAfterSeconds'],
    ['bad quantity', { storage: { size: 'lots' } }, 'spec.storage.size'],
    [
      'bad secret name',
      { tls: { provider: 'Secrets', peerSecret: 'Bad_Name' } },
      'spec.tls.peerSecret',
    ],
  ];
  for (const [name, spec, field] of invalid) {
    it(`rejects ${name}, naming ${field}`, () => {
      const errors = errorsOf(etcdCluster, cluster(spec));
      expect(errors.length, JSON.stringify(spec)).toBeGreaterThan(0);
      expect(errors.join('\n')).toContain(field);
    });
  }

  it('declares CEL rules for owned flags, dashes and TLS secrets', () => {
    const schema = etcdCluster.schema() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const extra = schema.properties.spec.properties.extraArgs;
    const rules = (extra['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
    expect(rules.join('\n')).toContain("'initial-cluster'");
    for (const f of OWNED_ETCD_FLAGS) expect(rules[1]).toContain(`'${f}'`);
    const tls = schema.properties.spec.properties.tls['x-kubernetes-validations'] as {
      rule: string;
    }[];
    expect(tls).toHaveLength(2);
  });

  it('has the printer columns users look at', () => {
    const crd = etcdCluster.crd() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const cols = crd.spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name);
    expect(cols).toEqual(['Size', 'Ready', 'Version', 'Leader', 'Available', 'Age']);
    expect(crd.spec.versions[0].subresources).toMatchObject({
      status: {},
      scale: { specReplicasPath: '.spec.size' },
    });
    expect(crd.metadata.name).toBe('etcdclusters.etcd.opsmith.io');
  });
});

describe('EtcdBackup schema', () => {
  const backup = (spec: Record<string, unknown>) => ({
    apiVersion: 'etcd.opsmith.io/v1alpha1',
    kind: 'EtcdBackup',
    metadata: { name: 'b', namespace: 'default' },
    spec: { clusterName: 'demo', destination: { url: 's3://my-bucket/etcd' }, ...spec },
  });
  it('accepts s3 and file locations and cron schedules', () => {
    for (const spec of [
      {},
      { destination: { url: 'file:///backups/etcd' } },
      { schedule: '*/5 * * * *', retention: { maxBackups: 2 } },
      { schedule: '@hourly' },
    ]) {
      expect(errorsOf(etcdBackup, backup(spec)), JSON.stringify(spec)).toEqual([]);
    }
  });
  const invalid: [string, Record<string, unknown>, string][] = [
    ['http URL', { destination: { url: 'http://bucket/x' } }, 'spec.destination.url'],
    ['bucket with capitals', { destination: { url: 's3://My_Bucket/x' } }, 'spec.destination.url'],
    ['relative file path', { destination: { url: 'file://backups' } }, 'spec.destination.url'],
    ['query string', { destination: { url: 's3://bucket/x?y=1' } }, 'spec.destination.url'],
    ['bad schedule', { schedule: 'every hour' }, 'spec.schedule'],
    [
      'retention 0',
      { schedule: '@daily', retention: { maxBackups: 0 } },
      'spec.retention.maxBackups',
    ],
    ['no cluster', { clusterName: '' }, 'spec.clusterName'],
    [
      'bad endpoint',
      { destination: { url: 's3://bucket/x', endpoint: 'minio:9000' } },
      'spec.destination.endpoint',
    ],
  ];
  for (const [name, spec, field] of invalid) {
    it(`rejects ${name}, naming ${field}`, () => {
      expect(errorsOf(etcdBackup, backup(spec)).join('\n')).toContain(field);
    });
  }
});

describe('EtcdRestore schema', () => {
  it('defaults replaceExisting to false and validates the embedded cluster spec', () => {
    const r = {
      apiVersion: 'etcd.opsmith.io/v1alpha1',
      kind: 'EtcdRestore',
      metadata: { name: 'r', namespace: 'default' },
      spec: {
        source: { location: { url: 'file:///b' } },
        clusterName: 'restored',
        clusterSpec: { size: 11 },
      },
    };
    expect(errorsOf(etcdRestore, r).join('\n')).toContain('spec.clusterSpec.size');
    r.spec.clusterSpec.size = 3;
    const v = etcdRestore.parse<{ spec: { replaceExisting: boolean } }>(r);
    expect(v.spec.replaceExisting).toBe(false);
  });
  it('bundles all three resources', () => {
    expect(etcdResources.map((x) => x.kind)).toEqual(['EtcdCluster', 'EtcdBackup', 'EtcdRestore']);
    for (const res of etcdResources) expect(res.crdYaml()).toContain('etcd.opsmith.io');
  });
});
