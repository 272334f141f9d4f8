// The values table of a chart: one row per leaf of values.schema.json (and per values.yaml key the
// schema does not describe), with the default from values.yaml (else the schema's), the schema's
// description (else the `# --` comment above the key in values.yaml, the helm-docs convention) and
// the constraints. Pure apart from valuesTableForChart, which reads the two files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, parseDocument, type Node } from 'yaml';

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

export interface ValueRow {
  path: string;
  type: string;
  /** The default as JSON, or undefined when there is none. */
  default?: string;
  description: string;
  constraints: string[];
}

type Comments = Map<string, string>;

/** `# -- text` comments above values.yaml keys, by dotted path. */
export function valuesComments(yamlText: string): Comments {
  const out: Comments = new Map();
  const doc = parseDocument(yamlText);
  const walk = (node: Node | null | undefined, prefix: string) => {
    if (!isMap(node)) return;
    for (const [index, pair] of node.items.entries()) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const path = prefix ? `${prefix}.${key}` : key;
      // the yaml parser attaches a comment above a map's first key to the map itself
      const comment =
        (pair.key as Node | null)?.commentBefore ?? (index === 0 ? node.commentBefore : '') ?? '';
      const doc = comment
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('--'))
        .map((l) => l.replace(/^--\s?/, ''))
        .join(' ');
      if (doc) out.set(path, doc);
      walk(pair.value as Node, path);
    }
  };
  walk(doc.contents, '');
  return out;
}

function typeName(schema: JsonSchema): string {
  if (schema.oneOf || schema.anyOf)
    return (schema.oneOf ?? schema.anyOf ?? []).map(typeName).join(' \\| ');
  const t = Array.isArray(schema.type)
    ? schema.type.join(' \\| ')
    : (schema.type ?? (schema.enum ? 'enum' : 'any'));
  if (t === 'array' && schema.items) return `array of ${typeName(schema.items)}`;
  if (t === 'object' && typeof schema.additionalProperties === 'object')
    return `map of ${typeName(schema.additionalProperties)}`;
  return t;
}

function inferredType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value === 'object' ? 'object' : typeof value;
}

function constraintsOf(schema: JsonSchema, required: boolean): string[] {
  const c: string[] = [];
  const j = (v: unknown) => `\`${JSON.stringify(v)}\``;
  if (required) c.push('required');
  if (schema.enum) c.push(`one of ${schema.enum.map(j).join(', ')}`);
  if (schema.const !== undefined) c.push(`exactly ${j(schema.const)}`);
  if (schema.minimum !== undefined) c.push(`>= ${String(schema.minimum)}`);
  if (schema.exclusiveMinimum !== undefined) c.push(`> ${String(schema.exclusiveMinimum)}`);
  if (schema.maximum !== undefined) c.push(`<= ${String(schema.maximum)}`);
  if (schema.exclusiveMaximum !== undefined) c.push(`< ${String(schema.exclusiveMaximum)}`);
  if (schema.minLength !== undefined) c.push(`length >= ${String(schema.minLength)}`);
  if (schema.maxLength !== undefined) c.push(`length <= ${String(schema.maxLength)}`);
  if (schema.pattern !== undefined) c.push(`matches \`${schema.pattern}\``);
  if (schema.format !== undefined) c.push(`format ${schema.format}`);
  if (schema.minItems !== undefined) c.push(`items >= ${String(schema.minItems)}`);
  if (schema.maxItems !== undefined) c.push(`items <= ${String(schema.maxItems)}`);
  if (schema.items?.enum) c.push(`items one of ${schema.items.enum.map(j).join(', ')}`);
  return c;
}

function get(values: unknown, path: string[]): { found: boolean; value?: unknown } {
  let cur: unknown = values;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(k in cur))
      return { found: false };
    cur = (cur as Record<string, unknown>)[k];
  }
  return { found: true, value: cur };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Rows for every schema leaf plus the values.yaml keys the schema does not describe, sorted by path. */
export function valuesRows(
  schema: JsonSchema,
  values: unknown,
  comments: Comments = new Map(),
): ValueRow[] {
  const rows: ValueRow[] = [];
  const leaves = new Set<string>();
  const visit = (s: JsonSchema, path: string[], required: boolean) => {
    if (s.properties && Object.keys(s.properties).length > 0) {
      for (const [k, sub] of Object.entries(s.properties))
        visit(sub, [...path, k], s.required?.includes(k) ?? false);
      return;
    }
    const dotted = path.join('.');
    const v = get(values, path);
    rows.push({
      path: dotted,
      type: typeName(s),
      ...(v.found || s.default !== undefined
        ? { default: JSON.stringify(v.found ? v.value : s.default) }
        : {}),
      description: s.description ?? comments.get(dotted) ?? '',
      constraints: constraintsOf(s, required),
    });
    leaves.add(dotted);
  };
  visit(schema, [], false);
  // values.yaml keys the schema does not describe still belong in the table
  const undocumented = (value: unknown, path: string[]) => {
    const dotted = path.join('.');
    if (leaves.has(dotted)) return;
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) undocumented(v, [...path, k]);
      return;
    }
    if (path.length === 0) return;
    rows.push({
      path: dotted,
      type: inferredType(value),
      default: JSON.stringify(value),
      description: comments.get(dotted) ?? '',
      constraints: [],
    });
  };
  undocumented(values, []);
  return rows.sort((a, b) => a.path.localeCompare(b.path));
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The Markdown table. */
export function renderTable(rows: ValueRow[]): string {
  const lines = [
    '| Key | Type | Default | Description | Allowed values |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const def = r.default === undefined ? '' : `\`${cell(r.default)}\``;
    lines.push(
      `| \`${r.path}\` | ${r.type} | ${def} | ${cell(r.description)} | ${cell(r.constraints.join('; '))} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Reads <chart>/values.schema.json and <chart>/values.yaml and renders the table. */
export function valuesTableForChart(chartDir: string): string {
  const schemaPath = join(chartDir, 'values.schema.json');
  const valuesPath = join(chartDir, 'values.yaml');
  if (!existsSync(schemaPath) && !existsSync(valuesPath))
    throw new Error(`${chartDir}: neither values.schema.json nor values.yaml exists`);
  const schema = existsSync(schemaPath)
    ? (JSON.parse(readFileSync(schemaPath, 'utf8')) as JsonSchema)
    : {};
  const yamlText = existsSync(valuesPath) ? readFileSync(valuesPath, 'utf8') : '';
  const values = (parseDocument(yamlText).toJS() as unknown) ?? {};
  return renderTable(valuesRows(schema, values, valuesComments(yamlText)));
}
