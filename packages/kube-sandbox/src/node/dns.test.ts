import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/types.ts';
import { answerQuery, resolveQuestion, type DnsData } from './dns.ts';

const services: KubeObject[] = [
  {
    metadata: { name: 'web', namespace: 'prod' },
    spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] },
  },
  {
    metadata: { name: 'db', namespace: 'prod' },
    spec: { clusterIP: 'None', ports: [{ name: 'sql', port: 3306 }] },
  },
  {
    metadata: { name: 'all', namespace: 'prod' },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true },
  },
  {
    metadata: { name: 'ext', namespace: 'prod' },
    spec: { type: 'ExternalName', externalName: 'example.org' },
  },
];
const endpoints: Record<string, KubeObject> = {
  'prod/db': {
    subsets: [
      {
        addresses: [{ ip: '10.244.0.11', hostname: 'db-0' }],
        notReadyAddresses: [{ ip: '10.244.0.12', hostname: 'db-1' }],
      },
    ],
  },
  'prod/all': {
    subsets: [{ addresses: [{ ip: '10.244.0.13' }], notReadyAddresses: [{ ip: '10.244.0.14' }] }],
  },
};
const data: DnsData = {
  services: () => services,
  endpoints: (ns, n) => endpoints[`${ns}/${n}`],
  pods: () => [],
};
const ips = (name: string, type = 'A') =>
  resolveQuestion(name, type, data).answers.map((a) => (a as { data: unknown }).data);

describe('cluster DNS', () => {
  it('answers services, headless endpoints and hostnames', () => {
    expect(ips('web.prod.svc.cluster.local')).toEqual(['10.96.0.20']);
    expect(ips('WEB.prod.svc.cluster.local.')).toEqual(['10.96.0.20']);
    expect(ips('db.prod.svc.cluster.local')).toEqual(['10.244.0.11']);
    expect(ips('all.prod.svc.cluster.local').sort()).toEqual(['10.244.0.13', '10.244.0.14']);
    expect(ips('db-0.db.prod.svc.cluster.local')).toEqual(['10.244.0.11']);
    expect(resolveQuestion('db-1.db.prod.svc.cluster.local', 'A', data).rcode).toBe('NXDOMAIN');
    expect(ips('10-244-0-9.prod.pod.cluster.local')).toEqual(['10.244.0.9']);
    expect(ips('ext.prod.svc.cluster.local')).toEqual(['example.org']);
    expect(ips('_sql._tcp.db.prod.svc.cluster.local', 'SRV')).toEqual([
      { priority: 0, weight: 100, port: 3306, target: 'db-0.db.prod.svc.cluster.local' },
    ]);
  });

  it('answers NODATA for other types of existing names and NXDOMAIN otherwise', () => {
    expect(resolveQuestion('web.prod.svc.cluster.local', 'AAAA', data)).toEqual({
      rcode: 'NOERROR',
      answers: [],
    });
    expect(resolveQuestion('nope.prod.svc.cluster.local', 'A', data).rcode).toBe('NXDOMAIN');
    expect(
      resolveQuestion('web.prod.svc.cluster.local.prod.svc.cluster.local', 'A', data).rcode,
    ).toBe('NXDOMAIN');
    expect(resolveQuestion('example.com', 'A', data).rcode).toBe('NXDOMAIN');
  });

  it('encodes responses with the query id and rcode', () => {
    const q = dnsPacket.encode({
      type: 'query',
      id: 42,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'missing.prod.svc.cluster.local' }],
    });
    const r = dnsPacket.decode(answerQuery(q, data)) as unknown as {
      id: number;
      rcode: string;
      authorities: unknown[];
    };
    expect(r.id).toBe(42);
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.authorities).toHaveLength(1);
  });
});
