// Generates src/api/builtin/known-fields-data.ts: the JSON field names of the built-in kinds Floe serves, read from the
// JSON tags of the Go types of the Kubernetes release tools/control-plane pins (run after `go mod download` there).
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const mod = join(process.env.GOMODCACHE ?? join(homedir(), '.cache', 'floe', 'go', 'mod'), 'k8s.io');
const v = 'v0.32.3';
const packages = {
  core: [`api@${v}/core/v1/types.go`],
  batch: [`api@${v}/batch/v1/types.go`],
  discovery: [`api@${v}/discovery/v1/types.go`],
  coordination: [`api@${v}/coordination/v1/types.go`],
  meta: [`apimachinery@${v}/pkg/apis/meta/v1/types.go`],
  apiext: [`apiextensions-apiserver@${v}/pkg/apis/apiextensions/v1/types.go`, `apiextensions-apiserver@${v}/pkg/apis/apiextensions/v1/types_jsonschema.go`],
  apps: [`api@${v}/apps/v1/types.go`],
  autoscaling: [`api@${v}/autoscaling/v2/types.go`],
  autoscalingv1: [`api@${v}/autoscaling/v1/types.go`],
  policy: [`api@${v}/policy/v1/types.go`],
  storage: [`api@${v}/storage/v1/types.go`],
  networking: [`api@${v}/networking/v1/types.go`],
  scheduling: [`api@${v}/scheduling/v1/types.go`],
  admission: [`api@${v}/admissionregistration/v1/types.go`],
  rbac: [`api@${v}/rbac/v1/types.go`],
};
// Import aliases in those files → our package keys; types of other packages are leaves unless listed here.
const aliases = { metav1: 'meta', corev1: 'core', v1: 'core', apiv1: 'core' };
// Types that decode themselves (UnmarshalJSON, or opaque JSON): whatever they hold is accepted.
const opaque = new Set(['meta.Time', 'meta.MicroTime', 'meta.Duration', 'meta.FieldsV1', 'apiext.JSONSchemaPropsOrBool', 'apiext.JSONSchemaPropsOrArray', 'apiext.JSONSchemaPropsOrStringArray', 'apiext.JSON', 'runtime.RawExtension']);
const roots = [
  ['', 'Pod', 'core.Pod'], ['', 'Service', 'core.Service'], ['', 'ConfigMap', 'core.ConfigMap'], ['', 'Secret', 'core.Secret'],
  ['', 'ServiceAccount', 'core.ServiceAccount'], ['', 'PersistentVolumeClaim', 'core.PersistentVolumeClaim'], ['', 'Event', 'core.Event'],
  ['', 'Node', 'core.Node'], ['', 'Endpoints', 'core.Endpoints'], ['', 'Namespace', 'core.Namespace'], ['batch', 'Job', 'batch.Job'],
  ['discovery.k8s.io', 'EndpointSlice', 'discovery.EndpointSlice'], ['coordination.k8s.io', 'Lease', 'coordination.Lease'],
  ['apiextensions.k8s.io', 'CustomResourceDefinition', 'apiext.CustomResourceDefinition'],
  // Workload and platform kinds (issue 17). A `group/version` first element keys a kind whose versions differ in shape.
  ['apps', 'Deployment', 'apps.Deployment'], ['apps', 'ReplicaSet', 'apps.ReplicaSet'], ['apps', 'StatefulSet', 'apps.StatefulSet'],
  ['apps', 'DaemonSet', 'apps.DaemonSet'], ['apps', 'ControllerRevision', 'apps.ControllerRevision'], ['batch', 'CronJob', 'batch.CronJob'],
  ['autoscaling', 'HorizontalPodAutoscaler', 'autoscaling.HorizontalPodAutoscaler'],
  ['autoscaling/v1', 'HorizontalPodAutoscaler', 'autoscalingv1.HorizontalPodAutoscaler'],
  ['policy', 'PodDisruptionBudget', 'policy.PodDisruptionBudget'], ['', 'PersistentVolume', 'core.PersistentVolume'],
  ['', 'ReplicationController', 'core.ReplicationController'], ['', 'PodTemplate', 'core.PodTemplate'],
  ['storage.k8s.io', 'StorageClass', 'storage.StorageClass'], ['networking.k8s.io', 'NetworkPolicy', 'networking.NetworkPolicy'],
  ['networking.k8s.io', 'Ingress', 'networking.Ingress'], ['networking.k8s.io', 'IngressClass', 'networking.IngressClass'],
  ['scheduling.k8s.io', 'PriorityClass', 'scheduling.PriorityClass'],
  // Admission (H4): quotas, limit ranges, webhook configurations and ValidatingAdmissionPolicy.
  ['', 'ResourceQuota', 'core.ResourceQuota'], ['', 'LimitRange', 'core.LimitRange'],
  ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration', 'admission.ValidatingWebhookConfiguration'],
  ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'admission.MutatingWebhookConfiguration'],
  ['admissionregistration.k8s.io', 'ValidatingAdmissionPolicy', 'admission.ValidatingAdmissionPolicy'],
  ['admissionregistration.k8s.io', 'ValidatingAdmissionPolicyBinding', 'admission.ValidatingAdmissionPolicyBinding'],
  // RBAC (H6).
  ['rbac.authorization.k8s.io', 'Role', 'rbac.Role'], ['rbac.authorization.k8s.io', 'ClusterRole', 'rbac.ClusterRole'],
  ['rbac.authorization.k8s.io', 'RoleBinding', 'rbac.RoleBinding'], ['rbac.authorization.k8s.io', 'ClusterRoleBinding', 'rbac.ClusterRoleBinding'],
];

