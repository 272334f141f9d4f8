/* eslint-disable @typescript-eslint/no-explicit-any -- deep CRD fixtures are edited in place */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/types.ts';
import { validateCrd } from './crd-validation.ts';

function crd(overrides?: (c: Record<string, any>) => void): KubeObject {
  const c: Record<string, any> = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'etcdclusters.etcd.opsmith.io' },
    spec: {
      group: 'etcd.opsmith.io',
      scope: 'Namespaced',
      names: {
        plural: 'etcdclusters',
        singular: 'etcdcluster',
        kind: 'EtcdCluster',
        listKind: 'EtcdClusterList',
        shortNames: ['etcd'],
      },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: { size: { type: 'integer', default: 3, minimum: 1 } },
                  'x-kubernetes-validations': [
                    { rule: 'self.size % 2 == 1', message: 'size must be odd' },
                  ],
                },
                status: { type: 'object', properties: { readyMembers: { type: 'integer' } } },
              },
            },
          },
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.readyMembers' },
          },
          additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
        },
      ],
    },
  };
  overrides?.(c);
  return c as KubeObject;
}

const render = (causes: { field?: string; message: string }[]) =>
  causes.map((c) => `${c.field}: ${c.message}`);

describe('validateCrd', () => {
  it('accepts a valid CRD', () => {
    expect(validateCrd(crd())).toEqual([]);
  });

  it('requires metadata.name to be plural.group and a group with a dot', () => {
    expect(render(validateCrd(crd((c) => (c['metadata'].name = 'wrong.etcd.opsmith.io'))))).toEqual(
      [
        'metadata.name: Invalid value: "wrong.etcd.opsmith.io": must be spec.names.plural+"."+spec.group',
      ],
    );
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].group = 'local';
          c['metadata'].name = 'etcdclusters.local';
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.group: Invalid value: "local": should be a domain with at least one dot',
    ]);
  });

  it('checks names: lowercase plural/singular, kind, listKind', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].names.singular = 'EtcdCluster';
          c['spec'].names.listKind = 'EtcdCluster';
          delete c['spec'].names.kind;
        }),
      ),
    );
    expect(errs).toContain(
      `spec.names.singular: Invalid value: "EtcdCluster": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    );
    expect(errs).toContain('spec.names.kind: Required value');
  });

  it('checks scope and storage versions', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].scope = 'Global';
          c['spec'].versions.push({ ...c['spec'].versions[0], name: 'v1' });
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
      'spec.versions: Invalid value: ["v1alpha1","v1"]: must have exactly one version marked as storage version',
    ]);
    expect(render(validateCrd(crd((c) => (c['spec'].versions = []))))).toEqual([
      'spec.versions: Required value: must have exactly one version marked as storage version',
    ]);
  });

  it('checks version names', () => {
    const errs = render(validateCrd(crd((c) => (c['spec'].versions[0].name = 'V1'))));
    expect(errs[0]).toMatch(/^spec\.versions\[0\]\.name: Invalid value: "V1": a DNS-1035 label/);
  });

  it('enforces structural schemas', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          const props = c['spec'].versions[0].schema.openAPIV3Schema.properties;
          props.spec = {
            properties: {
              list: { type: 'array' },
              m: {
                type: 'object',
                properties: { a: { type: 'string' } },
                additionalProperties: { type: 'string' },
              },
            },
          };
          props.metadata = { type: 'object', properties: { labels: { type: 'object' } } };
        }),
      ),
    );
    const base = 'spec.versions[0].schema.openAPIV3Schema';
    expect(errs).toEqual([
      `${base}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
      `${base}.properties[spec].type: Required value: must not be empty for specified object fields`,
      `${base}.properties[spec].properties[list].items: Required value: must be specified`,
      `${base}.properties[spec].properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
  });

  it('allows untyped nodes with int-or-string or preserve-unknown-fields', () => {
    const errs = validateCrd(
      crd((c) => {
        c['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties.port = {
          'x-kubernetes-int-or-string': true,
        };
        // what controller-gen emits for intstr.IntOrString
        c['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties.maxUnavailable = {
          anyOf: [{ type: 'integer' }, { type: 'string' }],
          'x-kubernetes-int-or-string': true,
        };
        c['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties.raw = {
          'x-kubernetes-preserve-unknown-fields': true,
        };
      }),
    );
    expect(errs).toEqual([]);
  });

  it('forbids types, defaults and descriptions inside other junctors', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties.size.anyOf = [
            { type: 'integer', minimum: 1 },
          ];
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].anyOf[0].type: Forbidden: must be empty to be structural',
    ]);
  });

  it('requires list-map keys and validates defaults against the schema', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          const p = c['spec'].versions[0].schema.openAPIV3Schema.properties.spec.properties;
          p.size.default = 'three';
          p.storage = {
            type: 'object',
            properties: { class: { type: 'string' } },
            default: { class: 'a', extra: 1 },
          };
          p.members = { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object' } };
        }),
      ),
    );
    const base = 'spec.versions[0].schema.openAPIV3Schema.properties[spec]';
    expect(errs).toEqual([
      `${base}.properties[size].default: Invalid value: "string": spec.size in body must be of type integer: "string"`,
      `${base}.properties[storage].default: Invalid value: {"class":"a","extra":1}: must not have unknown fields: spec.storage.extra`,
      `${base}.properties[members].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    ]);
  });

  it('rejects CEL rules that do not compile', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] =
            [{ rule: 'self.size >' }];
        }),
      ),
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: "self\.size >": compilation failed: /,
    );
  });

  it('checks the shape of validation rules', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] =
            [
              { rule: '' },
              { rule: 'self.size > 0 &&\n self.size < 9' },
              { rule: 'true', message: 'two\nlines', reason: 'FieldValueWrong' },
              { rule: 'true', optionalOldSelf: true },
              { rule: 'true', fieldPath: '.nosuch' },
            ];
        }),
      ),
    );
    const base =
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations';
    expect(errs.filter((e) => !e.includes('compilation failed'))).toEqual([
      `${base}[0].rule: Required value`,
      `${base}[1].message: Required value: message must be specified if rule contains line breaks`,
      `${base}[2].message: Invalid value: "two\\nlines": message must not contain line breaks`,
      `${base}[2].reason: Unsupported value: "FieldValueWrong": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
      `${base}[3].optionalOldSelf: Forbidden: may not be set if oldSelf is not used in rule`,
      `${base}[4].fieldPath: Invalid value: ".nosuch": fieldPath must be a valid path to a field of the schema`,
    ]);
  });

  it('checks printer columns and scale paths', () => {
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].versions[0].additionalPrinterColumns = [
            { name: 'X', type: 'text', jsonPath: 'spec.size' },
          ];
          c['spec'].versions[0].subresources.scale = {
            specReplicasPath: '.status.x',
            statusReplicasPath: '.spec.y',
          };
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"',
      'spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: "spec.size": must be a simple json path starting with .',
      'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.x": should be a json path under .spec',
      'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: ".spec.y": should be a json path under .status',
    ]);
  });

  it('on update: group and scope are immutable; stored versions must stay', () => {
    const old = crd((c) => (c['status'] = { storedVersions: ['v1alpha1'] }));
    const errs = render(
      validateCrd(
        crd((c) => {
          c['spec'].scope = 'Cluster';
          c['spec'].versions[0].name = 'v1';
        }),
        old,
      ),
    );
    expect(errs).toEqual([
      'spec.scope: Invalid value: "Cluster": field is immutable',
      'status.storedVersions[0]: Invalid value: "v1alpha1": must appear in spec.versions',
    ]);
  });
});
