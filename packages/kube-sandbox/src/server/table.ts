// meta.k8s.io/v1 Table responses for `kubectl get`: each kind's printer columns (a CRD's
// additionalPrinterColumns or a built-in kind's cells), rows carrying PartialObjectMetadata.
import type { KubeObject, PrinterColumn, ResourceInfo } from '../core/types.ts';
import { readJsonPath } from './util.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_COLUMN = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

export function columnsFor(info: ResourceInfo): PrinterColumn[] {
  const cols = info.printerColumns ?? [];
  if (cols.length === 0)
    return [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return cols;
}

/** Human duration like kubectl's (e.g. 5s, 3m2s, 4h, 2d5h). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y${d % 365 ? `${d % 365}d` : ''}`;
}

function cellOf(col: PrinterColumn, obj: KubeObject, now: Date): unknown {
  if (col.cell) {
    try {
      return col.cell(obj, now);
    } catch {
      return '<unknown>';
    }
  }
  const path = col.jsonPath ?? '';
  let value = readJsonPath(obj, path);
  if (Array.isArray(value))
    value = value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  if (value === undefined || value === null) return col.type === 'date' ? '<unknown>' : '<none>';
  if (col.type === 'date' && typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : humanDuration(now.getTime() - t);
  }
  if (col.type === 'integer' || col.type === 'number')
    return typeof value === 'number' ? value : Number(value);
  if (col.type === 'boolean') return Boolean(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function partialMetadata(obj: KubeObject): KubeObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: obj.metadata ?? {},
  };
}

export function toTable(
  info: ResourceInfo,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  withColumns = true,
): KubeObject {
  const cols = columnsFor(info);
  // Built-in kinds list their complete columns (NAME included, not always first: events); the
  // server prepends NAME only for custom resources.
  const hasName = !info.custom || cols[0]?.name === 'Name' || cols[0]?.name === 'NAME';
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns
      ? [
          ...(hasName ? [] : [NAME_COLUMN]),
          ...cols.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: c.description ?? '',
            priority: c.priority ?? 0,
          })),
        ]
      : [],
    rows: objects.map((obj) => ({
      cells: [
        ...(hasName ? [] : [obj.metadata?.name ?? '']),
        ...cols.map((c) => cellOf(c, obj, now)),
      ],
      ...(include === 'None' ? {} : { object: include === 'Object' ? obj : partialMetadata(obj) }),
    })),
  };
}

export function toPartialList(
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
): KubeObject {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    items: objects.map(partialMetadata),
  };
}

export { partialMetadata };
