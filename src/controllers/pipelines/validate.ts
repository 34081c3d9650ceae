// Checks a compiled KFP PipelineSpec (and its Kubernetes platform spec and a run's parameters) before Floe accepts
// it: every problem at once, each naming the field path (`pipeline_spec.…`, `platform_spec.…`,
// `runtime_config.parameters.…`) and what is wrong. Also reads the one- or two-document pipeline YAML the SDK writes,
// and fills a run's parameters with the pipeline's defaults.
import { parseAllDocuments } from 'yaml';
import { checkCondition, checkSelector } from './cel.js';
import type { JsonValue, ParameterType } from './ir.js';

/** A pipeline file Floe could not read at all (not YAML or JSON, or not one or two documents). */
export class PipelineYamlError extends Error {
  override readonly name = 'PipelineYamlError';
}

export interface ParsedPipeline {
  spec: unknown;
  platform?: unknown;
}

const parameterTypes: readonly ParameterType[] = [
  'PARAMETER_TYPE_ENUM_UNSPECIFIED',
  'NUMBER_DOUBLE',
  'NUMBER_INTEGER',
  'STRING',
  'BOOLEAN',
  'LIST',
  'STRUCT',
  'TASK_FINAL_STATUS',
  'TASK_CONFIG',
];

const triggerStrategies = ['TRIGGER_STRATEGY_UNSPECIFIED', 'ALL_UPSTREAM_TASKS_SUCCEEDED', 'ALL_UPSTREAM_TASKS_COMPLETED'];

/**
 * Reads a pipeline file as `kfp` compiles it: YAML (or JSON) with the PipelineSpec as the first document and the
 * optional PlatformSpec (`platforms: {kubernetes: …}`) as the second. Also accepts one document of the form
 * `{pipeline_spec, platform_spec}` (how the KFP REST API nests the two). Throws PipelineYamlError with the line and
 * column of a syntax error.
 */
