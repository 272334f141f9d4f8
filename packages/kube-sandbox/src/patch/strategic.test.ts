import { describe, expect, it } from 'vitest';
import type { TypeInfo } from '../core/contracts.ts';
import { StatusError } from '../core/errors.ts';
import { applyStrategicMergePatch } from './strategic.ts';
import { typeNodeFor } from './type-meta.ts';

const builtin = (group: string, kind: string): TypeInfo => ({
  source: 'builtin',
  group,
  version: 'v1',
  kind,
});
const POD = typeNodeFor(builtin('', 'Pod'));
const DEPLOYMENT = typeNodeFor(builtin('apps', 'Deployment'));
const smp = (doc: unknown, patch: unknown, node = POD) =>
  applyStrategicMergePatch(doc, patch, node);

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web' }, finalizers: ['a', 'b'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
      { name: 'side', image: 'side:1' },
    ],
    volumes: [
      { name: 'data', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c' } },
    ],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'Initialized', status: 'True' },
    ],
  },
});

type PodShape = ReturnType<typeof pod>;

describe('strategic merge patch: merge keys', () => {
  it('merges containers by name and env by name, leaving the rest alone', () => {
    const out = smp(pod(), {
      spec: {
        containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: 'two' }] }],
      },
    }) as PodShape;
    const app = out.spec.containers[0];
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app', 'side']);
    expect(app.image).toBe('app:2');
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
    ]);
    expect(app.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
  });

  it('puts new items first in patch order, as the Go library does', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'new', image: 'n' }] } }) as PodShape;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['new', 'app', 'side']);
  });

  it('merges ports by containerPort and volumeMounts by mountPath', () => {
    const out = smp(pod(), {
      spec: {
        containers: [
          {
            name: 'app',
            ports: [{ containerPort: 80, name: 'http' }, { containerPort: 9090 }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
      },
    }) as PodShape;
    const app = out.spec.containers[0];
    expect(app.ports).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'http' },
      { containerPort: 9090 },
    ]);
    expect(app.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }]);
  });

  it('merges volumes by name and conditions by type', () => {
    const out = smp(pod(), {
      spec: { volumes: [{ name: 'extra', emptyDir: {} }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    }) as PodShape;
    expect(out.spec.volumes.map((v) => v.name)).toEqual(['extra', 'data', 'cfg']);
    expect(out.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('replaces lists without a merge strategy (tolerations)', () => {
    const out = smp(pod(), {
      spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] },
    }) as PodShape;
    expect(out.spec.tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);
  });

  it('merges finalizers as a set and deletes map keys with null', () => {
    const out = smp(pod(), {
      metadata: { finalizers: ['b', 'c'], labels: { app: null, x: 'y' } },
    }) as PodShape;
    expect(out.metadata.finalizers).toEqual(['a', 'b', 'c']);
    expect(out.metadata.labels).toEqual({ x: 'y' });
  });

  it('merges containers of a Deployment template', () => {
    const dep = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: '1' },
              { name: 'b', image: '1' },
            ],
          },
        },
      },
    };
    const out = smp(
      dep,
      { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } },
      DEPLOYMENT,
    ) as typeof dep;
    expect(out.spec.template.spec.containers).toEqual([
      { name: 'a', image: '1' },
      { name: 'b', image: '2' },
    ]);
  });

  it('does not modify its inputs', () => {
    const doc = pod();
    const patch = { spec: { containers: [{ name: 'app', image: 'z' }] } };
    smp(doc, patch);
    expect(doc).toEqual(pod());
    expect(patch).toEqual({ spec: { containers: [{ name: 'app', image: 'z' }] } });
  });
});

