export { crdName } from './names.ts';
export * as k from './dsl.ts';
export type { CelRule, Doc, Static, TSchema } from './dsl.ts';
export { toStructural, type SchemaNode } from './structural.ts';
export { pruneDefaultValidate, type FieldError, type ValidationResult } from './validate.ts';
export {
  CustomResource,
  defineCustomResource,
  type CustomObject,
  type PrinterColumn,
  type ResourceDefinition,
  type ScaleSubresource,
  type SpokeConversion,
  type VersionDefinition,
} from './resource.ts';
export { renderApiReference } from './docs.ts';
export {
  bundlesExportedBy,
  renderBundles,
  syncGeneratedFiles,
  type CrdBundle,
  type GeneratedFile,
} from './generate.ts';
export { crdBundles } from './crds/index.ts';
export * from './crds/etcd/index.ts';
