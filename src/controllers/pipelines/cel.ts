// KFP's CEL expressions: task trigger conditions (triggerPolicy.condition) and parameter selectors
// (parameterExpressionSelector), evaluated the way the KFP v2 driver does (backend/src/v2/expression).
//
// What KFP exposes, and so what this module exposes:
// - A condition sees the task's resolved ExecutorInput under its proto (snake_case) field names:
//   `inputs.parameter_values['x']`, `inputs.artifacts['a'].artifacts[0].metadata['k']`, `outputs...`.
//   Parameter values are google.protobuf.Value, so every number is a CEL double (an integer output
//   arrives as 3.0); the SDK wraps integer operands in int(...) for that reason. A missing key is an
//   evaluation error, as in KFP. The result must be a bool.
// - A selector sees the fields of one google.protobuf.Value: the one that is set (`number_value`,
//   `bool_value`, `struct_value`, `list_value`, `null_value`, `string_value`) and always
//   `string_value`, the value as text (strings raw, numbers without exponent, lists/structs as JSON).
// - Both have `parseJson(string): dyn`.
import { Environment } from '@marcbachmann/cel-js';
import { goMarshal } from './fingerprint.js';
import type { JsonValue } from './ir.js';

/** The part of an ExecutorInput (JSON names, as Floe builds it) that a condition can read. */
export interface ConditionInput {
  inputs: {
    /** google.protobuf.Value JSON: every number is a double to CEL. */
    parameterValues?: Record<string, unknown>;
    artifacts?: Record<string, { artifacts?: RuntimeArtifactJson[] }>;
  };
  outputs?: {
    parameters?: Record<string, { outputFile?: string }>;
    artifacts?: Record<string, { artifacts?: RuntimeArtifactJson[] }>;
    outputFile?: string;
  };
}

export interface RuntimeArtifactJson {
  name?: string;
  type?: { schemaTitle?: string; schemaUri?: string; instanceSchema?: string; schemaVersion?: string };
  uri?: string;
  metadata?: Record<string, unknown>;
  customPath?: string;
}

type Program = (context: Record<string, unknown>) => unknown;

const selectorFields = ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'] as const;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`parseJson: failed to unmarshal JSON: ${(err as Error).message}`);
  }
}

function newEnvironment(variables: readonly string[]): Environment {
  const env = new Environment({ homogeneousAggregateLiterals: false });
  for (const name of variables) env.registerVariable(name, 'dyn');
  env.registerFunction('parseJson(string): dyn', parseJson);
  return env;
}

/** Parses and caches programs of one kind. Environments are costly to build, so each kind has one. */
class ProgramCache {
  readonly #env: Environment;
  readonly #programs = new Map<string, Program>();
  readonly #limit: number;

  constructor(variables: readonly string[], limit = 1000) {
    this.#env = newEnvironment(variables);
    this.#limit = limit;
  }

  get(expr: string, what: string): Program {
    let program = this.#programs.get(expr);
    if (program) return program;
    try {
      program = this.#env.parse(expr) as Program;
    } catch (err) {
      throw new Error(`${what} ${JSON.stringify(expr)} does not parse: ${celMessage(err)}`, { cause: err });
    }
    if (this.#programs.size >= this.#limit) this.#programs.clear();
    this.#programs.set(expr, program);
    return program;
  }

  /** Parse and type-check, as KFP's cel-go Compile does before a run: undeclared names and impossible operators fail. */
  check(expr: string): string | undefined {
    const result = this.#env.check(expr);
    return result.valid ? undefined : celMessage(result.error);
  }
}

let conditions: ProgramCache | undefined;
let selectors: ProgramCache | undefined;

function conditionPrograms(): ProgramCache {
  conditions ??= new ProgramCache(['inputs', 'outputs']);
  return conditions;
}

function selectorPrograms(): ProgramCache {
  selectors ??= new ProgramCache(selectorFields);
  return selectors;
}

function celMessage(err: unknown): string {
  if (err instanceof Error) {
    const summary = (err as { summary?: unknown }).summary;
    return typeof summary === 'string' ? summary : err.message;
  }
  return String(err);
}

/** Returns why `expr` is not a valid trigger condition (it does not parse or type-check), or undefined. */
export function checkCondition(expr: string): string | undefined {
  return conditionPrograms().check(expr);
}

/** Returns why `expr` is not a valid parameterExpressionSelector (it does not parse or type-check), or undefined. */
export function checkSelector(expr: string): string | undefined {
  return selectorPrograms().check(expr);
}

function artifactToProto(a: RuntimeArtifactJson): Record<string, unknown> {
  const t = a.type ?? {};
  return {
    name: a.name ?? '',
    type: {
      schema_title: t.schemaTitle ?? '',
      schema_uri: t.schemaUri ?? '',
      instance_schema: t.instanceSchema ?? '',
      schema_version: t.schemaVersion ?? '',
    },
    uri: a.uri ?? '',
    properties: {},
    custom_properties: {},
    metadata: a.metadata ?? {},
    custom_path: a.customPath ?? '',
  };
}

function artifactListsToProto(lists: Record<string, { artifacts?: RuntimeArtifactJson[] }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, list] of Object.entries(lists ?? {})) out[name] = { artifacts: (list.artifacts ?? []).map(artifactToProto) };
  return out;
}

