// KFP's placeholders in a container task's command and args ({{$}}, {{$.inputs.parameters['x']}}, Concat, IfPresent …),
// resolved against the task's ExecutorInput the way KFP's launcher does before it runs the user's command.
import { valueToText } from './cel.js';
import type { CommandItem, JsonValue } from './ir.js';

/** One artifact as ExecutorInput carries it (RuntimeArtifact, JSON names). */
export interface RuntimeArtifact {
  name: string;
  type: { schemaTitle?: string; schemaVersion?: string };
  uri: string;
  metadata: Record<string, JsonValue>;
}

/** KFP's ExecutorInput (JSON, lowerCamelCase), what `{{$}}` expands to. */
export interface ExecutorInput {
  inputs: { parameterValues: Record<string, JsonValue>; artifacts: Record<string, { artifacts: RuntimeArtifact[] }> };
  outputs: {
    parameters: Record<string, { outputFile: string }>;
    artifacts: Record<string, { artifacts: RuntimeArtifact[] }>;
    outputFile: string;
  };
}

/** Run- and task-level values behind `{{$.pipeline_job_name}}` and friends. */
export interface RunPlaceholders {
  pipeline_job_name: string;
  pipeline_job_resource_name: string;
  pipeline_job_uuid: string;
  pipeline_task_name: string;
  pipeline_task_uuid: string;
  pipeline_root: string;
  pipeline_job_create_time_utc: string;
  pipeline_job_schedule_time_utc: string;
  workspace_path: string;
}

export class PlaceholderError extends Error {}

const placeholder = /\{\{\$(?:\.[^{}]*)?\}\}/g;

/** Every command/args item resolved to strings; IfPresent may expand to zero or several items. */
export function resolveCommand(items: readonly CommandItem[] | undefined, input: ExecutorInput, run: RunPlaceholders): string[] {
  return (items ?? []).flatMap((item) => resolveItem(item, input, run));
}

/** The compiler writes Concat and IfPresent placeholders as JSON text in a string (`'{"IfPresent": {...}}'`). */
function structuredItem(text: string): CommandItem | undefined {
  const t = text.trim();
  if (!t.startsWith('{"Concat"') && !t.startsWith('{"IfPresent"')) return undefined;
  try {
    const parsed = JSON.parse(t) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && ('Concat' in parsed || 'IfPresent' in parsed)) return parsed as CommandItem;
  } catch {
    // Not JSON: an ordinary argument that happens to start that way.
  }
  return undefined;
}

function resolveItem(item: CommandItem, input: ExecutorInput, run: RunPlaceholders): string[] {
  if (typeof item === 'string') {
    const structured = structuredItem(item);
    return structured ? resolveItem(structured, input, run) : [resolveString(item, input, run)];
  }
  if ('Concat' in item) return [item.Concat.flatMap((part) => resolveItem(part, input, run)).join('')];
  if ('IfPresent' in item) {
    const { InputName, Then, Else } = item.IfPresent;
    const present = InputName in input.inputs.parameterValues || InputName in input.inputs.artifacts;
    const branch = present ? Then : Else;
    if (branch === undefined) return [];
    return (Array.isArray(branch) ? branch : [branch]).flatMap((part) => resolveItem(part, input, run));
  }
  throw new PlaceholderError(`unknown command item ${JSON.stringify(item)}`);
}

/** Replaces every placeholder inside a string (a whole argument, or embedded in one like `--x={{$.inputs.parameters['x']}}`). */
export function resolveString(text: string, input: ExecutorInput, run: RunPlaceholders): string {
  return text.replace(placeholder, (whole) => resolvePlaceholder(whole, input, run));
}

/** The value of run-level placeholders used as parameter values (dsl.PIPELINE_JOB_NAME_PLACEHOLDER …), or the text itself. */
export function resolveRunPlaceholders(value: JsonValue, run: RunPlaceholders): JsonValue {
  if (typeof value !== 'string') return value;
  return value.replace(placeholder, (whole) => {
    const key = whole.slice(4, -2) as keyof RunPlaceholders;
    return key in run ? run[key] : whole;
  });
}

function resolvePlaceholder(whole: string, input: ExecutorInput, run: RunPlaceholders): string {
  const body = whole.slice(3, -2); // after "{{$", before "}}"
  if (body === '') return JSON.stringify(input);
  const path = body.slice(1);
  if (path in run) return run[path as keyof RunPlaceholders];
  const m = /^(inputs|outputs)\.(parameters|artifacts)\['([^']+)'\](.*)$/.exec(path);
  if (m) {
    const [, side, kind, name, rest] = m as unknown as [string, 'inputs' | 'outputs', 'parameters' | 'artifacts', string, string];
    if (kind === 'parameters') {
      if (side === 'inputs') {
        if (!(name in input.inputs.parameterValues)) throw new PlaceholderError(`${whole}: the task has no input parameter "${name}"`);
        if (rest !== '') throw new PlaceholderError(`${whole}: an input parameter has no field "${rest}"`);
        return formatParameter(input.inputs.parameterValues[name]!);
      }
      const out = input.outputs.parameters[name];
      if (!out) throw new PlaceholderError(`${whole}: the task has no output parameter "${name}"`);
      if (rest !== '.output_file') throw new PlaceholderError(`${whole}: an output parameter offers only .output_file`);
      return out.outputFile;
    }
    const list = (side === 'inputs' ? input.inputs.artifacts : input.outputs.artifacts)[name]?.artifacts;
    if (!list) throw new PlaceholderError(`${whole}: the task has no ${side === 'inputs' ? 'input' : 'output'} artifact "${name}"`);
    if (rest === '') return JSON.stringify(list);
    const artifact = list[0];
    if (!artifact) throw new PlaceholderError(`${whole}: artifact "${name}" is empty`);
    if (rest === '.uri') return artifact.uri;
    if (rest === '.path') return localPath(artifact.uri);
    if (rest === '.metadata') return JSON.stringify(artifact.metadata);
    const meta = /^\.metadata\['([^']+)'\]$/.exec(rest);
    if (meta) {
      const v = artifact.metadata[meta[1]!];
      return v === undefined ? '' : formatParameter(v);
    }
    throw new PlaceholderError(`${whole}: unknown artifact field "${rest}"`);
  }
  if (path === 'outputs.output_file') return input.outputs.outputFile;
  throw new PlaceholderError(`${whole}: unknown placeholder`);
}

/** A parameter as text on a command line: strings raw, numbers shortest without exponent, bools true/false, lists and
 * structs as JSON (KFP's launcher). */
export const formatParameter = valueToText;

/** Where an artifact's bytes are on the machine running the task. Floe keeps artifacts in a local folder, so a plain
 * path is its own location; KFP's remote schemes map to their mount prefixes as the SDK does. */
export function localPath(uri: string): string {
  for (const [prefix, mount] of [
    ['gs://', '/gcs/'],
    ['minio://', '/minio/'],
    ['s3://', '/s3/'],
  ] as const) {
    if (uri.startsWith(prefix)) return mount + uri.slice(prefix.length);
  }
  if (uri.startsWith('file://')) return uri.slice('file://'.length);
  return uri;
}
