// compile(schema) -> CompiledSchema: one compiled node tree (value checks as closures, CEL rules
// parsed once) serving prune, applyDefaults and validate for every request of a CRD version.
import type { CompiledSchema, JSONSchemaProps } from '../core/contracts.ts';
import type { StatusCause } from '../core/errors.ts';
import type { KubeObject, ObjectMeta } from '../core/types.ts';
import { compileRules, validateCel } from './cel.ts';
import type { CelCompileError } from './cel.ts';
import { defaultRoot } from './defaults.ts';
import { compileNode } from './node.ts';
import type { SchemaNode } from './node.ts';
import { pruneRoot } from './prune.ts';
import { validateRoot } from './validate.ts';

export interface CompiledSchemaDetails extends CompiledSchema {
  root: SchemaNode;
  /** CEL rules that failed to compile (their rules are not evaluated). */
  celErrors: CelCompileError[];
}

// the real server builds this error without a path, which Go prints as "<nil>"
const RULES_NOT_CHECKED: StatusCause = {
  reason: 'FieldValueInvalid',
  field: '<nil>',
  message:
    'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

/** Rules see only name and generateName of the root metadata, as on a real server. */
function celView(obj: KubeObject): KubeObject {
  const meta = obj.metadata;
  if (!meta) return obj;
  const view: ObjectMeta = {};
  if (meta.name !== undefined) view.name = meta.name;
  if (meta.generateName !== undefined) view.generateName = meta.generateName;
  return { ...obj, metadata: view };
}

export function compileSchema(schema: JSONSchemaProps): CompiledSchemaDetails {
  const root = compileNode(schema);
  const celErrors = compileRules(root);
  return {
    root,
    celErrors,
    prune(obj: KubeObject) {
      const unknownFields = pruneRoot(root, obj);
      return { object: obj, unknownFields };
    },
    applyDefaults(obj: KubeObject) {
      defaultRoot(root, obj);
      return obj;
    },
    validate(obj: KubeObject, old?: KubeObject): StatusCause[] {
      const errs: StatusCause[] = [];
      validateRoot(root, obj, errs, old);
      if (!root.rules.length && !root.rulesBelow) return errs;
      // as in the real server, type errors keep the CEL rules from running at all
      if (errs.some((e) => e.reason === 'FieldValueTypeInvalid')) {
        errs.push(RULES_NOT_CHECKED);
        return errs;
      }
      validateCel(root, celView(obj), old && celView(old), old !== undefined, '', errs);
      return errs;
    },
  };
}
