import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildChartRenderer, lintChart, renderChart } from '../src/index.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const app = join(fixtures, 'app');
const broken = join(fixtures, 'broken');

type Obj = {
  kind: string;
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    namespace?: string;
  };
  [k: string]: unknown;
};
const byKind = (objects: Record<string, unknown>[], kind: string) =>
  objects.filter((o: Record<string, unknown>) => o.kind === kind) as Obj[];

beforeAll(() => {
  buildChartRenderer();
}, 120_000);

describe('chart-render template', () => {
  it('renders CRDs first, then objects in Helm install order, with Source comments', async () => {
    const { yaml, objects } = await renderChart(app, { releaseName: 'rel', namespace: 'prod' });
    expect(objects.map((o: Record<string, unknown>) => o.kind)).toEqual([
      'CustomResourceDefinition',
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'Deployment',
    ]);
    expect(yaml).toContain('# Source: app/crds/widget.yaml');
    expect(yaml).toContain('# Source: app/charts/sub/templates/service.yaml');
    const skipped = await renderChart(app, { skipCrds: true });
    expect(byKind(skipped.objects, 'CustomResourceDefinition')).toHaveLength(0);
  });

  it('provides .Release, .Chart, .Capabilities, .Template, named templates, tpl and lookup', async () => {
    const { objects } = await renderChart(app, { releaseName: 'rel', namespace: 'prod' });
    const [d] = byKind(objects, 'Deployment');
    expect(d.metadata.name).toBe('rel-app');
    expect(d.metadata.namespace).toBe('prod');
    expect(d.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'app',
      'app.kubernetes.io/instance': 'rel',
      'app.kubernetes.io/version': '4.5.6',
      team: 'core',
    });
    expect(d.metadata.annotations).toMatchObject({
      greeting: 'hello rel',
      capabilities: '32',
      hasApps: 'true',
      lookup: '0',
      template: 'app/templates/deployment.yaml',
    });
    expect(JSON.stringify(d)).toContain('ghcr.io/opsmith/app:4.5.6');
  });

  it('provides .Files, toYaml/fromYaml/toJson round trips', async () => {
    const { objects } = await renderChart(app);
    const [cm] = byKind(objects, 'ConfigMap');
    expect(cm.data).toEqual({
      raw: '[main]\nmode = test\n',
      roundtrip: 'ghcr.io/opsmith/app',
      json: '{"repository":"ghcr.io/opsmith/app","tag":""}',
      'config.ini': '[main]\nmode = test\n',
    });
  });

  it('merges values: defaults < -f files < --set, null removes a default, --set-string keeps strings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chart-render-'));
    const f1 = join(dir, 'a.yaml');
    writeFileSync(f1, 'replicas: 5\nlabels:\n  extra: yes-from-file\nremoveMe: null\n');
    const { objects } = await renderChart(app, {
      valueFiles: [f1],
      set: ['image.tag=9.9,labels.team=ops'],
    });
    const [d] = byKind(objects, 'Deployment');
    expect(d.spec).toMatchObject({ replicas: 5 });
    expect(d.metadata.labels).toMatchObject({ team: 'ops', extra: 'yes-from-file' });
    expect(d.metadata.annotations?.removed).toBe('gone');
    expect(JSON.stringify(d)).toContain('ghcr.io/opsmith/app:9.9');
    await expect(renderChart(app, { setString: ['replicas=3'] })).rejects.toThrow(
      /replicas: Invalid type. Expected: integer, given: string/,
    );
  });

  it('scopes subchart values, merges globals, honours conditions and aliases', async () => {
    const { objects } = await renderChart(app, { releaseName: 'rel' });
    const services = byKind(objects, 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(['rel-sub']);
    expect(services[0].metadata.annotations).toEqual({
      registry: 'ghcr.io', // the parent's global wins over the subchart's own
      fromSub: 'kept',
      parentHelper: 'rel-sub', // defines are shared across the chart tree
    });
    expect(JSON.stringify(services[0].spec)).toContain('8080');
    const both = await renderChart(app, { set: ['other.enabled=true'] });
    expect(byKind(both.objects, 'Service')).toHaveLength(2);
    const none = await renderChart(app, { set: ['sub.enabled=false'] });
    expect(byKind(none.objects, 'Service')).toHaveLength(0);
  });

  it('reads Helm list literals in --set: key={a,b}, typed unless --set-string', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chart-render-list-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: lists\nversion: 0.1.0\n');
    writeFileSync(
      join(dir, 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lists\ndata:\n  l: {{ toJson .Values.l | quote }}\n  m: {{ toJson .Values.m | quote }}\n',
    );
    const { objects } = await renderChart(dir, { set: ['l={a,1,true},m={}', 'x=1'] });
    expect(objects[0]).toMatchObject({ data: { l: '["a",1,true]', m: '[]' } });
    const strings = await renderChart(dir, { setString: ['l={a,1}'] });
    expect(strings.objects[0]).toMatchObject({ data: { l: '["a","1"]' } });
  });

  it('rejects values that break a values.schema.json, naming chart and field', async () => {
    await expect(renderChart(app, { set: ['replicas=-1', 'sub.port=70000'] })).rejects.toThrow(
      /app:\n- replicas: Must be greater than or equal to 0[\s\S]*sub:\n- port: Must be less than or equal to 65535/,
    );
  });

  it('reports required and fail with the template location', async () => {
    await expect(renderChart(broken)).rejects.toThrow(
      /execution error at \(broken\/templates\/cm.yaml:\d+:\d+\): mode is required/,
    );
    await expect(renderChart(broken, { set: ['mode=forbidden'] })).rejects.toThrow(
      /mode "forbidden" is not allowed/,
    );
  });

  it('rejects bad flags and malformed --set expressions', async () => {
    await expect(renderChart(app, { set: ['novalue'] })).rejects.toThrow(/has no value/);
    await expect(renderChart(app, { set: ['a[x]=1'] })).rejects.toThrow(/malformed list index/);
    await expect(renderChart(join(fixtures, 'missing'))).rejects.toThrow(/Chart.yaml is missing/);
  });
});

describe('chart-render lint', () => {
  it('passes a good chart', async () => {
    expect(await lintChart(app)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
  it('lists every problem of a bad chart', async () => {
    const err = await lintChart(broken, { set: ['mode=x'] }).catch((e: Error) => e.message);
    expect(err).toContain('apiVersion is "v1", expected "v2"');
    expect(err).toContain('appVersion');
    expect(err).toContain('ConfigMap has no metadata.name');
  });
});
