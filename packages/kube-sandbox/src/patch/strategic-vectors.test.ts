// Three-way patch results from the strategicpatch library's own test table (patch_test.go), ported
// to check list merging, $setElementOrder, deletions and ordering against the real library.
import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch } from './strategic.ts';
import type { TypeNode } from './type-meta.ts';

const ITEM: TypeNode = {
  kind: 'struct',
  fields: { nonMergingList: { kind: 'list', listType: 'atomic' } },
};
const ROOT: TypeNode = {
  kind: 'struct',
  fields: {
    mergingList: {
      kind: 'list',
      listType: 'map',
      mapKeys: ['name'],
      patchStrategy: 'merge',
      patchMergeKey: 'name',
      elem: ITEM,
    },
    mergingIntList: {
      kind: 'list',
      listType: 'set',
      patchStrategy: 'merge',
      elem: { kind: 'scalar' },
    },
    retainKeysMap: { kind: 'struct', fields: { simpleMap: { kind: 'map' } } },
  },
};

const cases: { description: string; current: unknown; patch: unknown; result: unknown }[] = [
  {
    description: 'add field to map in merging list',
    current: {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }],
      mergingList: [{ name: 1, value: 1 }],
    },
    result: {
      mergingList: [
        { name: 1, value: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
      ],
    },
  },
  {
    description: 'add field to map in merging list with conflict',
    current: {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 3, value: 2, other: 'b' },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }],
      mergingList: [
        { name: 1, value: 1 },
        { name: 2, value: 2 },
      ],
    },
    result: {
      mergingList: [
        { name: 1, value: 1, other: 'a' },
        { name: 2, value: 2 },
        { name: 3, value: 2, other: 'b' },
      ],
    },
  },
  {
    description: 'de-duplicate field in merging list',
    current: { mergingList: [{ name: 1 }, { name: 1 }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: 1 }],
      mergingList: [{ $patch: 'delete', name: 1 }],
    },
    result: { mergingList: [] },
  },
  {
    description: 'delete map from merging list',
    current: { mergingList: [{ name: 1 }, { name: 2, other: 'b' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: 2 }],
      mergingList: [{ name: 1, $patch: 'delete' }],
    },
    result: { mergingList: [{ name: 2, other: 'b' }] },
  },
  {
    description: 'delete missing map from merging list with conflict',
    current: { mergingList: [{ name: 3, other: 'a' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: 2 }],
      mergingList: [{ name: 2 }, { name: 1, $patch: 'delete' }],
    },
    result: { mergingList: [{ name: 2 }, { name: 3, other: 'a' }] },
  },
  {
    description: 'add map and delete map from merging list',
    current: { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }],
    },
    result: { mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }] },
  },
  {
    description: 'add map and delete map from merging list with conflict',
    current: {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 4, other: 'c' },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 2 }, { name: 3 }, { name: 1, $patch: 'delete' }],
    },
    result: { mergingList: [{ name: 4, other: 'c' }, { name: 2 }, { name: 3 }] },
  },
  {
    description: 'delete field from map in merging list',
    current: {
      mergingList: [
        { name: 1, value: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }],
      mergingList: [{ name: 1, value: null }],
    },
    result: {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
      ],
    },
  },
  {
    description: 'replace non merging list nested in merging list',
    current: {
      mergingList: [
        { name: 1, other: 'a', nonMergingList: [{ name: 1 }, { name: 2, value: 2 }] },
        { name: 2, other: 'b' },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }],
      mergingList: [{ name: 1, nonMergingList: [{ name: 1, value: 1 }] }],
    },
    result: {
      mergingList: [
        { name: 1, other: 'a', nonMergingList: [{ name: 1, value: 1 }] },
        { name: 2, other: 'b' },
      ],
    },
  },
  {
    description: 'add and delete with $setElementOrder',
    current: {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
        { name: 3, value: 3 },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [{ name: 4 }, { name: 2 }, { name: 1 }],
      mergingList: [
        { name: 4, value: 4 },
        { name: 3, $patch: 'delete' },
      ],
    },
    result: {
      mergingList: [
        { name: 4, value: 4 },
        { name: 2, value: 2, other: 'b' },
        { name: 1, other: 'a' },
      ],
    },
  },
  {
    description: 'set elements order in a list with server-only items 3',
    current: {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 2, value: 2 },
        { name: 7 },
        { name: 9 },
        { name: 8 },
        { name: 3, value: 3 },
        { name: 4, value: 4 },
      ],
    },
    patch: { '$setElementOrder/mergingList': [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }] },
    result: {
      mergingList: [
        { name: 2, value: 2 },
        { name: 1, other: 'a' },
        { name: 7 },
        { name: 9 },
        { name: 8 },
        { name: 4, value: 4 },
        { name: 3, value: 3 },
      ],
    },
  },
  {
    description: 'behavior of set element order for a merging list with duplicate',
    current: {
      mergingList: [
        { name: 1 },
        { name: 2, value: 'dup1' },
        { name: 3 },
        { name: 2, value: 'dup2' },
        { name: 4 },
      ],
    },
    patch: {
      '$setElementOrder/mergingList': [
        { name: 2 },
        { name: 1 },
        { name: 4 },
        { name: 3 },
        { name: 2 },
      ],
    },
    result: {
      mergingList: [
        { name: 2, value: 'dup1' },
        { name: 2, value: 'dup2' },
        { name: 1 },
        { name: 4 },
        { name: 3 },
      ],
    },
  },
  {
    description: 'add multiple items in a int list and preserve order',
    current: { mergingIntList: [1, 2] },
    patch: { '$setElementOrder/mergingIntList': [1, 4, 2, 3], mergingIntList: [4, 3] },
    result: { mergingIntList: [1, 4, 2, 3] },
  },
  {
    description: 'add and delete an item in a int list and preserve order',
    current: { mergingIntList: [1, 2, 3] },
    patch: {
      '$setElementOrder/mergingIntList': [4, 2, 1],
      mergingIntList: [4],
      '$deleteFromPrimitiveList/mergingIntList': [3],
    },
    result: { mergingIntList: [4, 2, 1] },
  },
  {
    description: 'set elements order in a int list with server-only items 2',
    current: { mergingIntList: [1, 2, 9, 3, 4] },
    patch: { '$setElementOrder/mergingIntList': [2, 1, 4, 3] },
    result: { mergingIntList: [2, 1, 9, 4, 3] },
  },
  {
    description: 'retainKeys map should clear defaulted field with conflict (discriminated union)',
    current: { retainKeysMap: { name: 'type1', value: 'foo' } },
    patch: { retainKeysMap: { $retainKeys: ['name', 'other'], name: 'type2', other: 'bar' } },
    result: { retainKeysMap: { name: 'type2', other: 'bar' } },
  },
  {
    description: 'retainKeys map deletes a field and clears a field',
    current: { retainKeysMap: { name: 'foo', value: 'bar', other: 'a' } },
    patch: { retainKeysMap: { $retainKeys: ['name'], value: null } },
    result: { retainKeysMap: { name: 'foo' } },
  },
  {
    description: 'retainKeys map adds a field in a nested map',
    current: { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key3: 'c' } } },
    patch: {
      retainKeysMap: { $retainKeys: ['name', 'simpleMap', 'value'], simpleMap: { key2: 'b' } },
    },
    result: {
      retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key3: 'c', key2: 'b' } },
    },
  },
];

describe('strategic merge patch: the library test table', () => {
  for (const c of cases) {
    it(c.description, () => {
      expect(applyStrategicMergePatch(c.current, c.patch, ROOT)).toStrictEqual(c.result);
    });
  }
});
