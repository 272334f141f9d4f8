// Transport: HTTPS with the data directory's CA, kubeconfig, bearer tokens, /version, health,
// discovery, OpenAPI, Table and PartialObjectMetadata responses.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configMap, kubectl, raw, startFixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture({ extraSANs: ['10.200.0.1'] });
});
afterAll(async () => {
  await f?.stop();
});

describe('transport', () => {
  it('writes a kubeconfig with the CA and the admin token', () => {
    const kc = parse(readFileSync(f.sandbox.kubeconfigPath, 'utf8'));
    expect(kc.clusters[0].cluster.server).toBe(f.sandbox.server);
    expect(
      Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
    ).toBe(f.sandbox.caPem);
    expect(kc.users[0].user.token).toBe(f.sandbox.token);
  });

  it('serves a certificate with the in-cluster SANs, signed by the CA', async () => {
    const { connect } = await import('node:tls');
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const s = connect(
        { host: '127.0.0.1', port: f.sandbox.port, ca: f.sandbox.caPem, servername: 'localhost' },
        () => {
          resolve(new X509Certificate(s.getPeerX509Certificate()!.raw));
          s.end();
        },
      );
      s.on('error', reject);
    });
    const sans = cert.subjectAltName ?? '';
    for (const name of ['kubernetes.default.svc.cluster.local', 'localhost', 'kubernetes'])
      expect(sans).toContain(`DNS:${name}`);
    for (const ip of ['127.0.0.1', '10.96.0.1', '10.200.0.1'])
      expect(sans).toContain(`IP Address:${ip}`);
    expect(cert.checkIssued(new X509Certificate(f.sandbox.caPem))).toBe(true);
  });

  it('answers 401 without or with a wrong token, health without one', async () => {
    const none = await raw(f, 'GET', '/api/v1/namespaces', undefined, {}, null);
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await raw(f, 'GET', '/api/v1/namespaces', undefined, {}, 'nope')).status).toBe(401);
    const health = await raw(f, 'GET', '/readyz', undefined, {}, null);
    expect(health.status).toBe(200);
    expect(health.body).toBe('ok');
    expect((await raw(f, 'GET', '/livez?verbose')).body).toContain('[+]ping ok');
  });

  it('reports a 1.32 version', async () => {
    const v = (await raw(f, 'GET', '/version')).json();
    expect(v).toMatchObject({ major: '1', minor: '32' });
    expect(v.gitVersion).toMatch(/^v1\.32\./);
  });

  it('serves discovery documents', async () => {
    const api = (await raw(f, 'GET', '/api')).json();
    expect(api).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = (await raw(f, 'GET', '/apis')).json();
    const names = apis.groups.map((g: { name: string }) => g.name);
    for (const g of [
      'apps',
      'batch',
      'policy',
      'rbac.authorization.k8s.io',
      'apiextensions.k8s.io',
      'coordination.k8s.io',
      'discovery.k8s.io',
    ]) {
      expect(names).toContain(g);
    }
    const v1 = (await raw(f, 'GET', '/api/v1')).json();
    const pods = v1.resources.find((r: { name: string }) => r.name === 'pods');
    expect(pods).toMatchObject({
      kind: 'Pod',
      namespaced: true,
      singularName: 'pod',
      shortNames: ['po'],
    });
    expect(pods.verbs).toEqual(
      expect.arrayContaining([
        'create',
        'get',
        'list',
        'watch',
        'patch',
        'delete',
        'deletecollection',
      ]),
    );
    const subs = v1.resources.map((r: { name: string }) => r.name);
    for (const s of [
      'pods/status',
      'pods/log',
      'pods/eviction',
      'pods/binding',
      'serviceaccounts/token',
    ])
      expect(subs).toContain(s);
    const apps = (await raw(f, 'GET', '/apis/apps/v1')).json();
    const scale = apps.resources.find((r: { name: string }) => r.name === 'deployments/scale');
    expect(scale).toMatchObject({ kind: 'Scale', group: 'autoscaling', version: 'v1' });
  });

  it('answers aggregated-discovery requests with the plain form so clients fall back', async () => {
    const res = await raw(f, 'GET', '/apis', undefined, {
      accept:
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json().kind).toBe('APIGroupList');
  });

  it('serves OpenAPI v2 and v3', async () => {
    const v2 = await raw(f, 'GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.json().swagger).toBe('2.0');
    const v3 = (await raw(f, 'GET', '/openapi/v3')).json();
    expect(Object.keys(v3.paths)).toContain('api/v1');
    const doc = await raw(f, 'GET', '/openapi/v3/apis/apps/v1');
    expect(doc.status).toBe(200);
    expect(doc.json().openapi).toMatch(/^3\./);
  });

  it('lists api-resources with kubectl', async () => {
    const out = await kubectl(f, ['api-resources']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    for (const line of [
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false/m,
    ]) {
      expect(out.stdout).toMatch(line);
    }
  });

  it('returns Tables with columns and PartialObjectMetadata rows', async () => {
    await raw(
      f,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      JSON.stringify(configMap('tbl', 'default', { a: '1', b: '2' })),
    );
    const table = (
      await raw(f, 'GET', '/api/v1/namespaces/default/configmaps', undefined, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      })
    ).json();
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Data',
      'Age',
    ]);
    const row = table.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'tbl');
    expect(row.cells[1]).toBe(2);
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tbl' } });
    const partial = (
      await raw(f, 'GET', '/api/v1/namespaces/default/configmaps', undefined, {
        accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
      })
    ).json();
    expect(partial.kind).toBe('PartialObjectMetadataList');
    expect(
      partial.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'tbl').data,
    ).toBeUndefined();
  });

  it('exposes API server metrics', async () => {
    await raw(f, 'GET', '/api/v1/namespaces/default/configmaps');
    const res = await raw(f, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /^apiserver_request_total\{code="200",.*resource="configmaps",scope="namespace",.*verb="LIST",version="v1"\} \d+$/m,
    );
    expect(res.body).toMatch(/^apiserver_storage_objects\{resource="namespaces"\} 4$/m);
  });

  it('has the default namespaces, the kubernetes Service and its Endpoints', async () => {
    const ns = (await raw(f, 'GET', '/api/v1/namespaces')).json();
    expect(ns.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort()).toEqual(
      expect.arrayContaining(['default', 'kube-node-lease', 'kube-public', 'kube-system']),
    );
    const svc = (await raw(f, 'GET', '/api/v1/namespaces/default/services/kubernetes')).json();
    expect(svc.spec.clusterIP).toBe('10.96.0.1');
    expect(svc.spec.ports[0].port).toBe(443);
    const ep = (await raw(f, 'GET', '/api/v1/namespaces/default/endpoints/kubernetes')).json();
    expect(ep.subsets[0].addresses[0].ip).toBe('10.200.0.1');
    expect(ep.subsets[0].ports[0].port).toBe(f.sandbox.port);
  });
});
