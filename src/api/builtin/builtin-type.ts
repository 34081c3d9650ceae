// The ResourceType of a built-in kind: Kubernetes' naming and discovery defaults, with patch metadata from the patch module.
import { patchMetaForKind } from '../patch/index.js';
import { allVerbs, type ResourceType } from '../resource-type.js';

export type BuiltinTypeOptions = Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural'> & Partial<Omit<ResourceType, 'group' | 'version' | 'kind' | 'plural'>>;

/** A namespaced kind serving every verb, without status subresource or generation, unless the options say otherwise. */
export function builtinType(options: BuiltinTypeOptions): ResourceType {
  const type: ResourceType = {
    listKind: `${options.kind}List`,
    singular: options.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    storageVersion: options.version,
    statusSubresource: false,
    columns: [],
    generationFrom: 'none',
    verbs: [...allVerbs],
    source: { from: 'builtin' },
    ...options,
  };
  const meta = patchMetaForKind(options.group, options.kind);
  if (meta) type.patchMeta = meta;
  return type;
}
