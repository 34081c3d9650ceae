// KFP v2's task cache fingerprint (backend/src/v2/cacheutils GenerateFingerPrint, driver getFingerPrint): the
// SHA-256 of the ml_pipelines.CacheKey message as protojson writes it, decoded and re-encoded by Go's encoding/json.
// Reproduced byte for byte: protojson's camelCase names with empty fields left out, then Go's map-key order (UTF-8
// bytes), compact output, its float format and its HTML-safe string escaping. testdata/fingerprints.json, written by
// tools/kfp-fingerprint with the Go protobuf runtime, holds the reference values the tests compare against.
import { createHash } from 'node:crypto';
import type { ArtifactTypeSchema, JsonValue } from './ir.js';

/** An output artifact as it enters the key: the provisioned RuntimeArtifact with its URI wiped. */
export interface CacheKeyOutputArtifact {
  name?: string;
  type?: ArtifactTypeSchema;
  /** Left out when absent; `{}` is kept (protojson writes a set, empty Struct). */
  metadata?: Record<string, JsonValue>;
}

export interface CacheKeyInput {
  /** The task's componentRef.name, e.g. `comp-train`. */
  componentName: string;
  /** cachingOptions.cacheKey: when non-empty it alone (with the component name) makes the fingerprint. */
  cacheKey?: string;
  /** Input artifact name → the names (MLMD artifact ids as strings) of the artifacts given to it. */
  inputArtifactNames: Record<string, string[]>;
  /** The resolved ExecutorInput.inputs.parameterValues. */
  inputParameterValues: Record<string, JsonValue>;
  /** Output artifact name → its provisioned artifact (first of its list). */
  outputArtifactsSpec: Record<string, CacheKeyOutputArtifact>;
  /** Output parameter name → its ParameterType enum name (a ParameterType: `STRING`, `NUMBER_DOUBLE`, …). */
  outputParametersSpec: Record<string, string>;
  containerSpec: {
    image: string;
    /** The container's command followed by its args, placeholders unresolved, as in the IR. */
    cmdArgs: string[];
    /** Names of the PVCs mounted into the task; de-duplicated and sorted here, as the KFP driver does. */
    pvcNames?: string[];
    /** Only newer KFP drivers put the container env into the key; leave out to match the common case. */
    env?: { name: string; value?: string }[];
  };
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function isEmpty(o: object): boolean {
  return Object.keys(o).length === 0;
}

/** Go's sort.Strings order: bytewise on UTF-8, which differs from JS's UTF-16 order above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The CacheKey as protojson would write it, as plain JSON (before Go re-encodes it). */
function protojsonCacheKey(input: CacheKeyInput): Record<string, JsonValue> {
  const key: Record<string, JsonValue> = {};

  const names: Record<string, JsonValue> = {};
  for (const [name, ids] of Object.entries(input.inputArtifactNames)) names[name] = ids.length === 0 ? {} : { artifactNames: [...ids] };
  if (!isEmpty(names)) key.inputArtifactNames = names;

  if (!isEmpty(input.inputParameterValues)) key.inputParameterValues = input.inputParameterValues;

  const outputs: Record<string, JsonValue> = {};
  for (const [name, a] of Object.entries(input.outputArtifactsSpec)) {
    const art: Record<string, JsonValue> = {};
    if (a.name) art.name = a.name;
    if (a.type) {
      const t: Record<string, JsonValue> = {};
      // schemaTitle/schemaUri/instanceSchema are a oneof (written when set, even to ""); schemaVersion only when non-empty.
      if (a.type.schemaTitle !== undefined) t.schemaTitle = a.type.schemaTitle;
      else if (a.type.schemaUri !== undefined) t.schemaUri = a.type.schemaUri;
      else if (a.type.instanceSchema !== undefined) t.instanceSchema = a.type.instanceSchema;
      if (a.type.schemaVersion) t.schemaVersion = a.type.schemaVersion;
      art.type = t;
    }
    if (a.metadata !== undefined) art.metadata = a.metadata;
    outputs[name] = art;
  }
  if (!isEmpty(outputs)) key.outputArtifactsSpec = outputs;

  if (!isEmpty(input.outputParametersSpec)) key.outputParametersSpec = { ...input.outputParametersSpec };

  const c = input.containerSpec;
  const container: Record<string, JsonValue> = {};
  if (c.image) container.image = c.image;
  if (c.cmdArgs.length > 0) container.cmdArgs = [...c.cmdArgs];
  const pvcs = [...new Set(c.pvcNames ?? [])].sort(compareUtf8);
  if (pvcs.length > 0) container.pvcNames = pvcs;
  if (c.env && c.env.length > 0) {
    container.env = c.env.map((e) => {
      const v: Record<string, JsonValue> = {};
      if (e.name) v.name = e.name;
      if (e.value) v.value = e.value;
      return v;
    });
  }
  key.containerSpec = container;
  return key;
}

/** A float64 as Go's encoding/json writes it (strconv 'f' for 1e-6 <= |x| < 1e21, else 'e' with a short exponent). */
export function goFormatFloat(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n}`);
  // JS and Go agree on shortest round-trip digits and on where to switch to exponent form; Go keeps the sign of -0.
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A string as Go's encoding/json writes it: HTML-safe (<, >, & escaped), U+2028/9 escaped, bad UTF-16 as U+FFFD. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const named = escapes[ch];
    if (named) out += named;
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + (s[i + 1] as string);
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/** JSON as Go's json.Marshal writes a value json.Unmarshal decoded: map keys sorted by UTF-8 bytes, compact. */
export function goMarshal(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goFormatFloat(v);
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort(compareUtf8);
  return `{${keys.map((k) => `${goQuote(k)}:${goMarshal(v[k] as JsonValue)}`).join(',')}}`;
}

/** The exact bytes (as a string) KFP hashes for this task; useful when a cache hit or miss needs explaining. */
export function canonicalCacheKey(input: CacheKeyInput): string {
  if (input.cacheKey) return input.componentName ? `${input.componentName}\u0000${input.cacheKey}` : input.cacheKey;
  return goMarshal(protojsonCacheKey(input));
}

/** KFP's cache fingerprint for a task: 64 hex digits. */
export function cacheKeyFingerprint(input: CacheKeyInput): string {
  return sha256Hex(canonicalCacheKey(input));
}
