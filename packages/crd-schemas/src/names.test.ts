import { expect, it } from 'vitest';
import { crdName } from './names.ts';

it('names a CRD <plural>.<group> and rejects names the API server would reject', () => {
  expect(crdName('etcdclusters', 'etcd.opsmith.io')).toBe('etcdclusters.etcd.opsmith.io');
  expect(() => crdName('EtcdClusters', 'etcd.opsmith.io')).toThrow(/lowercase/);
  expect(() => crdName('etcdclusters', 'local')).toThrow(/dot/);
});
