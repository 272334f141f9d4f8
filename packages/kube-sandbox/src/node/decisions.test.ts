import { describe, expect, it } from 'vitest';
import { nodeObject, unschedulableReason } from './node-object.ts';
import { ProbeCounter, probeTiming, resolvePort } from './probes.ts';
import { serviceRules } from './service-proxy.ts';
import { IpPool, macForIp } from './network.ts';

describe('scheduling', () => {
  const node = nodeObject('sandbox-node', '10.244.0.1', 'now');
  it('fits pods whose selector and affinity match the node', () => {
    expect(unschedulableReason({ spec: {} }, node)).toBeUndefined();
    expect(
      unschedulableReason({ spec: { nodeSelector: { 'kubernetes.io/os': 'linux' } } }, node),
    ).toBeUndefined();
    expect(unschedulableReason({ spec: { nodeSelector: { disktype: 'ssd' } } }, node)).toContain(
      "didn't match Pod's node affinity/selector",
    );
    const affinity = (operator: string, values?: string[]) => ({
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.io/hostname', operator, values }] },
              ],
            },
          },
        },
      },
    });
    expect(unschedulableReason(affinity('In', ['sandbox-node']), node)).toBeUndefined();
    expect(unschedulableReason(affinity('NotIn', ['sandbox-node']), node)).toBeDefined();
  });

  it('honours taints and tolerations', () => {
    const tainted = {
      ...node,
      spec: { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] },
    };
    expect(unschedulableReason({ spec: {} }, tainted)).toContain('untolerated taint');
    expect(
      unschedulableReason(
        { spec: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } },
        tainted,
      ),
    ).toBeUndefined();
    expect(
      unschedulableReason({ spec: { tolerations: [{ operator: 'Exists' }] } }, tainted),
    ).toBeUndefined();
    expect(
      unschedulableReason({ spec: { tolerations: [{ key: 'dedicated', value: 'y' }] } }, tainted),
    ).toBeDefined();
  });
});

describe('service rules', () => {
  it('maps service ports to ready endpoint ports by name', () => {
    const rules = serviceRules(
      [
        {
          metadata: { name: 'web', namespace: 'a' },
          spec: {
            clusterIP: '10.96.0.9',
            type: 'NodePort',
            ports: [
              { name: 'http', port: 80, nodePort: 30080 },
              { name: 'dns', port: 53, protocol: 'UDP' },
            ],
          },
        },
        {
          metadata: { name: 'hl', namespace: 'a' },
          spec: { clusterIP: 'None', ports: [{ port: 80 }] },
        },
        {
          metadata: { name: 'kubernetes', namespace: 'default' },
          spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] },
        },
      ],
      (ns, n) =>
        ns === 'a' && n === 'web'
          ? {
              subsets: [
                {
                  addresses: [{ ip: '10.244.0.10' }],
                  notReadyAddresses: [{ ip: '10.244.0.11' }],
                  ports: [
                    { name: 'http', port: 8080 },
                    { name: 'dns', port: 5353, protocol: 'UDP' },
                  ],
                },
              ],
            }
          : undefined,
      { ip: '10.244.0.1', port: 6443 },
    );
    expect(rules.cluster).toEqual([
      { ip: '10.96.0.9', port: 80, protocol: 'TCP', backends: [{ ip: '10.244.0.10', port: 8080 }] },
      { ip: '10.96.0.9', port: 53, protocol: 'UDP', backends: [{ ip: '10.244.0.10', port: 5353 }] },
      { ip: '10.96.0.1', port: 443, protocol: 'TCP', backends: [{ ip: '10.244.0.1', port: 6443 }] },
    ]);
    expect(rules.nodePorts).toEqual([
      { ip: '', port: 30080, protocol: 'TCP', backends: [{ ip: '10.244.0.10', port: 8080 }] },
    ]);
  });
});

describe('probes', () => {
  it('applies thresholds and defaults', () => {
    const t = probeTiming({ periodSeconds: 2, failureThreshold: 2 });
    expect(t).toEqual({
      initialDelayMs: 0,
      periodMs: 2000,
      timeoutMs: 1000,
      successThreshold: 1,
      failureThreshold: 2,
    });
    const c = new ProbeCounter(t, true);
    expect(c.record(false)).toBeUndefined();
    expect(c.record(false)).toBe(false);
    expect(c.record(false)).toBeUndefined();
    expect(c.record(true)).toBe(true);
    const readiness = new ProbeCounter(probeTiming({ successThreshold: 2 }), false);
    expect(readiness.record(true)).toBeUndefined();
    expect(readiness.record(true)).toBe(true);
  });

  it('resolves named ports', () => {
    const c = { ports: [{ name: 'http', containerPort: 8080 }] };
    expect(resolvePort('http', c)).toBe(8080);
    expect(resolvePort(9090, c)).toBe(9090);
    expect(resolvePort('9091', c)).toBe(9091);
    expect(resolvePort('nope', c)).toBeUndefined();
  });
});

describe('pod IPs', () => {
  it('hands out addresses round-robin and derives MACs from them', () => {
    const pool = new IpPool('10.244.3');
    const a = pool.allocate();
    const b = pool.allocate();
    expect([a, b]).toEqual(['10.244.3.10', '10.244.3.11']);
    pool.release(a);
    expect(pool.allocate()).toBe('10.244.3.12');
    expect(macForIp('10.244.3.12')).toBe('02:42:0a:f4:03:0c');
  });
});
