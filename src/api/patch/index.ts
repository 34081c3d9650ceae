// The patch semantics behind PATCH requests: JSON merge patch, JSON patch, strategic merge patch and built-in patch metadata.
export { applyMergePatch } from './merge-patch.js';
export { applyJsonPatch, parseJsonPatch, jsonPatchOps, type JsonPatchOp, type JsonPatchOperation } from './json-patch.js';
export { applyStrategicMergePatch, smpDirectives } from './strategic-merge-patch.js';
export {
  genericPatchMeta,
  nodePatchMeta,
  objectMetaPatchMeta,
  patchMetaForKind,
  podPatchMeta,
  servicePatchMeta,
} from './builtin-patch-meta.js';
