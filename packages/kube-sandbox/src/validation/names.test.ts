import { describe, expect, it } from 'vitest';
import { validateDns1123Label, validateDns1123Subdomain } from './names.ts';

describe('DNS-1123 names', () => {
  it('accepts valid names', () => {
    expect(validateDns1123Label('etcd-0')).toEqual([]);
    expect(validateDns1123Subdomain('etcdclusters.etcd.opsmith.io')).toEqual([]);
  });
  it('rejects invalid names with the API server wording', () => {
    expect(validateDns1123Label('Etcd')[0]).toMatch(/lowercase RFC 1123 label/);
    expect(validateDns1123Label('a.b')).toHaveLength(1);
    expect(validateDns1123Label('x'.repeat(64))).toContain('must be no more than 63 characters');
    expect(validateDns1123Subdomain('-bad')[0]).toMatch(/RFC 1123 subdomain/);
  });
});
