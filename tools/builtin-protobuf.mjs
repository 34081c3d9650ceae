// Generates src/server/protobuf-schema-data.ts: the protobuf field numbers of the built-in kinds, read from the
// generated.proto files of the Kubernetes release tools/control-plane pins (run after `go mod download` there, or after
// `node tools/control-plane.mjs build`), with the JSON omitempty/pointer facts of the Go types (types.go) so that a
// decoded body reads as kube-apiserver's JSON of the same object would.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const mod = join(process.env.GOMODCACHE ?? join(homedir(), '.cache', 'floe', 'go', 'mod'), 'k8s.io');
const v = 'v0.32.3';
// proto package → [proto file, Go types files, apiVersion (undefined: no kinds)]
const packages = [
  ['k8s.io.apimachinery.pkg.apis.meta.v1', `apimachinery@${v}/pkg/apis/meta/v1/generated.proto`, [`apimachinery@${v}/pkg/apis/meta/v1/types.go`, `apimachinery@${v}/pkg/apis/meta/v1/time.go`, `apimachinery@${v}/pkg/apis/meta/v1/micro_time.go`], undefined],
  ['k8s.io.api.core.v1', `api@${v}/core/v1/generated.proto`, [`api@${v}/core/v1/types.go`], 'v1'],
  ['k8s.io.api.apps.v1', `api@${v}/apps/v1/generated.proto`, [`api@${v}/apps/v1/types.go`], 'apps/v1'],
  ['k8s.io.api.batch.v1', `api@${v}/batch/v1/generated.proto`, [`api@${v}/batch/v1/types.go`], 'batch/v1'],
  ['k8s.io.api.autoscaling.v1', `api@${v}/autoscaling/v1/generated.proto`, [`api@${v}/autoscaling/v1/types.go`], 'autoscaling/v1'],
  ['k8s.io.api.autoscaling.v2', `api@${v}/autoscaling/v2/generated.proto`, [`api@${v}/autoscaling/v2/types.go`], 'autoscaling/v2'],
  ['k8s.io.api.policy.v1', `api@${v}/policy/v1/generated.proto`, [`api@${v}/policy/v1/types.go`], 'policy/v1'],
  ['k8s.io.api.networking.v1', `api@${v}/networking/v1/generated.proto`, [`api@${v}/networking/v1/types.go`], 'networking.k8s.io/v1'],
  ['k8s.io.api.storage.v1', `api@${v}/storage/v1/generated.proto`, [`api@${v}/storage/v1/types.go`], 'storage.k8s.io/v1'],
  ['k8s.io.api.scheduling.v1', `api@${v}/scheduling/v1/generated.proto`, [`api@${v}/scheduling/v1/types.go`], 'scheduling.k8s.io/v1'],
  ['k8s.io.api.rbac.v1', `api@${v}/rbac/v1/generated.proto`, [`api@${v}/rbac/v1/types.go`], 'rbac.authorization.k8s.io/v1'],
  ['k8s.io.api.coordination.v1', `api@${v}/coordination/v1/generated.proto`, [`api@${v}/coordination/v1/types.go`], 'coordination.k8s.io/v1'],
  ['k8s.io.api.discovery.v1', `api@${v}/discovery/v1/generated.proto`, [`api@${v}/discovery/v1/types.go`], 'discovery.k8s.io/v1'],
];
// Messages the decoder reads itself (well-known Kubernetes value types).
const special = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'fieldsv1',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'raw',
};
const scalars = { string: 's', bytes: 'b', bool: 'B', int32: 'i', int64: 'i', uint32: 'i', uint64: 'i', double: 'd', float: 'f' };

