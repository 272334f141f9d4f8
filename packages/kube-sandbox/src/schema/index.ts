// The schema engine of kube-sandbox: structural validation, pruning and defaulting of custom
// resources, CEL validation rules, CRD validation and the OpenAPI documents.
import type { JSONSchemaProps, SchemaEngine } from '../core/contracts.ts';
import { compileSchema } from './compile.ts';
import type { CompiledSchemaDetails } from './compile.ts';
import { validateCrd } from './crd-validation.ts';
import { openApiV2, openApiV3GroupVersion, openApiV3Index } from './openapi.ts';

export function createSchemaEngine(): SchemaEngine {
  // compile once per schema object (the server keeps one schema object per CRD version)
  const cache = new WeakMap<JSONSchemaProps, CompiledSchemaDetails>();
  return {
    validateCrd,
    compile(schema: JSONSchemaProps) {
      let compiled = cache.get(schema);
      if (!compiled) {
        compiled = compileSchema(schema);
        cache.set(schema, compiled);
      }
      return compiled;
    },
    openApiV2,
    openApiV3Index,
    openApiV3GroupVersion,
  };
}

export { compileSchema } from './compile.ts';
export { validateCrd } from './crd-validation.ts';
