// A structural schema compiled once into a tree of nodes whose value checks are closures, so
// validating, pruning and defaulting an object walks only the object, never the raw schema JSON.
import type { StatusCause } from '../core/errors.ts';
import type { JSONSchemaProps } from '../core/contracts.ts';
import type { CelRule } from './cel.ts';
import { compileValueChecks } from './value-checks.ts';

export type ValueCheck = (value: unknown, path: string, errs: StatusCause[]) => void;

export interface SchemaNode {
  /** The raw schema, kept for OpenAPI output and CEL type labels. */
  raw: JSONSchemaProps;
  type: string | undefined;
  nullable: boolean;
  intOrString: boolean;
  preserveUnknown: boolean;
  embedded: boolean;
  properties: Map<string, SchemaNode> | undefined;
  /** additionalProperties: a schema, `true` (any value kept) or undefined (none declared). */
  additional: SchemaNode | boolean | undefined;
  items: SchemaNode | undefined;
  required: string[];
  hasDefault: boolean;
  defaultValue: unknown;
  listType: string | undefined;
  listMapKeys: string[];
  /** enum, pattern, format, bounds, list types: everything checked once the type is right. */
  checks: ValueCheck[];
  allOf: SchemaNode[];
  anyOf: SchemaNode[];
  oneOf: SchemaNode[];
  not: SchemaNode | undefined;
  /** x-kubernetes-validations of this node (filled by the CEL compiler). */
  rules: CelRule[];
  /** true when this node or a descendant carries CEL rules (lets validation skip whole subtrees). */
  rulesBelow: boolean;
  /** true when this node or a descendant declares a default. */
  defaultsBelow: boolean;
}

function asSchema(v: unknown): JSONSchemaProps | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JSONSchemaProps) : undefined;
}

export function compileNode(raw: JSONSchemaProps): SchemaNode {
  const props = asSchema(raw['properties']);
  const properties = props
    ? new Map(Object.entries(props).map(([k, v]) => [k, compileNode(asSchema(v) ?? {})] as const))
    : undefined;
  const ap = raw['additionalProperties'];
  const additional =
    typeof ap === 'boolean' ? ap : asSchema(ap) ? compileNode(asSchema(ap) ?? {}) : undefined;
  const itemsRaw = asSchema(raw['items']);
  const items = itemsRaw ? compileNode(itemsRaw) : undefined;
  const node: SchemaNode = {
    raw,
    type: typeof raw['type'] === 'string' ? raw['type'] : undefined,
    nullable: raw['nullable'] === true,
    intOrString: raw['x-kubernetes-int-or-string'] === true,
    preserveUnknown: raw['x-kubernetes-preserve-unknown-fields'] === true,
    embedded: raw['x-kubernetes-embedded-resource'] === true,
    properties,
    additional,
    items,
    required: Array.isArray(raw['required'])
      ? raw['required'].filter((r): r is string => typeof r === 'string')
      : [],
    hasDefault: 'default' in raw,
    defaultValue: raw['default'],
    listType:
      typeof raw['x-kubernetes-list-type'] === 'string' ? raw['x-kubernetes-list-type'] : undefined,
    listMapKeys: Array.isArray(raw['x-kubernetes-list-map-keys'])
      ? raw['x-kubernetes-list-map-keys'].filter((r): r is string => typeof r === 'string')
      : [],
    checks: [],
    allOf: compileList(raw['allOf']),
    anyOf: compileList(raw['anyOf']),
    oneOf: compileList(raw['oneOf']),
    not: asSchema(raw['not']) ? compileNode(asSchema(raw['not']) ?? {}) : undefined,
    rules: [],
    rulesBelow: false,
    defaultsBelow: false,
  };
  node.checks = compileValueChecks(raw);
  const children = [
    ...(properties ? properties.values() : []),
    ...(typeof additional === 'object' ? [additional] : []),
    ...(items ? [items] : []),
  ];
  node.defaultsBelow = children.some((c) => c.hasDefault || c.defaultsBelow);
  return node;
}

function compileList(v: unknown): SchemaNode[] {
  return Array.isArray(v) ? v.map((s) => compileNode(asSchema(s) ?? {})) : [];
}

/** Children of a node, for walks that only care about structure. */
export function childNodes(node: SchemaNode): SchemaNode[] {
  return [
    ...(node.properties ? node.properties.values() : []),
    ...(typeof node.additional === 'object' ? [node.additional] : []),
    ...(node.items ? [node.items] : []),
  ];
}
