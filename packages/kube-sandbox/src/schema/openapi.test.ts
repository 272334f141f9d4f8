import { describe, expect, it } from 'vitest';
import type { ServedResource } from '../core/contracts.ts';
import type { ResourceInfo } from '../core/types.ts';
import { openApiV2, openApiV3GroupVersion, openApiV3Index } from './openapi.ts';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function info(
  partial: Partial<ResourceInfo> & Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'kind'>,
): ResourceInfo {
  return {
    singular: partial.kind.toLowerCase(),
    listKind: `${partial.kind}List`,
    namespaced: true,
    verbs: VERBS,
    subresources: [],
    ...partial,
  };
}

const etcdSchema = {
  type: 'object',
  description: 'EtcdCluster runs an etcd cluster.',
  properties: {
    spec: {
      type: 'object',
      description: 'Desired state of the cluster.',
      properties: {
        size: { type: 'integer', description: 'Number of members.', nullable: true },
        version: { type: 'string', anyOf: [{ pattern: '^3' }] },
      },
      'x-kubernetes-validations': [{ rule: 'self.size % 2 == 1' }],
    },
    status: { type: 'object', properties: { readyMembers: { type: 'integer' } } },
  },
};

const served: ServedResource[] = [
  {
    info: info({
      group: '',
      version: 'v1',
      resource: 'pods',
      kind: 'Pod',
      subresources: ['status', 'log'],
    }),
  },
  {
    info: info({
      group: '',
      version: 'v1',
      resource: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
    }),
  },
  {
    info: info({
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      kind: 'Deployment',
      subresources: ['status', 'scale'],
    }),
  },
  {
    info: info({
      group: 'etcd.opsmith.io',
      version: 'v1alpha1',
      resource: 'etcdclusters',
      kind: 'EtcdCluster',
      custom: true,
      subresources: ['status', 'scale'],
    }),
    schema: etcdSchema,
  },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenAPI documents are inspected as loose JSON
type Doc = Record<string, any>;

describe('openApiV3Index', () => {
  it('lists every served group-version with a hashed serverRelativeURL', () => {
    const index = openApiV3Index(served) as Doc;
    expect(Object.keys(index['paths']).sort()).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/etcd.opsmith.io/v1alpha1',
    ]);
    expect(index['paths']['apis/etcd.opsmith.io/v1alpha1'].serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/etcd\.opsmith\.io\/v1alpha1\?hash=[0-9A-F]{128}$/,
    );
  });

  it('changes the hash when a schema changes', () => {
    const before = (openApiV3Index(served) as Doc)['paths']['apis/etcd.opsmith.io/v1alpha1']
      .serverRelativeURL;
    const changed = served.map((s) =>
      s.info.custom ? { ...s, schema: { ...etcdSchema, description: 'changed' } } : s,
    );
    const after = (openApiV3Index(changed) as Doc)['paths']['apis/etcd.opsmith.io/v1alpha1']
      .serverRelativeURL;
    expect(after).not.toBe(before);
  });
});

