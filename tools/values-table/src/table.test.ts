import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  renderTable,
  valuesComments,
  valuesRows,
  valuesTableForChart,
  type JsonSchema,
} from './table.ts';

const chart = join(import.meta.dirname, '..', 'test', 'fixtures', 'chart');
const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as JsonSchema;
const yamlText = readFileSync(join(chart, 'values.yaml'), 'utf8');
const rows = valuesRows(schema, parse(yamlText), valuesComments(yamlText));
const row = (path: string) => rows.find((r) => r.path === path);

describe('valuesComments', () => {
  it('reads `# --` comments above keys, including a nested map’s first key', () => {
    const c = valuesComments(yamlText);
    expect(c.get('replicaCount')).toBe('How many operator replicas (leader election when > 1).');
    expect(c.get('image.repository')).toBe('Image repository.');
    expect(c.has('image.tag')).toBe(false);
  });
});

describe('valuesRows', () => {
  it('has one sorted row per schema leaf and per undocumented values.yaml key', () => {
    expect(rows.map((r) => r.path)).toEqual([
      'extra.enabled',
      'image.pullPolicy',
      'image.repository',
      'image.tag',
      'logLevel',
      'metrics.port',
      'podLabels',
      'replicaCount',
      'resources',
      'watchNamespaces',
    ]);
  });
  it('takes defaults from values.yaml, else from the schema; none when neither has one', () => {
    expect(row('image.repository')?.default).toBe('"ghcr.io/opsmith/etcd-operator"');
    expect(row('metrics.port')?.default).toBe('8080');
    expect(row('resources')?.default).toBe('{"requests":{"cpu":"50m"}}');
    expect(row('extra.enabled')).toMatchObject({
      type: 'boolean',
      default: 'false',
      constraints: [],
    });
  });
  it('prefers the schema description over the values.yaml comment', () => {
    expect(row('logLevel')?.description).toBe('Log level of the operator.');
    expect(row('replicaCount')?.description).toBe(
      'How many operator replicas (leader election when > 1).',
    );
    expect(row('extra.enabled')?.description).toBe('');
  });
  it('names types and constraints', () => {
    expect(row('replicaCount')).toMatchObject({ type: 'integer', constraints: ['>= 1', '<= 5'] });
    expect(row('image.repository')?.constraints).toEqual(['required', 'length >= 1']);
    expect(row('image.pullPolicy')?.constraints).toEqual([
      'one of `"Always"`, `"IfNotPresent"`, `"Never"`',
    ]);
    expect(row('watchNamespaces')).toMatchObject({
      type: 'array of string',
      constraints: ['items <= 10'],
    });
    expect(row('podLabels')?.type).toBe('map of string');
    expect(row('metrics.port')?.constraints).toEqual(['> 0']);
  });
});

describe('renderTable', () => {
  it('renders Markdown with escaped pipes and code-formatted defaults', () => {
    const table = renderTable(rows);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe('| Key | Type | Default | Description | Allowed values |');
    expect(lines).toContain(
      '| `image.tag` | string | `""` | Image tag \\| defaults to appVersion. |  |',
    );
    expect(lines).toContain('| `metrics.port` | integer | `8080` |  | > 0 |');
    expect(lines).toHaveLength(rows.length + 2);
  });
  it('reads a chart directory', () => {
    expect(valuesTableForChart(chart)).toBe(renderTable(rows));
    expect(() => valuesTableForChart(join(chart, 'nope'))).toThrow(
      /neither values.schema.json nor values.yaml/,
    );
  });
});
