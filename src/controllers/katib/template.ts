// Trial templates: `${trialParameters.<name>}` substitution (values from the trial's assignments or the trial's own
// metadata through `${trialSpec.Name|Namespace|Kind|APIVersion|Labels[k]|Annotations[k]}`), as Katib renders runSpecs.
import type { KubeObject } from '../../api/meta.js';
import type { Assignment } from './algorithms/types.js';
import type { TrialParameterSpec } from './types.js';

const placeholder = /\$\{trialParameters\.(.+?)\}/g;

function walkStrings(value: unknown, visit: (s: string) => string): unknown {
  if (typeof value === 'string') return visit(value);
  if (Array.isArray(value)) return value.map((v) => walkStrings(v, visit));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walkStrings(v, visit)]));
  return value;
}

/** The trial parameter names a template uses. */
export function trialParameterRefs(spec: unknown): Set<string> {
  const out = new Set<string>();
  walkStrings(spec, (s) => {
    for (const m of s.matchAll(placeholder)) out.add(m[1]!);
    return s;
  });
  return out;
}

export interface RenderInput {
  trialSpec: KubeObject;
  trialName: string;
  namespace: string;
  trialParameters: readonly TrialParameterSpec[];
  assignments: readonly Assignment[];
}

/** The trial's run object: placeholders replaced, named after the trial, in its namespace. Throws on an unknown reference. */
export function renderRunSpec(input: RenderInput): KubeObject {
  const meta = input.trialSpec.metadata ?? {};
  const metadataValue = (ref: string): string | undefined => {
    const m = /^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|Labels\[(.+)\]|Annotations\[(.+)\])\}$/.exec(ref);
    if (!m) return undefined;
    if (m[1] === 'Name') return input.trialName;
    if (m[1] === 'Namespace') return input.namespace;
    if (m[1] === 'Kind') return input.trialSpec.kind ?? '';
    if (m[1] === 'APIVersion') return input.trialSpec.apiVersion ?? '';
    if (m[2] !== undefined) return meta.labels?.[m[2]] ?? '';
    return meta.annotations?.[m[3] ?? ''] ?? '';
  };
  const values = new Map<string, string>();
  for (const tp of input.trialParameters) {
    const value = metadataValue(tp.reference) ?? input.assignments.find((a) => a.name === tp.reference)?.value;
    if (value === undefined) throw new Error(`trial parameter ${tp.name} references ${tp.reference}, which has no value`);
    values.set(tp.name, value);
  }
  const rendered = walkStrings(input.trialSpec, (s) =>
    s.replace(placeholder, (whole, name: string) => {
      const v = values.get(name);
      if (v === undefined) throw new Error(`trialSpec uses ${whole}, which is not a declared trial parameter`);
      return v;
    }),
  ) as KubeObject;
  rendered.metadata = { ...(rendered.metadata ?? {}), name: input.trialName, namespace: input.namespace };
  return rendered;
}