/** The ExecutorInput as the KFP driver hands it to CEL: proto field names, unset fields at their defaults. */
function conditionContext(input: ConditionInput): Record<string, unknown> {
  const outputs = input.outputs ?? {};
  const outParams: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(outputs.parameters ?? {})) outParams[name] = { output_file: p.outputFile ?? '' };
  return {
    inputs: {
      parameters: {},
      parameter_values: input.inputs.parameterValues ?? {},
      artifacts: artifactListsToProto(input.inputs.artifacts),
    },
    outputs: {
      parameters: outParams,
      artifacts: artifactListsToProto(outputs.artifacts),
      output_file: outputs.outputFile ?? '',
    },
  };
}

/**
 * Evaluates a KFP trigger condition against a task's resolved inputs. True runs the task, false skips it.
 * Throws an Error naming the expression when it does not parse, fails to evaluate, or is not a bool.
 */
export function evaluateCondition(expr: string, executorInput: ConditionInput): boolean {
  const program = conditionPrograms().get(expr, 'condition');
  let result: unknown;
  try {
    result = program(conditionContext(executorInput));
  } catch (err) {
    throw new Error(`condition ${JSON.stringify(expr)} failed to evaluate: ${celMessage(err)}`, { cause: err });
  }
  if (typeof result !== 'boolean') {
    throw new Error(`condition ${JSON.stringify(expr)} evaluated to ${describe(result)}, not a bool`);
  }
  return result;
}

/** A number as Go's strconv.FormatFloat(f, 'f', -1, 64) writes it: shortest digits, never an exponent. */
export function formatFloatNoExponent(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const pointAt = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${out}` : out;
}

/**
 * A google.protobuf.Value in KFP's text form (PbValueToText): strings raw, numbers without exponent, null empty,
 * lists and structs as Go's json.Marshal writes them (sorted keys, compact, <, >, & escaped).
 */
export function valueToText(v: JsonValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloatNoExponent(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return goMarshal(v);
}

function selectorContext(v: JsonValue): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (v === null) fields.null_value = null;
  else if (typeof v === 'number') fields.number_value = v;
  else if (typeof v === 'boolean') fields.bool_value = v;
  else if (Array.isArray(v)) fields.list_value = v;
  else if (typeof v === 'object') fields.struct_value = v;
  fields.string_value = valueToText(v);
  return fields;
}

/** Converts a CEL result back to a JSON value, as structpb.NewValue would (ints and uints become numbers). */
function celToJson(v: unknown, expr: string): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map((x) => celToJson(x, expr));
  if (v instanceof Map) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of v) out[String(k)] = celToJson(x, expr);
    return out;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = celToJson(x, expr);
    return out;
  }
  if (typeof v === 'object' && v !== null && 'value' in v) {
    // A CEL uint (cel-js's UnsignedInt wraps a bigint).
    const inner: unknown = v.value;
    if (typeof inner === 'bigint') return Number(inner);
  }
  throw new Error(`parameterExpressionSelector ${JSON.stringify(expr)} produced ${describe(v)}, which is not a JSON value`);
}

/**
 * Applies a parameterExpressionSelector (e.g. `parseJson(string_value)["a"]`, `struct_value.a`) to a parameter value.
 * Throws an Error naming the expression when it does not parse or fails to evaluate.
 */
export function selectParameter(expr: string, value: JsonValue): JsonValue {
  const program = selectorPrograms().get(expr, 'parameterExpressionSelector');
  let result: unknown;
  try {
    result = program(selectorContext(value));
  } catch (err) {
    throw new Error(`parameterExpressionSelector ${JSON.stringify(expr)} failed to evaluate: ${celMessage(err)}`, { cause: err });
  }
  return celToJson(result, expr);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `the int ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `the double ${v}`;
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}
