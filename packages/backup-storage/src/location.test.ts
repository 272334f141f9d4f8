import { expect, it } from 'vitest';
import { parseLocation } from './location.ts';

it('parses s3 and file locations and names what is wrong with bad ones', () => {
  expect(parseLocation('s3://backups/etcd/prod')).toEqual({
    kind: 's3',
    bucket: 'backups',
    prefix: 'etcd/prod',
  });
  expect(parseLocation('file:///var/backups')).toEqual({ kind: 'file', path: '/var/backups' });
  expect(() => parseLocation('backups')).toThrow(/not a URL/);
  expect(() => parseLocation('gs://b/p')).toThrow(/unsupported scheme gs:/);
  expect(() => parseLocation('file://host/p')).toThrow(/no host/);
});
