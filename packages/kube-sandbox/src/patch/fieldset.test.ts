import { describe, expect, it } from 'vitest';
import {
  difference,
  fieldsV1ToSet,
  insertPath,
  intersection,
  keyElement,
  memberPaths,
  newSet,
  pathToString,
  setToFieldsV1,
  union,
  valueElement,
} from './fieldset.ts';

const fieldsV1 = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:finalizers': { 'v:"a"': {} } },
  'f:spec': {
    'f:containers': {
      'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} },
    },
  },
};

describe('FieldsV1 sets', () => {
  it('round-trips FieldsV1, members with children carrying "."', () => {
    const set = fieldsV1ToSet(fieldsV1);
    expect(setToFieldsV1(set)).toEqual(fieldsV1);
    expect(memberPaths(set).map(pathToString)).toEqual([
      '.metadata.finalizers[="a"]',
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.containers[name="app"]',
      '.spec.containers[name="app"].image',
      '.spec.containers[name="app"].name',
    ]);
  });

  it('prints list-map keys sorted, and Go-escapes < > &', () => {
    expect(keyElement({ protocol: 'TCP', containerPort: 80 })).toBe(
      'k:{"containerPort":80,"protocol":"TCP"}',
    );
    expect(pathToString(['f:spec', 'f:ports', keyElement({ port: 80, protocol: 'TCP' })])).toBe(
      '.spec.ports[port=80,protocol="TCP"]',
    );
    expect(valueElement('a<b')).toBe('v:"a\\u003cb"');
  });

  it('computes union, difference and intersection by membership', () => {
    const a = newSet();
    insertPath(a, ['f:spec', 'f:replicas']);
    insertPath(a, ['f:spec', 'f:paused']);
    const b = newSet();
    insertPath(b, ['f:spec', 'f:replicas']);
    insertPath(b, ['f:spec', 'f:minReadySeconds']);
    expect(memberPaths(union(a, b)).map(pathToString)).toEqual([
      '.spec.minReadySeconds',
      '.spec.paused',
      '.spec.replicas',
    ]);
    expect(memberPaths(difference(a, b)).map(pathToString)).toEqual(['.spec.paused']);
    expect(memberPaths(intersection(a, b)).map(pathToString)).toEqual(['.spec.replicas']);
    expect(setToFieldsV1(a)).toEqual({ 'f:spec': { 'f:replicas': {}, 'f:paused': {} } });
  });

  it('reads malformed FieldsV1 leniently', () => {
    expect(setToFieldsV1(fieldsV1ToSet({ 'f:a': 5, 'f:b': null }))).toEqual({
      'f:a': {},
      'f:b': {},
    });
    expect(setToFieldsV1(fieldsV1ToSet('nope'))).toEqual({});
  });
});