const structs = new Map(); // 'pkg.Name' → [{ json, type, inline }]
const named = new Map(); // 'pkg.Name' → underlying type expression (non-struct)
for (const [pkg, files] of Object.entries(packages)) {
  for (const file of files) {
    const src = readFileSync(join(mod, file), 'utf8').replace(/\/\/.*$/gm, '');
    for (const m of src.matchAll(/^type (\w+) struct \{([\s\S]*?)^\}/gm)) {
      const fields = [];
      for (const line of m[2].split('\n')) {
        const t = line.trim();
        if (!t) continue;
        const f = /^(?:(\w+)\s+)?([\w.*[\]]+)\s*(?:`(.*)`)?$/.exec(t);
        if (!f) continue;
        const tag = /json:"([^"]*)"/.exec(f[3] ?? '')?.[1];
        const [name, ...opts] = (tag ?? '').split(',');
        if (name === '-') continue;
        // An embedded struct is inlined unless its tag names it (ObjectMeta is embedded as "metadata").
        if (name === '' && (f[1] === undefined || opts.includes('inline'))) fields.push({ inline: true, type: qualify(f[2], pkg) });
        else fields.push({ json: name || f[1] || f[2].replace(/^.*\./, ''), type: qualify(f[2], pkg) });
      }
      structs.set(`${pkg}.${m[1]}`, fields);
    }
    for (const m of src.matchAll(/^type (\w+) struct\s*\{\}/gm)) structs.set(`${pkg}.${m[1]}`, []);
    for (const m of src.matchAll(/^type (\w+) ((?:\[\]|map\[[\w.]+\])[\w.*[\]]+|[\w.]+)$/gm)) named.set(`${pkg}.${m[1]}`, qualify(m[2], pkg));
  }
}

function qualify(expr, pkg) {
  return expr.replace(/\*/g, '').replace(/(^|\]|\[)([A-Za-z]\w*)(?:\.(\w+))?/g, (all, pre, a, b) => {
    if (b !== undefined) return `${pre}${aliases[a] ?? a}.${b}`;
    if (/^(string|bool|byte|u?int\d*|float\d+|any)$/.test(a) || a === 'map') return all;
    return `${pre}${pkg}.${a}`;
  });
}

/** A field's kind: '' (a scalar, or lists and maps of them), '*' (opaque), or a struct, list or map of structs. */
function ref(expr, seen) {
  if (opaque.has(expr)) return '*';
  if (expr.startsWith('[]')) { const r = ref(expr.slice(2), seen); return r === '' ? '' : `[]${r}`; }
  const map = /^map\[[^\]]+\](.*)$/.exec(expr);
  if (map) { const r = ref(map[1], seen); return r === '' ? '' : `{}${r}`; }
  if (structs.has(expr)) { seen.add(expr); return expr; }
  if (named.has(expr)) return ref(named.get(expr), seen);
  return '';
}

function flatten(name, out = []) {
  for (const f of structs.get(name) ?? []) {
    if (f.inline) { if (structs.has(f.type)) flatten(f.type, out); }
    else out.push(f);
  }
  return out;
}

const emitted = new Map();
const queue = roots.map((r) => r[2]);
while (queue.length > 0) {
  const name = queue.shift();
  if (emitted.has(name)) continue;
  const seen = new Set();
  const parts = flatten(name).map((f) => { const r = ref(f.type, seen); return r === '' ? f.json : `${f.json}:${r}`; });
  emitted.set(name, parts.join(' '));
  for (const s of seen) if (!emitted.has(s)) queue.push(s);
}
const lines = [...emitted].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => `  '${k}': '${s}',`);
process.stdout.write(`roots ${JSON.stringify(roots.map(([g, k, t]) => [g, k, t]))}\n`);
process.stdout.write(lines.join('\n') + '\n');

// ---- the TypeScript module ----
function wrap(key, value) {
  const words = value.split(' ');
  const lines = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + w.length + 1 > 110) { lines.push(line + ' '); line = w; } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  if (lines.length === 1) return `  '${key}': '${lines[0]}',`;
  return `  '${key}':\n${lines.map((l, i) => `    '${l}'${i < lines.length - 1 ? ' +' : ','}`).join('\n')}`;
}
const body = [...emitted].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => wrap(k, s)).join('\n');
const kinds = roots.map(([g, k, t]) => `  '${g}/${k}': '${t}',`).join('\n');
if (process.argv[2]) writeFileSync(process.argv[2], `// The JSON fields of each built-in kind, as kube-apiserver's strict decoder knows them: data for fieldValidation and pruning.
//
// Generated from the JSON tags of the Go types in k8s.io/api, k8s.io/apimachinery and k8s.io/apiextensions-apiserver
// ${v} (Kubernetes ${v.replace('v0.', '1.')}, the release tools/control-plane builds). Each entry lists a type's fields, space-separated;
// \`field:T\` is a struct, \`field:[]T\` a list of them, \`field:{}T\` a map of them, \`field:*\` a value decoded as opaque JSON
// (timestamps, RawExtension, JSON); a bare \`field\` holds scalars, or lists and maps of scalars.

/** \`group/Kind\` → its type below. */
export const builtinKinds: Readonly<Record<string, string>> = {
${kinds}
};

export const builtinFieldTypes: Readonly<Record<string, string>> = {
${body}
};
`);