export function parsePipelineYaml(text: string): ParsedPipeline {
  const docs = parseYamlDocuments(text, { prettyErrors: true, uniqueKeys: false });
  if (!Array.isArray(docs)) throw new PipelineYamlError('pipeline YAML is empty');
  const values: unknown[] = [];
  for (const [i, doc] of docs.entries()) {
    const err = doc.errors[0];
    if (err) {
      const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
      throw new PipelineYamlError(`pipeline YAML document ${i + 1} is not valid YAML${where}: ${firstLine(err.message)}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) values.push(value);
  }
  if (values.length === 0) throw new PipelineYamlError('pipeline YAML is empty');
  if (values.length > 2) {
    throw new PipelineYamlError(`pipeline YAML has ${values.length} documents; expected the PipelineSpec and at most one PlatformSpec`);
  }
  if (values.length === 1) return splitPipelineAndPlatform(values[0]);
  return { spec: values[0], platform: values[1] };
}

/**
 * The documents of a YAML text. A quoted scalar continued on lines at (or left of) the indent of the block it is in, as
 * other emitters write it after a list item's `- `, is accepted as PyYAML and Go's yaml.v3 accept it: when the strict
 * parse fails, such continuation lines are indented under their item and the text is parsed again (leading spaces of a
 * quoted scalar's continuation lines are folded away, so the value is unchanged).
 */
export function parseYamlDocuments(text: string, options: Parameters<typeof parseAllDocuments>[1] = {}): ReturnType<typeof parseAllDocuments> {
  const docs = parseAllDocuments(text, options);
  if (!Array.isArray(docs) || !docs.some((d) => d.errors.length > 0)) return docs;
  const fixed = indentQuotedContinuations(text);
  if (fixed === text) return docs;
  const again = parseAllDocuments(fixed, options);
  return Array.isArray(again) && !again.some((d) => d.errors.length > 0) ? again : docs;
}

/** Indents the continuation lines of multi-line quoted scalars that start a block value (`- '…`, `key: "…`). */
export function indentQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  let open: { quote: string; indent: number } | undefined;
  /** Scans `s` from `from` inside a scalar quoted with `quote`; the index after its closing quote, or -1. */
  const closeAt = (s: string, from: number, quote: string): number => {
    for (let i = from; i < s.length; i++) {
      const c = s[i];
      if (quote === '"' && c === '\\') {
        i++;
        continue;
      }
      if (c === quote) {
        if (quote === "'" && s[i + 1] === "'") {
          i++;
          continue;
        }
        return i + 1;
      }
    }
    return -1;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (open) {
      if (line.trim() === '') continue;
      const body = line.trimStart();
      lines[n] = `${' '.repeat(open.indent + 2)}${body}`;
      if (closeAt(body, 0, open.quote) >= 0) open = undefined;
      continue;
    }
    const m = /^(\s*)(?:- +|[^\s#'"][^#]*?: +|- +[^\s#'"][^#]*?: +)(['"])/.exec(line);
    if (!m) continue;
    const start = m[0].length;
    if (closeAt(line, start, m[2]!) < 0) open = { quote: m[2]!, indent: m[1]!.length };
  }
  return lines.join('\n');
}

/** Unwraps `{pipeline_spec, platform_spec}` (the REST API's nesting) into its two parts; anything else is the spec. */
export function splitPipelineAndPlatform(value: unknown): ParsedPipeline {
  if (isObject(value) && isObject(value.pipeline_spec) && !('root' in value)) {
    return value.platform_spec === undefined ? { spec: value.pipeline_spec } : { spec: value.pipeline_spec, platform: value.platform_spec };
  }
  return { spec: value };
}

/** The first line of a yaml error message, without the position that prettyErrors appends (we print our own). */
function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?\s*$/, '');
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** A key as it appears in a problem path: plain when it is a simple name, quoted otherwise. */
function key(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the bool ${v}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** A protobuf Duration in its JSON form: seconds with up to nine fractional digits and an `s` ("0s", "1.5s"). */
const durationPattern = /^(-)?(\d+)(\.\d{1,9})?s$/;
const maxDurationSeconds = 315_576_000_000;

function durationProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return `must be a duration string such as "0s", "1.5s" or "3600s", not ${describe(v)}`;
  const m = durationPattern.exec(v);
  if (!m) return `${JSON.stringify(v)} is not a duration; write seconds with an "s", such as "0s", "1.5s" or "3600s"`;
  if (m[1]) return `${JSON.stringify(v)} is negative`;
  if (Number(m[2]) > maxDurationSeconds) return `${JSON.stringify(v)} is longer than a protobuf Duration allows`;
  return undefined;
}

interface ComponentView {
  path: string;
  inputParameters: Obj;
  inputArtifacts: Obj;
  outputParameters: Obj;
  outputArtifacts: Obj;
}

class Checker {
  readonly problems: string[] = [];
  readonly components: Obj;
  readonly executors: Obj;

  constructor(readonly spec: Obj) {
    this.components = isObject(spec.components) ? spec.components : {};
    const deployment = spec.deploymentSpec;
    this.executors = isObject(deployment) && isObject(deployment.executors) ? deployment.executors : {};
  }

  add(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  run(): void {
    const spec = this.spec;
    const info = spec.pipelineInfo;
    if (!isObject(info)) this.add('pipeline_spec.pipelineInfo', 'is required (an object with the pipeline name)');
    else if (!isNonEmptyString(info.name)) this.add('pipeline_spec.pipelineInfo.name', `must be a non-empty string, not ${describe(info.name)}`);
    else if (!isPathSegment(info.name)) this.add('pipeline_spec.pipelineInfo.name', `${JSON.stringify(info.name)} names a folder of the pipeline root: it may not contain "/" or be "." or ".."`);

    if (spec.schemaVersion === undefined) this.add('pipeline_spec.schemaVersion', 'is required (the SDK writes "2.1.0")');
    else if (typeof spec.schemaVersion !== 'string' || !/^2\.\d+(\.\d+)?$/.test(spec.schemaVersion)) {
      this.add('pipeline_spec.schemaVersion', `${describe(spec.schemaVersion)} is not supported; Floe runs PipelineSpec schema 2.x`);
    }

    if (spec.components !== undefined && !isObject(spec.components)) this.add('pipeline_spec.components', `must be a map of components, not ${describe(spec.components)}`);
    if (spec.deploymentSpec !== undefined) {
      if (!isObject(spec.deploymentSpec)) this.add('pipeline_spec.deploymentSpec', `must be an object, not ${describe(spec.deploymentSpec)}`);
      else if (spec.deploymentSpec.executors !== undefined && !isObject(spec.deploymentSpec.executors)) {
        this.add('pipeline_spec.deploymentSpec.executors', `must be a map of executors, not ${describe(spec.deploymentSpec.executors)}`);
      }
    }
    for (const [label, executor] of Object.entries(this.executors)) this.checkExecutor(`pipeline_spec.deploymentSpec.executors.${key(label)}`, executor);

    for (const [name, component] of Object.entries(this.components)) {
      this.checkComponent(`pipeline_spec.components.${key(name)}`, component, false);
    }
    if (!isObject(spec.root)) this.add('pipeline_spec.root', 'is required (the pipeline\'s root component, a DAG)');
    else this.checkComponent('pipeline_spec.root', spec.root, true);
    this.checkComponentRecursion();
  }

  checkExecutor(path: string, executor: unknown): void {
    if (!isObject(executor)) {
      this.add(path, `must be an object with a container or an importer, not ${describe(executor)}`);
      return;
    }
    const kinds = ['container', 'importer', 'resolver', 'customJob'].filter((k) => executor[k] !== undefined && executor[k] !== null);
    if (kinds.length !== 1) {
      this.add(path, kinds.length === 0 ? 'has no container or importer' : `must have exactly one of container or importer, not ${kinds.join(' and ')}`);
      return;
    }
    const kind = kinds[0];
    if (kind === 'resolver' || kind === 'customJob') {
      this.add(`${path}.${kind}`, `${kind} executors are not supported by Floe (use a container or an importer)`);
      return;
    }
    if (kind === 'container') {
      const c = executor.container;
      if (!isObject(c)) {
        this.add(`${path}.container`, `must be an object, not ${describe(c)}`);
        return;
      }
      if (!isNonEmptyString(c.image) || c.image.trim() === '') this.add(`${path}.container.image`, `must be a non-empty string, not ${describe(c.image)}`);
      for (const field of ['command', 'args'] as const) {
        const list = c[field];
        if (list === undefined) continue;
        if (!Array.isArray(list)) this.add(`${path}.container.${field}`, `must be a list, not ${describe(list)}`);
        else list.forEach((item, i) => this.checkCommandItem(`${path}.container.${field}[${i}]`, item));
      }
      if (c.env !== undefined) {
        if (!Array.isArray(c.env)) this.add(`${path}.container.env`, `must be a list of {name, value}, not ${describe(c.env)}`);
        else {
          c.env.forEach((e, i) => {
            if (!isObject(e) || !isNonEmptyString(e.name)) this.add(`${path}.container.env[${i}].name`, 'must be a non-empty string');
          });
        }
      }
      return;
    }
    const imp = executor.importer;
    if (!isObject(imp)) {
      this.add(`${path}.importer`, `must be an object, not ${describe(imp)}`);
      return;
    }
    const uri = imp.artifactUri;
    if (!isObject(uri) || (uri.constant === undefined && uri.runtimeParameter === undefined && uri.constantValue === undefined)) {
      this.add(`${path}.importer.artifactUri`, 'must give a constant or a runtimeParameter');
    } else if (uri.runtimeParameter !== undefined && !isNonEmptyString(uri.runtimeParameter)) {
      this.add(`${path}.importer.artifactUri.runtimeParameter`, `must name an input parameter, not ${describe(uri.runtimeParameter)}`);
    }
    if (!isObject(imp.typeSchema)) this.add(`${path}.importer.typeSchema`, 'is required (the artifact type, e.g. {schemaTitle: system.Model})');
  }

  checkCommandItem(path: string, item: unknown): void {
    if (typeof item === 'string') return;
    if (isObject(item) && Array.isArray(item.Concat)) {
      item.Concat.forEach((x, i) => this.checkCommandItem(`${path}.Concat[${i}]`, x));
      return;
    }
    if (isObject(item) && isObject(item.IfPresent)) {
      const p = item.IfPresent;
      if (!isNonEmptyString(p.InputName)) this.add(`${path}.IfPresent.InputName`, 'must name an input');
      for (const branch of ['Then', 'Else'] as const) {
        const b = p[branch];
        if (b === undefined) continue;
        if (Array.isArray(b)) b.forEach((x, i) => this.checkCommandItem(`${path}.IfPresent.${branch}[${i}]`, x));
        else this.checkCommandItem(`${path}.IfPresent.${branch}`, b);
      }
      return;
    }
    this.add(path, `must be a string or a {Concat} / {IfPresent} placeholder, not ${describe(item)}`);
  }

  view(path: string, component: Obj): ComponentView {
    const inputs = isObject(component.inputDefinitions) ? component.inputDefinitions : {};
    const outputs = isObject(component.outputDefinitions) ? component.outputDefinitions : {};
    return {
      path,
      inputParameters: isObject(inputs.parameters) ? inputs.parameters : {},
      inputArtifacts: isObject(inputs.artifacts) ? inputs.artifacts : {},
      outputParameters: isObject(outputs.parameters) ? outputs.parameters : {},
      outputArtifacts: isObject(outputs.artifacts) ? outputs.artifacts : {},
    };
  }

  checkComponent(path: string, component: unknown, isRoot: boolean): void {
    if (!isObject(component)) {
      this.add(path, `must be an object, not ${describe(component)}`);
      return;
    }
    this.checkDefinitions(path, component);
    const hasDag = component.dag !== undefined;
    const hasExecutor = component.executorLabel !== undefined;
    if (isRoot && !hasDag) {
      this.add(`${path}.dag`, 'is required: the root component is a DAG of tasks');
      return;
    }
    if (hasDag && hasExecutor) {
      this.add(path, 'must have either a dag or an executorLabel, not both');
      return;
    }
    if (!hasDag && !hasExecutor) {
      this.add(path, 'has neither a dag nor an executorLabel');
      return;
    }
    if (hasExecutor) {
      const label = component.executorLabel;
      if (!isNonEmptyString(label)) this.add(`${path}.executorLabel`, `must be a non-empty string, not ${describe(label)}`);
      else if (!(label in this.executors)) {
        this.add(`${path}.executorLabel`, `executor ${JSON.stringify(label)} is not defined in pipeline_spec.deploymentSpec.executors`);
      }
      return;
    }
    this.checkDag(`${path}.dag`, component.dag, this.view(path, component));
  }

  checkDefinitions(path: string, component: Obj): void {
    for (const side of ['inputDefinitions', 'outputDefinitions'] as const) {
      const defs = component[side];
      if (defs === undefined) continue;
      if (!isObject(defs)) {
        this.add(`${path}.${side}`, `must be an object, not ${describe(defs)}`);
        continue;
      }
      if (defs.parameters !== undefined) {
        if (!isObject(defs.parameters)) this.add(`${path}.${side}.parameters`, `must be a map, not ${describe(defs.parameters)}`);
        else {
          for (const [name, p] of Object.entries(defs.parameters)) {
            const pp = `${path}.${side}.parameters.${key(name)}`;
            if (side === 'outputDefinitions' && !isPathSegment(name)) this.add(pp, 'an output name is a file name: it may not contain "/" or be "." or ".."');
            if (!isObject(p)) {
              this.add(pp, `must be an object, not ${describe(p)}`);
              continue;
            }
            if (p.parameterType === undefined && p.type === undefined) this.add(`${pp}.parameterType`, 'is required');
            else if (p.parameterType !== undefined && !parameterTypes.includes(p.parameterType as ParameterType)) {
              this.add(`${pp}.parameterType`, `${describe(p.parameterType)} is not a parameter type (one of ${parameterTypes.slice(1).join(', ')})`);
            } else if (side === 'inputDefinitions' && p.defaultValue !== undefined && p.defaultValue !== null) {
              const why = typeProblem(p.parameterType as ParameterType | undefined, p.defaultValue);
              if (why) this.add(`${pp}.defaultValue`, why);
            }
          }
        }
      }
      if (defs.artifacts !== undefined) {
        if (!isObject(defs.artifacts)) this.add(`${path}.${side}.artifacts`, `must be a map, not ${describe(defs.artifacts)}`);
        else {
          for (const [name, a] of Object.entries(defs.artifacts)) {
            if (side === 'outputDefinitions' && !isPathSegment(name)) this.add(`${path}.${side}.artifacts.${key(name)}`, 'an output name is a folder name: it may not contain "/" or be "." or ".."');
            if (!isObject(a) || !isObject(a.artifactType)) this.add(`${path}.${side}.artifacts.${key(name)}.artifactType`, 'is required');
          }
        }
      }
    }
  }

  checkDag(path: string, dag: unknown, parent: ComponentView): void {
    if (!isObject(dag)) {
      this.add(path, `must be an object with tasks, not ${describe(dag)}`);
      return;
    }
    const tasks = dag.tasks === undefined ? {} : dag.tasks;
    if (!isObject(tasks)) {
      this.add(`${path}.tasks`, `must be a map of tasks, not ${describe(tasks)}`);
      return;
    }
    const edges = new Map<string, Set<string>>();
    for (const [name, task] of Object.entries(tasks)) {
      edges.set(name, this.checkTask(`${path}.tasks.${key(name)}`, name, task, tasks, parent));
    }
    this.checkCycles(`${path}.tasks`, edges);
    this.checkDagOutputs(`${path}.outputs`, dag.outputs, tasks);
  }

  producerComponent(producer: unknown, siblings: Obj): ComponentView | undefined {
    if (typeof producer !== 'string') return undefined;
    const task = siblings[producer];
    if (!isObject(task) || !isObject(task.componentRef) || typeof task.componentRef.name !== 'string') return undefined;
    const component = this.components[task.componentRef.name];
    return isObject(component) ? this.view(`pipeline_spec.components.${key(task.componentRef.name)}`, component) : undefined;
  }

  /** Checks one task; returns the sibling tasks it depends on (explicitly or through data). */
  checkTask(path: string, name: string, task: unknown, siblings: Obj, parent: ComponentView): Set<string> {
    const deps = new Set<string>();
    if (!isObject(task)) {
      this.add(path, `must be an object, not ${describe(task)}`);
      return deps;
    }
    const sibling = (p: string, producer: unknown, what: string): boolean => {
      if (!isNonEmptyString(producer)) {
        this.add(p, `must name the ${what} task, not ${describe(producer)}`);
        return false;
      }
      if (producer === name) {
        this.add(p, `task ${JSON.stringify(name)} cannot depend on itself`);
        return false;
      }
      if (!(producer in siblings)) {
        this.add(p, `task ${JSON.stringify(producer)} is not defined in this DAG (tasks: ${Object.keys(siblings).join(', ')})`);
        return false;
      }
      deps.add(producer);
      return true;
    };

    let component: Obj | undefined;
    const ref = task.componentRef;
    if (!isObject(ref) || !isNonEmptyString(ref.name)) this.add(`${path}.componentRef.name`, `must name a component, not ${describe(isObject(ref) ? ref.name : ref)}`);
    else if (!isObject(this.components[ref.name])) {
      this.add(`${path}.componentRef.name`, `component ${JSON.stringify(ref.name)} is not defined in pipeline_spec.components`);
    } else component = this.components[ref.name] as Obj;

    if (task.dependentTasks !== undefined) {
      if (!Array.isArray(task.dependentTasks)) this.add(`${path}.dependentTasks`, `must be a list of task names, not ${describe(task.dependentTasks)}`);
      else task.dependentTasks.forEach((d, i) => sibling(`${path}.dependentTasks[${i}]`, d, 'upstream'));
    }

    const inputs = task.inputs === undefined ? {} : task.inputs;
    const givenParams = new Set<string>();
    const givenArtifacts = new Set<string>();
    if (!isObject(inputs)) this.add(`${path}.inputs`, `must be an object, not ${describe(inputs)}`);
    else {
      const params = inputs.parameters === undefined ? {} : inputs.parameters;
      if (!isObject(params)) this.add(`${path}.inputs.parameters`, `must be a map, not ${describe(params)}`);
      else {
        for (const [pname, spec] of Object.entries(params)) {
          givenParams.add(pname);
          this.checkParameterInput(`${path}.inputs.parameters.${key(pname)}`, spec, siblings, parent, sibling);
        }
      }
      const arts = inputs.artifacts === undefined ? {} : inputs.artifacts;
      if (!isObject(arts)) this.add(`${path}.inputs.artifacts`, `must be a map, not ${describe(arts)}`);
      else {
        for (const [aname, spec] of Object.entries(arts)) {
          givenArtifacts.add(aname);
          this.checkArtifactInput(`${path}.inputs.artifacts.${key(aname)}`, spec, siblings, parent, sibling);
        }
      }
    }

    const iteratorItem = this.checkIterators(path, task, givenParams, givenArtifacts);
    if (component) this.checkRequiredInputs(path, component, givenParams, givenArtifacts, iteratorItem);

    if (task.triggerPolicy !== undefined) {
      const tp = task.triggerPolicy;
      if (!isObject(tp)) this.add(`${path}.triggerPolicy`, `must be an object, not ${describe(tp)}`);
      else {
        if (tp.condition !== undefined && tp.condition !== '') {
          if (typeof tp.condition !== 'string') this.add(`${path}.triggerPolicy.condition`, `must be a CEL expression string, not ${describe(tp.condition)}`);
          else {
            const why = checkCondition(tp.condition);
            if (why) this.add(`${path}.triggerPolicy.condition`, `${JSON.stringify(tp.condition)} is not a valid CEL condition: ${why}`);
          }
        }
        if (tp.strategy !== undefined && !triggerStrategies.includes(tp.strategy as string)) {
          this.add(`${path}.triggerPolicy.strategy`, `${describe(tp.strategy)} is not one of ${triggerStrategies.join(', ')}`);
        }
      }
    }

    if (task.cachingOptions !== undefined) {
      const co = task.cachingOptions;
      if (!isObject(co)) this.add(`${path}.cachingOptions`, `must be an object, not ${describe(co)}`);
      else {
        if (co.enableCache !== undefined && typeof co.enableCache !== 'boolean') this.add(`${path}.cachingOptions.enableCache`, `must be a bool, not ${describe(co.enableCache)}`);
        if (co.cacheKey !== undefined && typeof co.cacheKey !== 'string') this.add(`${path}.cachingOptions.cacheKey`, `must be a string, not ${describe(co.cacheKey)}`);
      }
    }

    if (task.retryPolicy !== undefined) this.checkRetry(`${path}.retryPolicy`, task.retryPolicy);
    return deps;
  }

  checkParameterInput(
    path: string,
    spec: unknown,
    siblings: Obj,
    parent: ComponentView,
    sibling: (p: string, producer: unknown, what: string) => boolean,
  ): void {
    if (!isObject(spec)) {
      this.add(path, `must be an object, not ${describe(spec)}`);
      return;
    }
    const kinds = ['componentInputParameter', 'taskOutputParameter', 'runtimeValue', 'taskFinalStatus'].filter((k) => spec[k] !== undefined);
    if (kinds.length !== 1) {
      this.add(
        path,
        kinds.length === 0
          ? 'must give a componentInputParameter, taskOutputParameter, runtimeValue or taskFinalStatus'
          : `must give exactly one source, not ${kinds.join(' and ')}`,
      );
    }
    if (spec.componentInputParameter !== undefined) {
      const name = spec.componentInputParameter;
      if (!isNonEmptyString(name)) this.add(`${path}.componentInputParameter`, `must name an input, not ${describe(name)}`);
      else if (!(name in parent.inputParameters)) {
        this.add(`${path}.componentInputParameter`, `${JSON.stringify(name)} is not an input parameter of ${parent.path}${listNames(parent.inputParameters)}`);
      }
    }
    if (spec.taskOutputParameter !== undefined) {
      const out = spec.taskOutputParameter;
      if (!isObject(out)) this.add(`${path}.taskOutputParameter`, `must be {producerTask, outputParameterKey}, not ${describe(out)}`);
      else if (sibling(`${path}.taskOutputParameter.producerTask`, out.producerTask, 'producer')) {
        const producer = this.producerComponent(out.producerTask, siblings);
        if (!isNonEmptyString(out.outputParameterKey)) this.add(`${path}.taskOutputParameter.outputParameterKey`, `must name an output, not ${describe(out.outputParameterKey)}`);
        else if (producer && !(out.outputParameterKey in producer.outputParameters)) {
          this.add(
            `${path}.taskOutputParameter.outputParameterKey`,
            `${JSON.stringify(out.outputParameterKey)} is not an output parameter of ${producer.path}${listNames(producer.outputParameters)}`,
          );
        }
      }
    }
    if (spec.runtimeValue !== undefined && !isObject(spec.runtimeValue)) this.add(`${path}.runtimeValue`, `must be {constant: …}, not ${describe(spec.runtimeValue)}`);
    if (spec.taskFinalStatus !== undefined) {
      const fs = spec.taskFinalStatus;
      if (!isObject(fs)) this.add(`${path}.taskFinalStatus`, `must be {producerTask}, not ${describe(fs)}`);
      else sibling(`${path}.taskFinalStatus.producerTask`, fs.producerTask, 'producer');
    }
    if (spec.parameterExpressionSelector !== undefined && spec.parameterExpressionSelector !== '') {
      const sel = spec.parameterExpressionSelector;
      if (typeof sel !== 'string') this.add(`${path}.parameterExpressionSelector`, `must be a CEL expression string, not ${describe(sel)}`);
      else {
        const why = checkSelector(sel);
        if (why) this.add(`${path}.parameterExpressionSelector`, `${JSON.stringify(sel)} is not a valid CEL expression: ${why}`);
      }
    }
  }

  checkArtifactInput(
    path: string,
    spec: unknown,
    siblings: Obj,
    parent: ComponentView,
    sibling: (p: string, producer: unknown, what: string) => boolean,
  ): void {
    if (!isObject(spec)) {
      this.add(path, `must be an object, not ${describe(spec)}`);
      return;
    }
    const kinds = ['taskOutputArtifact', 'componentInputArtifact'].filter((k) => spec[k] !== undefined);
    if (kinds.length !== 1) {
      this.add(path, kinds.length === 0 ? 'must give a taskOutputArtifact or a componentInputArtifact' : 'must give exactly one of taskOutputArtifact or componentInputArtifact');
    }
    if (spec.componentInputArtifact !== undefined) {
      const name = spec.componentInputArtifact;
      if (!isNonEmptyString(name)) this.add(`${path}.componentInputArtifact`, `must name an input artifact, not ${describe(name)}`);
      else if (!(name in parent.inputArtifacts)) {
        this.add(`${path}.componentInputArtifact`, `${JSON.stringify(name)} is not an input artifact of ${parent.path}${listNames(parent.inputArtifacts)}`);
      }
    }
    if (spec.taskOutputArtifact !== undefined) {
      const out = spec.taskOutputArtifact;
      if (!isObject(out)) this.add(`${path}.taskOutputArtifact`, `must be {producerTask, outputArtifactKey}, not ${describe(out)}`);
      else if (sibling(`${path}.taskOutputArtifact.producerTask`, out.producerTask, 'producer')) {
        const producer = this.producerComponent(out.producerTask, siblings);
        if (!isNonEmptyString(out.outputArtifactKey)) this.add(`${path}.taskOutputArtifact.outputArtifactKey`, `must name an output, not ${describe(out.outputArtifactKey)}`);
        else if (producer && !(out.outputArtifactKey in producer.outputArtifacts)) {
          this.add(
            `${path}.taskOutputArtifact.outputArtifactKey`,
            `${JSON.stringify(out.outputArtifactKey)} is not an output artifact of ${producer.path}${listNames(producer.outputArtifacts)}`,
          );
        }
      }
    }
  }

  /** Checks parameterIterator / artifactIterator / iteratorPolicy; returns the loop item input name, if any. */
  checkIterators(path: string, task: Obj, givenParams: Set<string>, givenArtifacts: Set<string>): string | undefined {
    let item: string | undefined;
    if (task.parameterIterator !== undefined && task.artifactIterator !== undefined) {
      this.add(path, 'must have at most one of parameterIterator or artifactIterator');
    }
    const pi = task.parameterIterator;
    if (pi !== undefined) {
      const p = `${path}.parameterIterator`;
      if (!isObject(pi)) this.add(p, `must be {items, itemInput}, not ${describe(pi)}`);
      else {
        if (!isNonEmptyString(pi.itemInput)) this.add(`${p}.itemInput`, `must name the loop item input, not ${describe(pi.itemInput)}`);
        else item = pi.itemInput;
        const items = pi.items;
        if (!isObject(items) || (items.raw === undefined) === (items.inputParameter === undefined)) {
          this.add(`${p}.items`, 'must give exactly one of raw (a JSON array string) or inputParameter');
        } else if (items.raw !== undefined) {
          this.checkRaw(`${p}.items.raw`, items.raw);
        } else if (!isNonEmptyString(items.inputParameter)) {
          this.add(`${p}.items.inputParameter`, `must name an input parameter of this task, not ${describe(items.inputParameter)}`);
        } else if (!givenParams.has(items.inputParameter)) {
          this.add(`${p}.items.inputParameter`, `${JSON.stringify(items.inputParameter)} is not one of this task's inputs.parameters`);
        }
      }
    }
    const ai = task.artifactIterator;
    if (ai !== undefined) {
      const p = `${path}.artifactIterator`;
      if (!isObject(ai)) this.add(p, `must be {items, itemInput}, not ${describe(ai)}`);
      else {
        if (!isNonEmptyString(ai.itemInput)) this.add(`${p}.itemInput`, `must name the loop item input, not ${describe(ai.itemInput)}`);
        else item = ai.itemInput;
        const items = ai.items;
        if (!isObject(items) || !isNonEmptyString(items.inputArtifact)) this.add(`${p}.items.inputArtifact`, 'must name an input artifact of this task');
        else if (!givenArtifacts.has(items.inputArtifact)) {
          this.add(`${p}.items.inputArtifact`, `${JSON.stringify(items.inputArtifact)} is not one of this task's inputs.artifacts`);
        }
      }
    }
    const policy = task.iteratorPolicy;
    if (policy !== undefined) {
      if (!isObject(policy)) this.add(`${path}.iteratorPolicy`, `must be {parallelismLimit}, not ${describe(policy)}`);
      else if (policy.parallelismLimit !== undefined && !(Number.isInteger(policy.parallelismLimit) && (policy.parallelismLimit as number) >= 0)) {
        this.add(`${path}.iteratorPolicy.parallelismLimit`, `must be a non-negative integer, not ${describe(policy.parallelismLimit)}`);
      }
    }
    return item;
  }

  checkRaw(path: string, raw: unknown): void {
    if (typeof raw !== 'string') {
      this.add(path, `must be a JSON array in a string, not ${describe(raw)}`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      this.add(path, `${JSON.stringify(raw)} is not JSON: ${(err as Error).message}`);
      return;
    }
    if (!Array.isArray(parsed)) this.add(path, `${JSON.stringify(raw)} is not a JSON array`);
  }

  /** A component input with no default that is not optional must be given by the task (KFP's driver fails otherwise). */
  checkRequiredInputs(path: string, component: Obj, givenParams: Set<string>, givenArtifacts: Set<string>, item: string | undefined): void {
    const view = this.view('', component);
    for (const [name, def] of Object.entries(view.inputParameters)) {
      if (!isObject(def) || givenParams.has(name) || name === item) continue;
      if (def.isOptional === true || def.defaultValue !== undefined) continue;
      this.add(`${path}.inputs.parameters.${key(name)}`, 'is required by the task\'s component and not given');
    }
    for (const [name, def] of Object.entries(view.inputArtifacts)) {
      if (!isObject(def) || givenArtifacts.has(name) || name === item) continue;
      if (def.isOptional === true) continue;
      this.add(`${path}.inputs.artifacts.${key(name)}`, 'is required by the task\'s component and not given');
    }
  }

  checkRetry(path: string, retry: unknown): void {
    if (!isObject(retry)) {
      this.add(path, `must be an object, not ${describe(retry)}`);
      return;
    }
    const count = retry.maxRetryCount;
    if (count !== undefined && !(Number.isInteger(count) && (count as number) >= 0)) {
      this.add(`${path}.maxRetryCount`, `must be a non-negative integer, not ${describe(count)}`);
    }
    const factor = retry.backoffFactor;
    if (factor !== undefined && !(typeof factor === 'number' && Number.isFinite(factor) && factor >= 0)) {
      this.add(`${path}.backoffFactor`, `must be a non-negative number, not ${describe(factor)}`);
    }
    for (const field of ['backoffDuration', 'backoffMaxDuration'] as const) {
      if (retry[field] === undefined) continue;
      const why = durationProblem(retry[field]);
      if (why) this.add(`${path}.${field}`, why);
    }
  }

  checkCycles(path: string, edges: Map<string, Set<string>>): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const reported = new Set<string>();
    const visit = (n: string): void => {
      state.set(n, 'visiting');
      stack.push(n);
      for (const d of edges.get(n) ?? []) {
        const s = state.get(d);
        if (s === 'visiting') {
          const cycle = [...stack.slice(stack.indexOf(d)), d];
          const id = [...cycle.slice(0, -1)].sort().join('\0');
          if (!reported.has(id)) {
            reported.add(id);
            this.add(path, `dependency cycle: ${cycle.join(' -> ')}`);
          }
        } else if (s === undefined && edges.has(d)) visit(d);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of edges.keys()) if (!state.has(n)) visit(n);
  }

  checkDagOutputs(path: string, outputs: unknown, tasks: Obj): void {
    if (outputs === undefined) return;
    if (!isObject(outputs)) {
      this.add(path, `must be an object, not ${describe(outputs)}`);
      return;
    }
    const subtask = (p: string, sel: unknown, keyField: 'outputParameterKey' | 'outputArtifactKey'): void => {
      if (!isObject(sel)) {
        this.add(p, `must be {producerSubtask, ${keyField}}, not ${describe(sel)}`);
        return;
      }
      if (!isNonEmptyString(sel.producerSubtask)) this.add(`${p}.producerSubtask`, `must name a task of this DAG, not ${describe(sel.producerSubtask)}`);
      else if (!(sel.producerSubtask in tasks)) {
        this.add(`${p}.producerSubtask`, `task ${JSON.stringify(sel.producerSubtask)} is not defined in this DAG (tasks: ${Object.keys(tasks).join(', ')})`);
      } else {
        const producer = this.producerComponent(sel.producerSubtask, tasks);
        const name = sel[keyField];
        const defs = keyField === 'outputParameterKey' ? producer?.outputParameters : producer?.outputArtifacts;
        if (!isNonEmptyString(name)) this.add(`${p}.${keyField}`, `must name an output, not ${describe(name)}`);
        else if (producer && defs && !(name in defs)) {
          this.add(`${p}.${keyField}`, `${JSON.stringify(name)} is not an output of ${producer.path}${listNames(defs)}`);
        }
      }
    };
    if (isObject(outputs.parameters)) {
      for (const [name, spec] of Object.entries(outputs.parameters)) {
        const p = `${path}.parameters.${key(name)}`;
        if (!isObject(spec)) {
          this.add(p, `must be an object, not ${describe(spec)}`);
          continue;
        }
        if (spec.valueFromParameter !== undefined) subtask(`${p}.valueFromParameter`, spec.valueFromParameter, 'outputParameterKey');
        else if (isObject(spec.valueFromOneof) && Array.isArray(spec.valueFromOneof.parameterSelectors)) {
          spec.valueFromOneof.parameterSelectors.forEach((s, i) => subtask(`${p}.valueFromOneof.parameterSelectors[${i}]`, s, 'outputParameterKey'));
        } else this.add(p, 'must give valueFromParameter or valueFromOneof.parameterSelectors');
      }
    }
    if (isObject(outputs.artifacts)) {
      for (const [name, spec] of Object.entries(outputs.artifacts)) {
        const p = `${path}.artifacts.${key(name)}`;
        if (!isObject(spec) || !Array.isArray(spec.artifactSelectors)) {
          this.add(p, 'must give artifactSelectors');
          continue;
        }
        spec.artifactSelectors.forEach((s, i) => subtask(`${p}.artifactSelectors[${i}]`, s, 'outputArtifactKey'));
      }
    }
  }

  /** A component whose DAG (directly or through others) runs itself would never finish expanding. */
  checkComponentRecursion(): void {
    const uses = new Map<string, string[]>();
    for (const [name, c] of Object.entries(this.components)) {
      const out: string[] = [];
      if (isObject(c) && isObject(c.dag) && isObject(c.dag.tasks)) {
        for (const t of Object.values(c.dag.tasks)) {
          if (isObject(t) && isObject(t.componentRef) && typeof t.componentRef.name === 'string') out.push(t.componentRef.name);
        }
      }
      uses.set(name, out);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (n: string): void => {
      state.set(n, 'visiting');
      stack.push(n);
      for (const d of uses.get(n) ?? []) {
        if (state.get(d) === 'visiting') {
          this.add(`pipeline_spec.components.${key(d)}`, `component runs itself: ${[...stack.slice(stack.indexOf(d)), d].join(' -> ')}`);
        } else if (!state.has(d) && uses.has(d)) visit(d);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of uses.keys()) if (!state.has(n)) visit(n);
  }
}

function listNames(map: Obj): string {
  const names = Object.keys(map);
  return names.length === 0 ? ' (it has none)' : ` (it has: ${names.join(', ')})`;
}

/** Why `value` does not fit a parameter of `type`, or undefined when it does. */
function typeProblem(type: ParameterType | undefined, value: unknown): string | undefined {
  switch (type) {
    case 'NUMBER_INTEGER':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : `must be an integer (NUMBER_INTEGER), not ${describe(value)}`;
    case 'NUMBER_DOUBLE':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number (NUMBER_DOUBLE), not ${describe(value)}`;
    case 'STRING':
      return typeof value === 'string' ? undefined : `must be a string (STRING), not ${describe(value)}`;
    case 'BOOLEAN':
      return typeof value === 'boolean' ? undefined : `must be a bool (BOOLEAN), not ${describe(value)}`;
    case 'LIST':
      return Array.isArray(value) ? undefined : `must be a list (LIST), not ${describe(value)}`;
    case 'STRUCT':
    case 'TASK_FINAL_STATUS':
    case 'TASK_CONFIG':
      return isObject(value) ? undefined : `must be an object (${type}), not ${describe(value)}`;
    case 'PARAMETER_TYPE_ENUM_UNSPECIFIED':
    case undefined:
      return undefined;
  }
}

function checkPlatform(platform: unknown, executors: Obj, problems: string[]): void {
  if (platform === undefined || platform === null) return;
  if (!isObject(platform)) {
    problems.push(`platform_spec: must be an object ({platforms: {kubernetes: …}}), not ${describe(platform)}`);
    return;
  }
  if (platform.platforms === undefined) return;
  if (!isObject(platform.platforms)) {
    problems.push(`platform_spec.platforms: must be an object, not ${describe(platform.platforms)}`);
    return;
  }
  const k8s = platform.platforms.kubernetes;
  if (k8s === undefined) return;
  if (!isObject(k8s)) {
    problems.push(`platform_spec.platforms.kubernetes: must be an object, not ${describe(k8s)}`);
    return;
  }
  const deployment = k8s.deploymentSpec;
  if (deployment === undefined) return;
  if (!isObject(deployment)) {
    problems.push(`platform_spec.platforms.kubernetes.deploymentSpec: must be an object, not ${describe(deployment)}`);
    return;
  }
  if (deployment.executors === undefined) return;
  if (!isObject(deployment.executors)) {
    problems.push(`platform_spec.platforms.kubernetes.deploymentSpec.executors: must be a map, not ${describe(deployment.executors)}`);
    return;
  }
  for (const [label, config] of Object.entries(deployment.executors)) {
    const p = `platform_spec.platforms.kubernetes.deploymentSpec.executors.${key(label)}`;
    if (!(label in executors)) problems.push(`${p}: executor ${JSON.stringify(label)} is not defined in pipeline_spec.deploymentSpec.executors`);
    else if (!isObject(config)) problems.push(`${p}: must be an object, not ${describe(config)}`);
  }
}

function rootInputs(spec: Obj): Obj {
  const root = spec.root;
  if (!isObject(root) || !isObject(root.inputDefinitions)) return {};
  const params = root.inputDefinitions.parameters;
  return isObject(params) ? params : {};
}

function checkParameters(spec: Obj, parameters: Record<string, unknown>, problems: string[]): void {
  const defs = rootInputs(spec);
  const names = Object.keys(defs);
  for (const [name, value] of Object.entries(parameters)) {
    const path = `runtime_config.parameters.${key(name)}`;
    const def = defs[name];
    if (!isObject(def)) {
      problems.push(`${path}: not an input of the pipeline (${names.length === 0 ? 'it has no inputs' : `inputs: ${names.join(', ')}`})`);
      continue;
    }
    if (value === null || value === undefined) {
      if (def.isOptional !== true && def.defaultValue === undefined) problems.push(`${path}: required by the pipeline and given as null`);
      continue;
    }
    const why = typeProblem(def.parameterType as ParameterType | undefined, value);
    if (why) problems.push(`${path}: ${why}`);
  }
  for (const [name, def] of Object.entries(defs)) {
    if (!isObject(def) || def.isOptional === true || def.defaultValue !== undefined) continue;
    if (name in parameters) continue;
    problems.push(`runtime_config.parameters.${key(name)}: required by the pipeline and not given`);
  }
}

/**
 * Every problem with a pipeline spec, its platform spec and (when given) a run's parameters, each as
 * `<field path>: <what is wrong>`. An empty list means Floe can run it.
 */
/** A name Floe uses as one file or folder name under the pipeline root (artifact URIs, output files). */
export function isPathSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0');
}

export function validatePipeline(spec: unknown, platform: unknown, parameters?: Record<string, unknown>): string[] {
  if (!isObject(spec)) return [`pipeline_spec: must be an object (a compiled KFP PipelineSpec), not ${describe(spec)}`];
  const checker = new Checker(spec);
  checker.run();
  const problems = checker.problems;
  checkPlatform(platform, checker.executors, problems);
  if (parameters !== undefined) {
    if (!isObject(parameters)) problems.push(`runtime_config.parameters: must be a map of name to value, not ${describe(parameters)}`);
    else checkParameters(spec, parameters, problems);
  }
  return problems;
}

/**
 * A run's parameters as the pipeline will see them: every root input that was not given takes its defaultValue
 * (optional inputs with neither are left out), and null for an optional input counts as not given. Numbers keep
 * their value: JSON has one number type, so an integer sent for NUMBER_DOUBLE (as kfp.Client does for `1`) is
 * already the double KFP stores, and a whole double for NUMBER_INTEGER (`3.0`) is the integer 3. Values are not
 * type-checked here: validatePipeline does that.
 */
export function coerceParameters(spec: unknown, parameters: Record<string, unknown> | undefined): Record<string, JsonValue> {
  const defs = isObject(spec) ? rootInputs(spec) : {};
  const out: Record<string, JsonValue> = {};
  const given = parameters ?? {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (value === null && isObject(defs[name])) continue;
    out[name] = normalize(value);
  }
  for (const [name, def] of Object.entries(defs)) {
    if (name in out || !isObject(def)) continue;
    if (def.defaultValue !== undefined && def.defaultValue !== null) out[name] = normalize(def.defaultValue);
  }
  return out;
}

/** Deep-copies a value as plain JSON (so later changes to the request cannot reach the run), -0 as 0. */
function normalize(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (isObject(v)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalize(x);
    return out;
  }
  return null;
}
