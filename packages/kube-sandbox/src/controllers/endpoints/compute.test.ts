import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/types.ts';
import { pod } from '../testing/builders.ts';
import {
  desiredEndpoints,
  desiredSlices,
  managesEndpoints,
  resolveTargetPort,
  sliceLabels,
} from './compute.ts';

function svc(over: Record<string, unknown> = {}, name = 'web'): KubeObject {
  return {
    metadata: { name, namespace: 'ns', uid: 'svc-uid', labels: { tier: 'front' } },
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      ...over,
    },
  };
}

const withPort = (p: KubeObject, name: string, containerPort: number) => {
  (p.spec as Record<string, unknown>).containers = [
    { name: 'c', image: 'x', ports: [{ name, containerPort }] },
  ];
  return p;
};

describe('resolveTargetPort', () => {
  it('resolves numbers, numeric strings and names per pod', () => {
    const p = withPort(pod(), 'http', 8080);
    expect(resolveTargetPort({ port: 80, targetPort: 9090 }, p)).toBe(9090);
    expect(resolveTargetPort({ port: 80 }, p)).toBe(80);
    expect(resolveTargetPort({ port: 80, targetPort: 'http' }, p)).toBe(8080);
    expect(resolveTargetPort({ port: 80, targetPort: 'grpc' }, p)).toBeUndefined();
    expect(resolveTargetPort({ port: 80, targetPort: 'http', protocol: 'UDP' }, p)).toBeUndefined();
  });
});

describe('desiredEndpoints', () => {
  it('splits ready and not-ready addresses, resolves named ports, sets targetRef', () => {
    const ready = withPort(pod({ ready: true, ip: '10.0.0.2', nodeName: 'node' }), 'http', 8080);
    const notReady = withPort(pod({ ready: false, ip: '10.0.0.1' }), 'http', 8080);
    const noIp = withPort(pod({ ready: false }), 'http', 8080);
    const other = withPort(
      pod({ ready: true, ip: '10.0.0.3', labels: { app: 'db' } }),
      'http',
      8080,
    );
    const ep = desiredEndpoints(svc(), [ready, notReady, noIp, other]);
    expect(ep.metadata).toEqual({ name: 'web', namespace: 'ns', labels: { tier: 'front' } });
    expect(ep.subsets).toEqual([
      {
        addresses: [
          {
            ip: '10.0.0.2',
            nodeName: 'node',
            targetRef: {
              kind: 'Pod',
              namespace: 'ns',
              name: ready.metadata?.name,
              uid: ready.metadata?.uid,
            },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.1',
            targetRef: {
              kind: 'Pod',
              namespace: 'ns',
              name: notReady.metadata?.name,
              uid: notReady.metadata?.uid,
            },
          },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('groups pods whose named port resolves differently into separate subsets', () => {
    const a = withPort(pod({ ready: true, ip: '10.0.0.1' }), 'http', 8080);
    const b = withPort(pod({ ready: true, ip: '10.0.0.2' }), 'http', 9090);
    const ep = desiredEndpoints(svc(), [a, b]);
    expect((ep.subsets as unknown[]).length).toBe(2);
  });

  it('publishes not-ready pods as ready with publishNotReadyAddresses, with hostnames for the subdomain', () => {
    const p = withPort(
      pod({ ready: false, ip: '10.0.0.5', spec: { hostname: 'db-0', subdomain: 'web' } }),
      'http',
      8080,
    );
    const ep = desiredEndpoints(svc({ clusterIP: 'None', publishNotReadyAddresses: true }), [p]);
    expect(ep.metadata?.labels).toEqual({ tier: 'front', 'service.kubernetes.io/headless': '' });
    expect((ep.subsets as { addresses: unknown[] }[])[0]?.addresses).toEqual([
      expect.objectContaining({ ip: '10.0.0.5', hostname: 'db-0' }),
    ]);
  });

  it('leaves out terminating and finished pods', () => {
    const terminating = withPort(
      pod({ ready: true, ip: '10.0.0.1', deleting: true }),
      'http',
      8080,
    );
    const done = withPort(pod({ phase: 'Succeeded', ip: '10.0.0.2' }), 'http', 8080);
    expect(desiredEndpoints(svc(), [terminating, done]).subsets).toBeUndefined();
  });
});

describe('desiredSlices', () => {
  it('reports ready/serving/terminating per endpoint', () => {
    const ready = withPort(pod({ ready: true, ip: '10.0.0.1' }), 'http', 8080);
    const terminating = withPort(
      pod({ ready: true, ip: '10.0.0.2', deleting: true }),
      'http',
      8080,
    );
    const [slice] = desiredSlices(svc(), [ready, terminating]);
    expect(slice?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice?.endpoints.map((e) => e.conditions)).toEqual([
      { ready: true, serving: true, terminating: false },
      { ready: false, serving: true, terminating: true },
    ]);
  });

  it('keeps an empty placeholder slice for a service without endpoints and labels slices', () => {
    expect(desiredSlices(svc(), [])).toEqual([{ ports: [], endpoints: [] }]);
    expect(sliceLabels(svc())).toEqual({
      tier: 'front',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
  });
});

describe('managesEndpoints', () => {
  it('skips the kubernetes service, selector-less and ExternalName services', () => {
    expect(managesEndpoints(svc())).toBe(true);
    expect(
      managesEndpoints({
        metadata: { name: 'kubernetes', namespace: 'default' },
        spec: { selector: { a: 'b' } },
      }),
    ).toBe(false);
    expect(managesEndpoints(svc({ selector: undefined }))).toBe(false);
    expect(managesEndpoints(svc({ type: 'ExternalName' }))).toBe(false);
  });
});

describe('slice size', () => {
  it('puts at most 100 endpoints in a slice', () => {
    const pods = Array.from({ length: 250 }, (_, i) =>
      withPort(pod({ ready: true, ip: `10.1.${Math.floor(i / 200)}.${i % 200}` }), 'http', 8080),
    );
    const slices = desiredSlices(svc(), pods);
    expect(slices.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
  });
});
