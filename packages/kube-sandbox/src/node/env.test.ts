import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/types.ts';
import {
  buildEnv,
  commandLine,
  ContainerConfigError,
  expandVars,
  parseQuantity,
  serviceLinkEnv,
  type EnvSources,
} from './env.ts';
import type { ImageSpec } from './images.ts';

const image: ImageSpec = {
  entrypoint: ['/bin/app'],
  cmd: ['--default'],
  files: {},
  env: { IMAGE_VAR: 'img' },
};
const pod: KubeObject = {
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u1',
    labels: { a: 'b' },
    annotations: { note: 'x' },
  },
  spec: {
    nodeName: 'n1',
    serviceAccountName: 'sa',
    containers: [{ name: 'c', resources: { limits: { cpu: '500m', memory: '128Mi' } } }],
  },
};
const sources: EnvSources = {
  configMap: (_ns, name) => (name === 'cm' ? { data: { k: 'v', other: 'o' } } : undefined),
  secret: (_ns, name) =>
    name === 's' ? { data: { pw: Buffer.from('secret').toString('base64') } } : undefined,
  podIP: '10.244.0.10',
  hostIP: '10.244.0.1',
  services: [
    {
      metadata: { name: 'kubernetes', namespace: 'default' },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] },
    },
    {
      metadata: { name: 'my-svc', namespace: 'ns' },
      spec: { clusterIP: '10.96.0.7', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    },
    {
      metadata: { name: 'headless', namespace: 'ns' },
      spec: { clusterIP: 'None', ports: [{ port: 80 }] },
    },
  ],
  nodeAllocatable: { cpu: 2, memory: 1024 },
};

describe('expandVars', () => {
  const lookup = (n: string) => ({ A: 'x', B: 'y' })[n];
  it('expands, escapes and leaves unknown references alone', () => {
    expect(expandVars('$(A)-$(B)', lookup)).toBe('x-y');
    expect(expandVars('$$(A)', lookup)).toBe('$(A)');
    expect(expandVars('$(C)', lookup)).toBe('$(C)');
    expect(expandVars('$A $(A', lookup)).toBe('$A $(A');
    expect(expandVars('cost $5', lookup)).toBe('cost $5');
  });
});

describe('parseQuantity', () => {
  it('parses decimal and binary suffixes', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Gi')).toBe(1024 ** 3);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(() => parseQuantity('abc')).toThrow(ContainerConfigError);
  });
});

describe('buildEnv', () => {
  it('orders image env, service links, envFrom, env and resolves valueFrom', () => {
    const env = buildEnv(
      pod,
      {
        name: 'c',
        resources: { limits: { cpu: '500m', memory: '128Mi' } },
        envFrom: [{ prefix: 'P_', configMapRef: { name: 'cm' } }, { secretRef: { name: 's' } }],
        env: [
          { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
          { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['a']" } } },
          { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          {
            name: 'CPU',
            valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } },
          },
          {
            name: 'MEM',
            valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
          },
          { name: 'REF', value: '$(FROM_CM)/$(P_other)' },
          {
            name: 'OPT',
            valueFrom: { secretKeyRef: { name: 'missing', key: 'x', optional: true } },
          },
        ],
      },
      image,
      sources,
    );
    expect(env.get('IMAGE_VAR')).toBe('img');
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
    expect(env.get('MY_SVC_SERVICE_HOST')).toBe('10.96.0.7');
    expect(env.get('MY_SVC_PORT_80_TCP_ADDR')).toBe('10.96.0.7');
    expect(env.has('HEADLESS_SERVICE_HOST')).toBe(false);
    expect(env.get('P_k')).toBe('v');
    expect(env.get('pw')).toBe('secret');
    expect(env.get('FROM_CM')).toBe('v');
    expect(env.get('LABEL')).toBe('b');
    expect(env.get('NOTE')).toBe('x');
    expect(env.get('IP')).toBe('10.244.0.10');
    expect(env.get('SA')).toBe('sa');
    expect(env.get('CPU')).toBe('500');
    expect(env.get('MEM')).toBe('128');
    expect(env.get('REF')).toBe('v/o');
    expect(env.has('OPT')).toBe(false);
  });

  it('keeps only the kubernetes service links when enableServiceLinks is false', () => {
    const env = buildEnv(
      { ...pod, spec: { ...(pod.spec as object), enableServiceLinks: false } },
      { name: 'c' },
      image,
      sources,
    );
    expect(env.get('KUBERNETES_SERVICE_PORT')).toBe('443');
    expect(env.has('MY_SVC_SERVICE_HOST')).toBe(false);
  });

  it('fails with the kubelet message for a missing non-optional source', () => {
    expect(() =>
      buildEnv(
        pod,
        {
          name: 'c',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }],
        },
        image,
        sources,
      ),
    ).toThrow('configmap "nope" not found');
    expect(() =>
      buildEnv(
        pod,
        {
          name: 'c',
          env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'nokey' } } }],
        },
        image,
        sources,
      ),
    ).toThrow("couldn't find key nokey in Secret ns/s");
  });
});

describe('commandLine', () => {
  const env = new Map([['X', 'val']]);
  it('follows command/args over ENTRYPOINT/CMD', () => {
    expect(commandLine({}, image, env)).toEqual(['/bin/app', '--default']);
    expect(commandLine({ args: ['--x=$(X)'] }, image, env)).toEqual(['/bin/app', '--x=val']);
    expect(commandLine({ command: ['run'] }, image, env)).toEqual(['run']);
    expect(commandLine({ command: ['run', '$(X)'], args: ['a'] }, image, env)).toEqual([
      'run',
      'val',
      'a',
    ]);
  });
});

describe('serviceLinkEnv', () => {
  it('names variables like docker links', () => {
    const vars = Object.fromEntries(
      serviceLinkEnv([
        {
          metadata: { name: 'redis-master' },
          spec: { clusterIP: '10.96.1.1', ports: [{ port: 6379 }] },
        },
      ]),
    );
    expect(vars).toMatchObject({
      REDIS_MASTER_SERVICE_HOST: '10.96.1.1',
      REDIS_MASTER_SERVICE_PORT: '6379',
      REDIS_MASTER_PORT: 'tcp://10.96.1.1:6379',
      REDIS_MASTER_PORT_6379_TCP_PROTO: 'tcp',
    });
  });
});
