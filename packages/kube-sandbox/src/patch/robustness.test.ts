// Random and mutated inputs never make the engine throw anything but a StatusError.
import { describe, expect, it } from 'vitest';
import type { TypeInfo } from '../core/contracts.ts';
import { StatusError } from '../core/errors.ts';
import type { KubeObject } from '../core/types.ts';
import { createPatchEngine } from './index.ts';

/** mulberry32: a small seeded PRNG so failures reproduce. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'name',
  'image',
  'spec',
  'containers',
  'env',
  'ports',
  'containerPort',
  'protocol',
  'metadata',
  'labels',
  'finalizers',
  'type',
  'status',
  'conditions',
  'volumes',
  '$patch',
  '$retainKeys',
  '$setElementOrder/containers',
  '$deleteFromPrimitiveList/finalizers',
  'value',
  'op',
  'path',
  'from',
  'replicas',
  'members',
  'zone',
];
const STRINGS = [
  'a',
  'b',
  'replace',
  'delete',
  'merge',
  '/spec/replicas',
  '/metadata/labels/a',
  '/spec/containers/0',
  '/spec/containers/-',
  '',
  'TCP',
  'add',
  'remove',
  'test',
  'copy',
  'move',
];

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth <= 0 || r < 0.3) {
    const s = rand();
    if (s < 0.2) return null;
    if (s < 0.4) return Math.floor(rand() * 100);
    if (s < 0.5) return rand() < 0.5;
    return STRINGS[Math.floor(rand() * STRINGS.length)];
  }
  if (r < 0.6) {
    return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth - 1));
  }
  const obj: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 4); i > 0; i--) {
    obj[KEYS[Math.floor(rand() * KEYS.length)]] = randomValue(rand, depth - 1);
  }
  return obj;
}

function mutate(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => (rand() < 0.3 ? mutate(v, rand) : v));
    if (rand() < 0.2) out.push(randomValue(rand, 2));
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = { ...value };
    for (const k of Object.keys(out)) if (rand() < 0.3) out[k] = mutate(out[k], rand);
    if (rand() < 0.2) out[KEYS[Math.floor(rand() * KEYS.length)]] = randomValue(rand, 2);
    return out;
  }
  return rand() < 0.5 ? randomValue(rand, 2) : value;
}

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { a: 'b' }, finalizers: ['x'] },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'a',
            image: 'i',
            env: [{ name: 'E', value: '1' }],
            ports: [{ containerPort: 80 }],
          },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
  },
  status: { conditions: [{ type: 'Available', status: 'True' }] },
});

const TYPES: TypeInfo[] = [
  { source: 'builtin', group: 'apps', version: 'v1', kind: 'Deployment' },
  { source: 'builtin', group: '', version: 'v1', kind: 'Pod' },
  {
    source: 'crd',
    group: 'example.com',
    version: 'v1',
    kind: 'Widget',
    schema: {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            members: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['zone', 'name'],
              items: {
                type: 'object',
                properties: { zone: { type: 'string' }, name: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
];

const outcomes = { ok: 0, rejected: 0 };

function onlyStatusErrors(fn: () => unknown): void {
  try {
    fn();
    outcomes.ok++;
  } catch (err) {
    if (!(err instanceof StatusError)) throw err;
    outcomes.rejected++;
  }
}

describe('robustness', () => {
  it('survives 600 random and mutated patches and applies', () => {
    const engine = createPatchEngine();
    const rand = prng(42);
    for (let i = 0; i < 600; i++) {
      const type = TYPES[i % TYPES.length];
      const base = rand() < 0.5 ? deployment() : (mutate(deployment(), rand) as KubeObject);
      const patch = rand() < 0.5 ? randomValue(rand, 4) : mutate(deployment(), rand);
      onlyStatusErrors(() =>
        engine.jsonPatch(base, rand() < 0.5 ? [patch, randomValue(rand, 2)] : patch),
      );
      onlyStatusErrors(() => engine.mergePatch(base, patch));
      onlyStatusErrors(() => engine.strategicMergePatch(base, patch, type));
      const live = rand() < 0.3 ? undefined : base;
      if (live && rand() < 0.5) {
        onlyStatusErrors(() => {
          live.metadata = {
            ...live.metadata,
            managedFields: engine.recordUpdate({
              old: undefined,
              updated: live,
              manager: 'm',
              type,
              now: 't',
            }),
          };
        });
      }
      onlyStatusErrors(() =>
        engine.apply({
          live,
          applied: (typeof patch === 'object' && patch !== null ? patch : {}) as KubeObject,
          manager: rand() < 0.5 ? 'm' : 'n',
          force: rand() < 0.5,
          type,
          now: 't',
        }),
      );
      onlyStatusErrors(() =>
        engine.recordUpdate({
          old: live,
          updated: mutate(base, rand) as KubeObject,
          manager: 'u',
          type,
          now: 't',
        }),
      );
    }
    // Both paths were exercised: plenty of inputs applied, plenty rejected with a Status.
    expect(outcomes.ok).toBeGreaterThan(500);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });
});
