// The patch and server-side-apply engine of kube-sandbox (PatchEngine in core/contracts.ts):
//   json-patch.ts    RFC 6902, with the Go library's error texts (400 / 413 / 422 like the apiserver)
//   merge-patch.ts   RFC 7386
//   strategic.ts     strategic merge patch and its directives, driven by type-meta.ts
//   ssa*.ts          server-side apply and managedFields (managed-fields.ts, fieldset.ts)
// Known differences from a real API server (docs should list them):
// - Built-in kinds are described only for the fields our kinds use (type-meta.ts); lists not
//   described there are atomic for apply and replaced by strategic merge patch.
// - A field a manager owns without value change ("."-members of Update entries) approximates the
//   Go zero-value object for built-ins; only the ownership display can differ, not conflicts.
// - Reset fields: writes to the main resource never own status, status writes never own spec,
//   for custom resources too (whether or not the CRD has a status subresource).
// - Not implemented: union (discriminator) normalization; managedFields conversion for the scale
//   subresource (scale writes own .spec.replicas under subresource "scale").
import type { PatchEngine, TypeInfo } from '../core/contracts.ts';
import type { KubeObject } from '../core/types.ts';
import { applyJsonPatch } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';
import { serverSideApply, updateManagedFields } from './ssa.ts';
import { applyStrategicMergePatch } from './strategic.ts';
import { typeNodeFor } from './type-meta.ts';

export function createPatchEngine(): PatchEngine {
  return {
    jsonPatch: (doc, ops) => applyJsonPatch(doc, ops),
    mergePatch: (doc, patch) => applyMergePatch(doc, patch),
    strategicMergePatch: (doc: KubeObject, patch: unknown, type: TypeInfo) =>
      applyStrategicMergePatch(doc, patch, typeNodeFor(type)),
    apply: (args) => serverSideApply(args),
    recordUpdate: (args) => updateManagedFields(args),
  };
}

export { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, typeNodeFor };
export { fieldsV1ToSet, setToFieldsV1, pathToString } from './fieldset.ts';
