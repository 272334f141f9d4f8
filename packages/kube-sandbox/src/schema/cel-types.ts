// Static typing of rules against the schema, as the real server type-checks x-kubernetes-validations
// when a CRD is written: `self` (and `oldSelf`) get a declared type derived from the schema node,
// so `self.name > 1` or `self.size.startsWith('a')` are CRD errors rather than runtime failures.
// Only the check uses these types; evaluation runs in the dyn environment on toCel values.
import type { Environment } from '@marcbachmann/cel-js';
import { celBaseEnvironment } from './cel-library.ts';
import type { SchemaNode } from './node.ts';

type Decl = string | { [field: string]: Decl };

const RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** How a property is named in CEL (k8s escaping rules); undefined when it is not accessible. */
export function celFieldName(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) && !name.includes('__')) return name;
  if (!/^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/.test(name)) return undefined;
  return name
    .replace(/__/g, '__underscores__')
    .replace(/\./g, '__dot__')
    .replace(/-/g, '__dash__')
    .replace(/\//g, '__slash__');
}

function scalarDecl(node: SchemaNode): string {
  switch (node.type) {
    case 'integer':
      return 'int';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'string': {
      const format = node.raw['format'];
      if (format === 'date' || format === 'date-time') return 'google.protobuf.Timestamp';
      if (format === 'duration') return 'google.protobuf.Duration';
      return format === 'byte' ? 'dyn' : 'string';
    }
    default:
      return 'dyn';
  }
}

type Implicit = 'root' | 'embedded' | undefined;

/** The declared CEL type of a node: a type name, or a field map for objects with properties. */
export function declOf(node: SchemaNode | undefined, implicit?: Implicit): Decl {
  if (!node || node.intOrString || node.nullable) return 'dyn';
  if (node.type === 'array') {
    const item = declOf(node.items);
    return typeof item === 'string' ? `list<${item}>` : 'list<dyn>';
  }
  if (node.type !== 'object') return scalarDecl(node);
  const kind = implicit ?? (node.embedded ? 'embedded' : undefined);
  if (node.properties && !node.preserveUnknown) {
    const fields: Record<string, Decl> = {};
    if (kind) {
      fields['apiVersion'] = 'string';
      fields['kind'] = 'string';
      fields['metadata'] = kind === 'root' ? { name: 'string', generateName: 'string' } : 'dyn';
    }
    for (const [name, child] of node.properties) {
      const celName = celFieldName(name);
      if (celName && !(kind && name === 'metadata')) fields[celName] = declOf(child);
    }
    return fields;
  }
  if (typeof node.additional === 'object') {
    const value = declOf(node.additional);
    return typeof value === 'string' ? `map<string, ${value}>` : 'map<string, dyn>';
  }
  return 'map<string, dyn>';
}

/** Names of the object types a declaration creates under `prefix` ("Self", "Self.spec", ...). */
function objectTypeNames(decl: Decl, prefix: string): string[] {
  if (typeof decl === 'string') return [];
  return [
    prefix,
    ...Object.entries(decl).flatMap(([k, v]) => objectTypeNames(v, `${prefix}.${k}`)),
  ];
}

function typedEnvironment(
  node: SchemaNode,
  isRoot: boolean,
  optionalOldSelf: boolean,
): Environment {
  const decl = declOf(node, isRoot ? 'root' : undefined);
  const env = celBaseEnvironment().clone();
  if (typeof decl === 'string') {
    env.registerVariable('self', decl);
    env.registerVariable('oldSelf', optionalOldSelf ? 'dyn' : decl);
    return env;
  }
  env.registerType({ name: 'Self', schema: decl });
  // object types compare by value (self == oldSelf), as on the server
  for (const t of objectTypeNames(decl, 'Self')) {
    env.registerOperator(`${t} == ${t}`, () => true); // also declares !=
  }
  env.registerVariable('self', 'Self');
  env.registerVariable('oldSelf', optionalOldSelf ? 'dyn' : 'Self');
  return env;
}

const cache = new WeakMap<SchemaNode, Map<string, Environment | null>>();

function environmentFor(
  node: SchemaNode,
  isRoot: boolean,
  optionalOldSelf: boolean,
): Environment | undefined {
  let perNode = cache.get(node);
  if (!perNode) {
    perNode = new Map();
    cache.set(node, perNode);
  }
  const key = `${isRoot}/${optionalOldSelf}`;
  let env = perNode.get(key);
  if (env === undefined) {
    try {
      env = typedEnvironment(node, isRoot, optionalOldSelf);
    } catch {
      env = null; // a schema the typed environment cannot express: fall back to dyn checking
    }
    perNode.set(key, env);
  }
  return env ?? undefined;
}

/**
 * Type-checks an expression with `self` typed by the schema; returns an error message, or
 * undefined when the expression checks (or cannot be typed). `expect` is the required result type.
 */
export function typeCheckError(
  expression: string,
  node: SchemaNode,
  isRoot: boolean,
  optionalOldSelf: boolean,
  expect: 'bool' | 'string',
): string | undefined {
  const env = environmentFor(node, isRoot, optionalOldSelf);
  if (!env) return undefined;
  let result: ReturnType<Environment['check']>;
  try {
    result = env.check(expression);
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  if (!result.valid) return result.error?.message.split('\n')[0] ?? 'type check failed';
  const type = String(result.type);
  if (type !== expect && type !== 'dyn') {
    return expect === 'bool'
      ? 'cel expression must evaluate to a bool'
      : 'messageExpression must evaluate to a string';
  }
  return undefined;
}