describe('strategic merge patch: directives', () => {
  it('$patch: delete removes a list item by merge key', () => {
    const out = smp(pod(), {
      spec: { containers: [{ name: 'side', $patch: 'delete' }] },
      status: { conditions: [{ type: 'Ready', $patch: 'delete' }] },
    }) as PodShape;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(out.status.conditions).toEqual([{ type: 'Initialized', status: 'True' }]);
  });

  it('$patch: replace in a list replaces the whole list', () => {
    const out = smp(pod(), {
      spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] },
    }) as PodShape;
    expect(out.spec.containers).toEqual([{ name: 'only', image: 'o' }]);
  });

  it('$patch: replace in a map replaces the map; $patch: delete empties it', () => {
    const out = smp(pod(), {
      metadata: { labels: { only: 'me', $patch: 'replace' } },
      spec: { containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }] },
    }) as PodShape;
    expect(out.metadata.labels).toEqual({ only: 'me' });
    expect(out.spec.containers[0].env).toEqual([{ name: 'B', value: '2' }]);
    const deleted = smp(pod(), { metadata: { labels: { $patch: 'delete' } } }) as PodShape;
    expect(deleted.metadata.labels).toEqual({});
  });

  it('$deleteFromPrimitiveList removes scalars from a merged list', () => {
    const out = smp(pod(), {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    }) as PodShape;
    expect(out.metadata.finalizers).toEqual(['b']);
  });

  it('$setElementOrder orders the merged list', () => {
    const out = smp(pod(), {
      spec: {
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }],
        containers: [{ name: 'side', image: 'side:2' }],
      },
    }) as PodShape;
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['side', 'side:2'],
      ['app', 'app:1'],
    ]);
  });

  it('$setElementOrder and $deleteFromPrimitiveList on finalizers, as kubectl sends them', () => {
    const out = smp(pod(), {
      metadata: {
        '$setElementOrder/finalizers': ['c', 'b'],
        '$deleteFromPrimitiveList/finalizers': ['a'],
        finalizers: ['c'],
      },
    }) as PodShape;
    expect(out.metadata.finalizers).toEqual(['c', 'b']);
  });

  it('$setElementOrder with kubectl-style deletions and new items', () => {
    const out = smp(pod(), {
      spec: {
        '$setElementOrder/volumes': [{ name: 'cfg' }, { name: 'new' }],
        volumes: [
          { name: 'new', emptyDir: {} },
          { name: 'data', $patch: 'delete' },
        ],
      },
    }) as PodShape;
    expect(out.spec.volumes.map((v) => v.name)).toEqual(['cfg', 'new']);
  });

  it('$retainKeys clears fields of a volume source that the patch switches', () => {
    const out = smp(pod(), {
      spec: {
        volumes: [{ name: 'cfg', secret: { secretName: 's' }, $retainKeys: ['name', 'secret'] }],
      },
    }) as PodShape;
    expect(out.spec.volumes[1]).toEqual({ name: 'cfg', secret: { secretName: 's' } });
  });

  it('$retainKeys on a Deployment strategy', () => {
    const dep = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const out = smp(
      dep,
      { spec: { strategy: { type: 'Recreate', $retainKeys: ['type'] } } },
      DEPLOYMENT,
    );
    expect(out).toEqual({ spec: { strategy: { type: 'Recreate' } } });
  });

  it('rejects a $retainKeys list that misses a patched field with 400', () => {
    try {
      smp({ spec: {} }, { spec: { strategy: { type: 'Recreate', $retainKeys: [] } } }, DEPLOYMENT);
      expect.unreachable();
    } catch (err) {
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe('invalid patch format of retainKeys');
    }
  });

  it('fails on a list item without its merge key like the API server (500, no reason)', () => {
    try {
      smp(pod(), { spec: { containers: [{ image: 'x' }] } });
      expect.unreachable();
    } catch (err) {
      expect((err as StatusError).code).toBe(500);
      expect((err as StatusError).toStatus().reason).toBe('');
      expect((err as StatusError).message).toBe(
        'map: map[image:x] does not contain declared merge key: name',
      );
    }
  });

  it('drops directives and nulls inside values the live object lacks', () => {
    const out = smp(
      { metadata: { name: 'p' } },
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'a' }],
          containers: [{ name: 'a', image: 'i', args: null }],
        },
      },
    ) as { spec: unknown };
    expect(out.spec).toEqual({ containers: [{ name: 'a', image: 'i' }] });
  });
});

describe('strategic merge patch: other built-in kinds', () => {
  it('merges Service ports by port, Node addresses by type, ownerReferences by uid', () => {
    const svc = smp(
      { spec: { ports: [{ port: 80, name: 'http' }], selector: { app: 'a' } } },
      {
        spec: {
          ports: [
            { port: 443, name: 'https' },
            { port: 80, targetPort: 8080 },
          ],
        },
      },
      typeNodeFor(builtin('', 'Service')),
    );
    expect(svc).toEqual({
      spec: {
        ports: [
          { port: 443, name: 'https' },
          { port: 80, name: 'http', targetPort: 8080 },
        ],
        selector: { app: 'a' },
      },
    });
    const node = smp(
      {
        status: {
          addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
          conditions: [{ type: 'Ready', status: 'False' }],
        },
      },
      {
        status: {
          addresses: [{ type: 'Hostname', address: 'n1' }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      },
      typeNodeFor(builtin('', 'Node')),
    );
    expect(node).toEqual({
      status: {
        addresses: [
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '10.0.0.1' },
        ],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
    const owned = smp(
      { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', kind: 'X', apiVersion: 'v1' }] } },
      { metadata: { ownerReferences: [{ uid: 'u1', blockOwnerDeletion: true }] } },
      POD,
    );
    expect(owned).toEqual({
      metadata: {
        ownerReferences: [
          { uid: 'u1', name: 'a', kind: 'X', apiVersion: 'v1', blockOwnerDeletion: true },
        ],
      },
    });
  });

  it('replaces Node taints and Endpoints subsets (atomic lists)', () => {
    const node = smp(
      { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } },
      { spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } },
      typeNodeFor(builtin('', 'Node')),
    );
    expect(node).toEqual({ spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } });
    const ep = smp(
      { subsets: [{ addresses: [{ ip: '1.1.1.1' }] }] },
      { subsets: [{ addresses: [{ ip: '2.2.2.2' }] }] },
      typeNodeFor(builtin('', 'Endpoints')),
    );
    expect(ep).toEqual({ subsets: [{ addresses: [{ ip: '2.2.2.2' }] }] });
  });
});

describe('strategic merge patch: unknown kinds', () => {
  it('merges objects and replaces lists', () => {
    const node = typeNodeFor(builtin('example.com', 'Widget'));
    const out = smp(
      { spec: { items: [{ name: 'a' }, { name: 'b' }], size: 1, keep: true } },
      { spec: { items: [{ name: 'c' }], size: 2 } },
      node,
    );
    expect(out).toEqual({ spec: { items: [{ name: 'c' }], size: 2, keep: true } });
  });
});
