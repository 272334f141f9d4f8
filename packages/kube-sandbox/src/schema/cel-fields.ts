// Compile-time check of the fields a rule selects on `self` / `oldSelf`. The real server type-checks
// rules against the schema, so `self.sise` is a CRD error ("undefined field 'sise'") rather than a
// runtime failure; our CEL environment types `self` as dyn, so this check restores that.
import { celFieldName } from './cel-types.ts';
import type { SchemaNode } from './node.ts';

const STRING_LITERAL =
  /[rRbB]{0,2}("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')/g;
const SELECTION = /(?<![.\w])(self|oldSelf)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)+)(\s*\()?/g;
const IMPLICIT_OBJECT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** Returns the first undefined field a rule selects, or undefined when all exist. */
export function undefinedFieldIn(
  rule: string,
  node: SchemaNode,
  isRoot: boolean,
): string | undefined {
  const code = rule.replace(STRING_LITERAL, '""');
  for (const m of code.matchAll(SELECTION)) {
    const segments = (m[2] ?? '')
      .split('.')
      .map((s) => s.trim())
      .filter(Boolean);
    if (m[3]) segments.pop(); // the last selection is a method call: self.name.size()
    const missing = walk(node, segments, isRoot);
    if (missing) return missing;
  }
  return undefined;
}

function walk(start: SchemaNode, segments: string[], isRoot: boolean): string | undefined {
  let node = start;
  let root = isRoot;
  for (const seg of segments) {
    if ((root || node.embedded) && IMPLICIT_OBJECT_FIELDS.has(seg) && !node.properties?.has(seg)) {
      return undefined;
    }
    root = false;
    if (node.intOrString || !node.type || node.type !== 'object') return undefined;
    const prop = propertyByCelName(node, seg);
    if (prop) {
      node = prop;
      continue;
    }
    if (typeof node.additional === 'object') {
      node = node.additional;
      continue;
    }
    if (node.additional === true || node.preserveUnknown) return undefined;
    return seg;
  }
  return undefined;
}

function propertyByCelName(node: SchemaNode, celName: string): SchemaNode | undefined {
  if (!node.properties) return undefined;
  for (const [name, child] of node.properties) if (celFieldName(name) === celName) return child;
  return undefined;
}