/** Go struct field facts: `Struct.json` → { pointer, omitempty, slice }; named slice types. */
const goFields = new Map();
const namedSlices = new Set();
for (const [pkg, , goFiles] of packages) {
  for (const file of goFiles) {
    const path = join(mod, file);
    if (!existsSync(path)) continue;
    const src = readFileSync(path, 'utf8').replace(/\/\/.*$/gm, '');
    for (const m of src.matchAll(/^type (\w+) struct \{([\s\S]*?)^\}/gm)) {
      for (const line of m[2].split('\n')) {
        // An embedded struct inlined into its parent's JSON (`VolumeSource \`json:",inline"\``): a nested message in protobuf.
        const embedded = /^\s*([\w.]+)\s*`(.*)`/.exec(line);
        if (embedded && /json:",inline"/.test(embedded[2])) {
          const protoName = /name=(\w+)/.exec(embedded[2])?.[1];
          if (protoName) goFields.set(`${pkg}.${m[1]}.${protoName}`, { inline: true });
          continue;
        }
        const f = /^\s*(\w+)\s+([\w.*[\]]+)\s*`(.*)`/.exec(line);
        if (!f) continue;
        const tag = /json:"([^"]*)"/.exec(f[3])?.[1];
        if (!tag) continue;
        const [name, ...opts] = tag.split(',');
        goFields.set(`${pkg}.${m[1]}.${name}`, { pointer: f[2].startsWith('*'), omitempty: opts.includes('omitempty') });
      }
    }
    for (const m of src.matchAll(/^type (\w+) \[\](\w+)$/gm)) namedSlices.add(`${pkg}.${m[1]}`);
  }
}

const messages = {};
const kinds = {};
for (const [pkg, protoFile, , apiVersion] of packages) {
  const src = readFileSync(join(mod, protoFile), 'utf8').replace(/\/\/.*$/gm, '');
  for (const m of src.matchAll(/^message (\w+) \{([\s\S]*?)^\}/gm)) {
    const full = `${pkg}.${m[1]}`;
    if (special[full]) continue;
    const fields = [];
    for (const line of m[2].split('\n')) {
      const f = /^\s*(optional|repeated)?\s*(map<\s*string\s*,\s*([\w.]+)\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)/.exec(line);
      if (!f) continue;
      const [, label, typeExpr, mapValue, name, num] = f;
      const resolve = (t) => {
        if (scalars[t]) return scalars[t];
        const q = t.startsWith('.') ? t.slice(1) : `${pkg}.${t}`;
        return special[q] ? `@${special[q]}` : `=${q}`;
      };
      let code = mapValue ? `M${resolve(mapValue)}` : resolve(typeExpr);
      if (label === 'repeated') code = `r${code}`;
      const go = goFields.get(`${full}.${name}`);
      if (go?.inline) code = `^${code}`;
      // A non-pointer omitempty scalar: Go's JSON leaves out its zero value, which protobuf still writes.
      if (go && !go.pointer && go.omitempty && label !== 'repeated' && !code.startsWith('=') && !code.startsWith('M')) code = `z${code}`;
      fields.push(`${num}:${name}:${code}`);
    }
    messages[full] = fields.join(' ');
    if (namedSlices.has(full)) messages[full] = `*${messages[full]}`;
    if (apiVersion && fields.some((f) => f.startsWith('1:metadata:=k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta'))) kinds[`${apiVersion}/${m[1]}`] = full;
  }
}

const lines = [
  '// The protobuf field numbers of the built-in kinds, for decoding the bodies client-go sends (kubectl create deployment …).',
  '//',
  `// Generated by tools/builtin-protobuf.mjs from the generated.proto files of k8s.io/api and k8s.io/apimachinery ${v}`,
  '// (Kubernetes 1.32.3). Each message lists `number:jsonName:type`; type codes: s string, b bytes, B bool, i integer,',
  '// d double, f float, =Message a nested message, @time/@quantity/… a value type the decoder reads itself, M<type> a',
  '// map with string keys, r<type> a repeated field, z<type> a scalar Go leaves out of JSON when zero, ^<type> a struct Go',
  "// inlines into its parent's JSON (a Volume's VolumeSource, a Probe's handler). A message starting",
  "// with '*' stands for a Go named slice (its `items` are the value).",
  '',
  '/** `apiVersion/Kind` → its message. */',
  'export const protobufKinds: Readonly<Record<string, string>> = {',
  ...Object.entries(kinds).sort().map(([k, m]) => `  ${JSON.stringify(k)}: ${JSON.stringify(m)},`),
  '};',
  '',
  'export const protobufMessages: Readonly<Record<string, string>> = {',
  ...Object.entries(messages).sort().map(([k, m]) => `  ${JSON.stringify(k)}: ${JSON.stringify(m)},`),
  '};',
  '',
];
writeFileSync(new URL('../src/server/protobuf-schema-data.ts', import.meta.url), lines.join('\n'));
process.stdout.write(`${Object.keys(kinds).length} kinds, ${Object.keys(messages).length} messages\n`);