describe('openApiV3GroupVersion', () => {
  const doc = openApiV3GroupVersion(served, 'etcd.opsmith.io', 'v1alpha1') as Doc;

  it('is undefined for group-versions that are not served', () => {
    expect(openApiV3GroupVersion(served, 'nope.io', 'v1')).toBeUndefined();
  });

  it('publishes the CRD schema with descriptions, GVK and ObjectMeta', () => {
    expect(doc['openapi']).toBe('3.0.0');
    const kind = doc['components']['schemas']['io.opsmith.etcd.v1alpha1.EtcdCluster'];
    expect(kind['x-kubernetes-group-version-kind']).toEqual([
      { group: 'etcd.opsmith.io', kind: 'EtcdCluster', version: 'v1alpha1' },
    ]);
    expect(kind.description).toBe('EtcdCluster runs an etcd cluster.');
    expect(kind.properties.spec.properties.size.description).toBe('Number of members.');
    expect(kind.properties.metadata.allOf).toEqual([
      { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    ]);
    expect(
      doc['components']['schemas']['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
    ).toBeDefined();
    const list = doc['components']['schemas']['io.opsmith.etcd.v1alpha1.EtcdClusterList'];
    expect(list.properties.items.items).toEqual({
      $ref: '#/components/schemas/io.opsmith.etcd.v1alpha1.EtcdCluster',
    });
  });

  it('has namespaced and cluster-wide paths with GVK-tagged operations', () => {
    const paths = doc['paths'];
    const item = '/apis/etcd.opsmith.io/v1alpha1/namespaces/{namespace}/etcdclusters/{name}';
    expect(Object.keys(paths).sort()).toEqual([
      '/apis/etcd.opsmith.io/v1alpha1/etcdclusters',
      '/apis/etcd.opsmith.io/v1alpha1/namespaces/{namespace}/etcdclusters',
      item,
      `${item}/scale`,
      `${item}/status`,
    ]);
    expect(paths[item].patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'etcd.opsmith.io',
      version: 'v1alpha1',
      kind: 'EtcdCluster',
    });
    expect(paths[`${item}/scale`].patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
  });

  it('offers fieldValidation on every POST, PUT and PATCH (server-side field validation detection)', () => {
    for (const d of [doc, openApiV3GroupVersion(served, '', 'v1') as Doc]) {
      for (const ops of Object.values<Doc>(d['paths'])) {
        for (const method of ['post', 'put', 'patch']) {
          if (!ops[method]) continue;
          const names = ops[method].parameters
            .filter((p: Doc) => p.in === 'query')
            .map((p: Doc) => p.name);
          expect(names).toContain('fieldValidation');
        }
      }
    }
  });

  it('accepts json, merge and apply patches, never strategic merge in v3', () => {
    const item = '/apis/etcd.opsmith.io/v1alpha1/namespaces/{namespace}/etcdclusters/{name}';
    expect(Object.keys(doc['paths'][item].patch.requestBody.content)).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    const core = openApiV3GroupVersion(served, '', 'v1') as Doc;
    expect(
      Object.keys(
        core['paths']['/api/v1/namespaces/{namespace}/pods/{name}'].patch.requestBody.content,
      ),
    ).not.toContain('application/strategic-merge-patch+json');
  });

  it('gives built-in kinds a GVK-tagged schema with the pod template patch strategies', () => {
    const apps = openApiV3GroupVersion(served, 'apps', 'v1') as Doc;
    const schemas = apps['components']['schemas'];
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    expect(deployment.properties.spec.properties.template.$ref).toBe(
      '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec',
    );
    const podSpec = schemas['io.k8s.api.core.v1.PodSpec'];
    expect(podSpec.properties.containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(podSpec.properties.containers['x-kubernetes-patch-strategy']).toBe('merge');
    expect(podSpec.properties.volumes['x-kubernetes-patch-merge-key']).toBe('name');
    const container = schemas['io.k8s.api.core.v1.Container'];
    expect(container.properties.env['x-kubernetes-patch-merge-key']).toBe('name');
    expect(container.properties.ports['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(container.properties.volumeMounts['x-kubernetes-patch-merge-key']).toBe('mountPath');
  });

  it('uses cluster-scoped paths for cluster-scoped kinds', () => {
    const core = openApiV3GroupVersion(served, '', 'v1') as Doc;
    expect(
      core['paths']['/api/v1/namespaces/{name}'].get['x-kubernetes-group-version-kind'],
    ).toEqual({
      group: '',
      version: 'v1',
      kind: 'Namespace',
    });
  });
});

describe('openApiV2', () => {
  const doc = openApiV2(served) as Doc;

  it('is a swagger 2.0 document with definitions for every served kind', () => {
    expect(doc['swagger']).toBe('2.0');
    const defs = doc['definitions'];
    for (const name of [
      'io.k8s.api.core.v1.Pod',
      'io.k8s.api.core.v1.Namespace',
      'io.k8s.api.apps.v1.Deployment',
      'io.opsmith.etcd.v1alpha1.EtcdCluster',
      'io.opsmith.etcd.v1alpha1.EtcdClusterList',
    ]) {
      expect(defs[name]?.['x-kubernetes-group-version-kind']).toHaveLength(1);
    }
  });

  it('drops what swagger 2.0 cannot express from CRD schemas', () => {
    const kind = doc['definitions']['io.opsmith.etcd.v1alpha1.EtcdCluster'];
    expect(kind.properties.metadata.$ref).toBe(
      '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    );
    expect(kind.properties.spec['x-kubernetes-validations']).toBeUndefined();
    expect(kind.properties.spec.properties.size.nullable).toBeUndefined();
    expect(kind.properties.spec.properties.version.anyOf).toBeUndefined();
    expect(kind.properties.spec.properties.size.description).toBe('Number of members.');
  });

  it('declares patch content types: strategic merge for built-in kinds only', () => {
    const pod = doc['paths']['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    expect(pod.consumes).toContain('application/strategic-merge-patch+json');
    const etcd =
      doc['paths']['/apis/etcd.opsmith.io/v1alpha1/namespaces/{namespace}/etcdclusters/{name}']
        .patch;
    expect(etcd.consumes).not.toContain('application/strategic-merge-patch+json');
    expect(etcd.parameters.map((p: Doc) => p.name)).toContain('fieldValidation');
  });
});
