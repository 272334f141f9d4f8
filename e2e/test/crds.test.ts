// CRDs first: the harness applies a chart's crds/, waits until they are Established, then applies
// the custom objects of the chart (which name no namespace, so they get the release namespace).
// Uninstall keeps the CRD, like Helm, unless deleteCrds is set. API only: no pods involved.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChartRenderer, renderChart } from '@opsmith/chart-render';
import { NotFoundError, type KubeObject } from '@opsmith/k8s-runtime';
import {
  findCondition,
  installPlan,
  installRendered,
  remainingObjects,
  startE2eSandbox,
  uninstallRendered,
  type E2eSandbox,
} from '../src/index.ts';

const chart = join(import.meta.dirname, '..', 'fixtures', 'widgets');
const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
let sandbox: E2eSandbox;

beforeAll(async () => {
  buildChartRenderer();
  sandbox = await startE2eSandbox({ node: false });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('charts with CRDs', () => {
  it('plans CRDs before everything else, keeping the rest in order', async () => {
    const { objects } = await renderChart(chart, { releaseName: 'w', namespace: 'widgets' });
    const plan = installPlan([...objects].reverse());
    expect(plan.crds.map((o) => o.metadata.name)).toEqual(['widgets.e2e.opsmith.io']);
    expect(plan.rest.map((o) => o.kind)).toEqual(['Widget']);
    expect(() => installPlan([{ kind: 'ConfigMap' }])).toThrow(
      /without apiVersion\/kind\/metadata.name/,
    );
  });

  it('installs the CRD (Established) and then its objects; uninstall keeps the CRD unless asked', async () => {
    const client = sandbox.client;
    const namespace = 'widgets';
    const { objects } = await renderChart(chart, { releaseName: 'w', namespace });
    const result = await installRendered(client, objects, { namespace });
    expect(result.applied.map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`)).toEqual([
      'CustomResourceDefinition//widgets.e2e.opsmith.io',
      'Widget/widgets/w-widget',
    ]);
    expect(result.createdNamespaces).toEqual([namespace]);
    const crd = await client.get(crdRef, 'widgets.e2e.opsmith.io');
    expect(findCondition(crd, 'Established')?.status).toBe('True');
    const widget = await client.get<KubeObject & { spec: { size: number } }>(
      { apiVersion: 'e2e.opsmith.io/v1', kind: 'Widget' },
      'w-widget',
      namespace,
    );
    expect(widget.spec.size).toBe(3);

    await uninstallRendered(client, objects, { namespace });
    expect(await remainingObjects(client, objects, { namespace })).toEqual([]);
    expect((await client.get(crdRef, 'widgets.e2e.opsmith.io')).metadata?.name).toBe(
      'widgets.e2e.opsmith.io',
    );

    await uninstallRendered(client, objects, { namespace, deleteCrds: true });
    await expect(client.get(crdRef, 'widgets.e2e.opsmith.io')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
