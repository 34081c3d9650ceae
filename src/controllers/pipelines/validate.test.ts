/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- the tests break compiled fixtures by reaching into their untyped JSON */
// validatePipeline against pipelines the kfp SDK compiled (testdata/kfp-*.yaml, from testdata/compile_fixtures.py):
// each is valid as compiled, and each hand-broken copy names the field and the problem.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { coerceParameters, parsePipelineYaml, PipelineYamlError, validatePipeline } from './validate.js';

const testdata = fileURLToPath(new URL('../../../../src/controllers/pipelines/testdata/', import.meta.url));

type Obj = Record<string, any>;

function load(name: string): { spec: Obj; platform?: Obj } {
  return parsePipelineYaml(readFileSync(`${testdata}kfp-${name}.yaml`, 'utf8')) as { spec: Obj; platform?: Obj };
}

/** The problems of a copy of fixture `name` after `edit`. */
function broken(name: string, edit: (spec: Obj, platform: Obj | undefined) => void, parameters?: Record<string, unknown>): string[] {
  const { spec, platform } = structuredClone(load(name));
  edit(spec, platform);
  return validatePipeline(spec, platform, parameters);
}

function assertProblem(problems: string[], expected: string): void {
  assert.ok(problems.includes(expected), `expected problem:\n  ${expected}\ngot:\n  ${problems.join('\n  ')}`);
}

describe('validatePipeline: compiled pipelines', () => {
  const fixtures = readdirSync(testdata).filter((f) => /^kfp-.*\.yaml$/.test(f));

  test('there are fixtures for every construct', () => {
    for (const name of ['conditions', 'oneof', 'loops', 'exit-handler', 'retry-caching', 'importer', 'nested', 'artifacts', 'kubernetes']) {
      assert.ok(fixtures.includes(`kfp-${name}.yaml`), `missing fixture kfp-${name}.yaml`);
    }
  });

  for (const file of fixtures) {
    test(`${file} is valid as compiled`, () => {
      const { spec, platform } = parsePipelineYaml(readFileSync(testdata + file, 'utf8'));
      assert.deepEqual(validatePipeline(spec, platform), []);
    });
  }

  test('the kubernetes fixture has its platform spec as the second document', () => {
    const { platform } = load('kubernetes');
    assert.ok(platform?.platforms?.kubernetes?.deploymentSpec?.executors?.['exec-say']);
  });
});

describe('validatePipeline: broken pipelines', () => {
  test('names that become folders or files under the pipeline root may not lead out of it', () => {
    const problems = broken('artifacts', (spec) => {
      spec.pipelineInfo.name = '../../etc';
      const [name, component] = Object.entries(spec.components as Obj).find(([, c]) => c.outputDefinitions?.artifacts)!;
      const artifacts = component.outputDefinitions.artifacts;
      const first = Object.keys(artifacts)[0]!;
      artifacts['../escape'] = artifacts[first];
      assert.ok(name);
    });
    assertProblem(problems, 'pipeline_spec.pipelineInfo.name: "../../etc" names a folder of the pipeline root: it may not contain "/" or be "." or ".."');
    assert.ok(problems.some((p) => p.includes('outputDefinitions.artifacts') && p.includes('../escape') && p.includes('may not contain "/"')), problems.join('\n'));
  });

  test('a task naming a component that does not exist', () => {
    const problems = broken('artifacts', (s) => {
      s.root.dag.tasks.train.componentRef.name = 'comp-trian';
    });
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.train.componentRef.name: component "comp-trian" is not defined in pipeline_spec.components');
  });

  test('not an object, no name, no root DAG, unsupported schema version', () => {
    assert.deepEqual(validatePipeline('hello', undefined), ['pipeline_spec: must be an object (a compiled KFP PipelineSpec), not the string "hello"']);
    const problems = broken('artifacts', (s) => {
      delete s.pipelineInfo.name;
      s.schemaVersion = '1.0.0';
      delete s.root.dag;
    });
    assertProblem(problems, 'pipeline_spec.pipelineInfo.name: must be a non-empty string, not undefined');
    assertProblem(problems, 'pipeline_spec.schemaVersion: the string "1.0.0" is not supported; Floe runs PipelineSpec schema 2.x');
    assertProblem(problems, 'pipeline_spec.root.dag: is required: the root component is a DAG of tasks');
  });

  test('executors: missing, both kinds, resolver, empty image, bad command item', () => {
    const problems = broken('importer', (s) => {
      s.components['comp-use-model'].executorLabel = 'exec-nope';
      s.deploymentSpec.executors['exec-importer-2'].container = { image: 'x' };
      s.deploymentSpec.executors['exec-extra'] = { resolver: { outputArtifactQueries: {} } };
      s.deploymentSpec.executors['exec-use-model'].container.image = '';
      s.deploymentSpec.executors['exec-use-model'].container.args.push(42);
      delete s.deploymentSpec.executors['exec-importer'].importer.typeSchema;
    });
    assertProblem(problems, 'pipeline_spec.components.comp-use-model.executorLabel: executor "exec-nope" is not defined in pipeline_spec.deploymentSpec.executors');
    assertProblem(problems, 'pipeline_spec.deploymentSpec.executors.exec-importer-2: must have exactly one of container or importer, not container and importer');
    assertProblem(problems, 'pipeline_spec.deploymentSpec.executors.exec-extra.resolver: resolver executors are not supported by Floe (use a container or an importer)');
    assertProblem(problems, 'pipeline_spec.deploymentSpec.executors.exec-use-model.container.image: must be a non-empty string, not the string ""');
    assertProblem(problems, 'pipeline_spec.deploymentSpec.executors.exec-use-model.container.args[4]: must be a string or a {Concat} / {IfPresent} placeholder, not the integer 42');
    assertProblem(problems, 'pipeline_spec.deploymentSpec.executors.exec-importer.importer.typeSchema: is required (the artifact type, e.g. {schemaTitle: system.Model})');
  });

  test('dependencies and data sources must name sibling tasks and real outputs', () => {
    const problems = broken('artifacts', (s) => {
      const t = s.root.dag.tasks;
      t.train.dependentTasks = ['make-dta'];
      t.say.inputs.parameters.msg.taskOutputParameter.outputParameterKey = 'nam';
      t['use-model'].inputs.artifacts.model.taskOutputArtifact.producerTask = 'trainer';
      t['make-data'].inputs.parameters.n.componentInputParameter = 'm';
    });
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.train.dependentTasks[0]: task "make-dta" is not defined in this DAG (tasks: make-data, say, train, use-model)');
    assertProblem(
      problems,
      'pipeline_spec.root.dag.tasks.say.inputs.parameters.msg.taskOutputParameter.outputParameterKey: "nam" is not an output parameter of pipeline_spec.components.comp-train (it has: acc, name)',
    );
    assertProblem(
      problems,
      'pipeline_spec.root.dag.tasks.use-model.inputs.artifacts.model.taskOutputArtifact.producerTask: task "trainer" is not defined in this DAG (tasks: make-data, say, train, use-model)',
    );
    assertProblem(
      problems,
      'pipeline_spec.root.dag.tasks.make-data.inputs.parameters.n.componentInputParameter: "m" is not an input parameter of pipeline_spec.root (it has: cfg, lr, n, on, tags, who)',
    );
  });

  test('a required component input the task does not give', () => {
    const problems = broken('artifacts', (s) => {
      delete s.root.dag.tasks.train.inputs.parameters.lr;
      delete s.root.dag.tasks.train.inputs.artifacts.data;
    });
    assertProblem(problems, "pipeline_spec.root.dag.tasks.train.inputs.parameters.lr: is required by the task's component and not given");
    assertProblem(problems, "pipeline_spec.root.dag.tasks.train.inputs.artifacts.data: is required by the task's component and not given");
  });

  test('a dependency cycle', () => {
    const problems = broken('artifacts', (s) => {
      s.root.dag.tasks['make-data'].dependentTasks = ['use-model'];
    });
    assertProblem(problems, 'pipeline_spec.root.dag.tasks: dependency cycle: make-data -> use-model -> train -> make-data');
  });

  test('a task that depends on itself, and a component that runs itself', () => {
    const problems = broken('nested', (s) => {
      s.root.dag.tasks.inner.dependentTasks = ['inner'];
      s.components['comp-inner'].dag.tasks.train.componentRef.name = 'comp-inner';
    });
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.inner.dependentTasks[0]: task "inner" cannot depend on itself');
    assertProblem(problems, 'pipeline_spec.components.comp-inner: component runs itself: comp-inner -> comp-inner');
  });

  test('loops: raw items must be a JSON array string; inputParameter must be a task input', () => {
    const problems = broken('loops', (s) => {
      s.root.dag.tasks['for-loop-2'].parameterIterator.items.raw = '{"a": 1}';
      s.root.dag.tasks['for-loop-6'].parameterIterator.items.raw = '[1, 2';
      s.root.dag.tasks['for-loop-3'].parameterIterator.items.inputParameter = 'pipelinechannel--ys';
      s.root.dag.tasks['for-loop-2'].iteratorPolicy.parallelismLimit = -1;
    });
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.for-loop-2.parameterIterator.items.raw: "{\\"a\\": 1}" is not a JSON array');
    assert.ok(problems.some((p) => p.startsWith('pipeline_spec.root.dag.tasks.for-loop-6.parameterIterator.items.raw: "[1, 2" is not JSON: ')), problems.join('\n'));
    assertProblem(problems, `pipeline_spec.root.dag.tasks.for-loop-3.parameterIterator.items.inputParameter: "pipelinechannel--ys" is not one of this task's inputs.parameters`);
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.for-loop-2.iteratorPolicy.parallelismLimit: must be a non-negative integer, not the integer -1');
  });

  test('retry policy numbers and durations', () => {
    const problems = broken('retry-caching', (s) => {
      const r = s.root.dag.tasks.say.retryPolicy;
      r.maxRetryCount = 1.5;
      r.backoffFactor = 'two';
      r.backoffDuration = '5';
      r.backoffMaxDuration = '-1s';
    });
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.say.retryPolicy.maxRetryCount: must be a non-negative integer, not the number 1.5');
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.say.retryPolicy.backoffFactor: must be a non-negative number, not the string "two"');
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.say.retryPolicy.backoffDuration: "5" is not a duration; write seconds with an "s", such as "0s", "1.5s" or "3600s"');
    assertProblem(problems, 'pipeline_spec.root.dag.tasks.say.retryPolicy.backoffMaxDuration: "-1s" is negative');
  });

  test('valid durations pass', () => {
    for (const d of ['0s', '1.5s', '3600s', '0.000000001s']) {
      const problems = broken('retry-caching', (s) => {
        s.root.dag.tasks.say.retryPolicy.backoffDuration = d;
      });
      assert.deepEqual(problems, [], d);
    }
  });

  test('a trigger condition that is not CEL, and an unknown strategy', () => {
    const problems = broken('conditions', (s) => {
      s.root.dag.tasks['condition-7'].triggerPolicy.condition = "inputs.parameter_values['x'] ==";
      s.root.dag.tasks['condition-8'].triggerPolicy.condition = "input.parameter_values['x'] == 'a'";
      s.root.dag.tasks['condition-9'].triggerPolicy.strategy = 'SOMETIMES';
    });
    assert.ok(
      problems.some((p) => p.startsWith(`pipeline_spec.root.dag.tasks.condition-7.triggerPolicy.condition: "inputs.parameter_values['x'] ==" is not a valid CEL condition: `)),
      problems.join('\n'),
    );
    assert.ok(problems.some((p) => p.startsWith('pipeline_spec.root.dag.tasks.condition-8.triggerPolicy.condition: ') && p.includes('input')), problems.join('\n'));
    assertProblem(
      problems,
      'pipeline_spec.root.dag.tasks.condition-9.triggerPolicy.strategy: the string "SOMETIMES" is not one of TRIGGER_STRATEGY_UNSPECIFIED, ALL_UPSTREAM_TASKS_SUCCEEDED, ALL_UPSTREAM_TASKS_COMPLETED',
    );
  });

  test('DAG outputs must select real subtasks (dsl.OneOf)', () => {
    const problems = broken('oneof', (s) => {
      const outputs = s.components['comp-condition-branches-1'].dag.outputs.parameters;
      const name = Object.keys(outputs)[0] as string;
      outputs[name].valueFromOneof.parameterSelectors[0].producerSubtask = 'condition-9';
    });
    assert.ok(
      problems.some((p) => /valueFromOneof\.parameterSelectors\[0\]\.producerSubtask: task "condition-9" is not defined in this DAG/.test(p)),
      problems.join('\n'),
    );
  });

  test('the platform spec may only configure executors that exist', () => {
    const problems = broken('kubernetes', (_s, p) => {
      p!.platforms.kubernetes.deploymentSpec.executors['exec-sya'] = { nodeSelector: { labels: { a: 'b' } } };
    });
    assert.deepEqual(problems, ['platform_spec.platforms.kubernetes.deploymentSpec.executors.exec-sya: executor "exec-sya" is not defined in pipeline_spec.deploymentSpec.executors']);
    assert.deepEqual(validatePipeline(load('kubernetes').spec, 'nope'), ['platform_spec: must be an object ({platforms: {kubernetes: …}}), not the string "nope"']);
  });

  test('every problem is reported at once', () => {
    const problems = broken('artifacts', (s) => {
      s.root.dag.tasks.train.componentRef.name = 'comp-trian';
      s.deploymentSpec.executors['exec-say'].container.image = '';
      s.schemaVersion = '3.0.0';
    }, { n: 'five' });
    assert.equal(problems.length, 4, problems.join('\n'));
  });
});

describe('validatePipeline: run parameters', () => {
  const { spec } = load('artifacts');

  test('valid parameters, including ints for NUMBER_DOUBLE and whole doubles for NUMBER_INTEGER', () => {
    assert.deepEqual(validatePipeline(spec, undefined, { n: 3, lr: 1, tags: [], cfg: {}, on: true, who: '' }), []);
    assert.deepEqual(validatePipeline(spec, undefined, { n: 3.0 }), []);
  });

  test('a required input not given', () => {
    assert.deepEqual(validatePipeline(spec, undefined, {}), ['runtime_config.parameters.n: required by the pipeline and not given']);
  });

  test('unknown names', () => {
    assert.deepEqual(validatePipeline(spec, undefined, { n: 1, nn: 2 }), [
      'runtime_config.parameters.nn: not an input of the pipeline (inputs: cfg, lr, n, on, tags, who)',
    ]);
  });

  test('wrong types', () => {
    const problems = validatePipeline(spec, undefined, { n: 1.5, lr: '0.1', tags: 'a', cfg: [1], on: 'true', who: 7 });
    assert.deepEqual(problems.sort(), [
      'runtime_config.parameters.cfg: must be an object (STRUCT), not a list',
      'runtime_config.parameters.lr: must be a number (NUMBER_DOUBLE), not the string "0.1"',
      'runtime_config.parameters.n: must be an integer (NUMBER_INTEGER), not the number 1.5',
      'runtime_config.parameters.on: must be a bool (BOOLEAN), not the string "true"',
      'runtime_config.parameters.tags: must be a list (LIST), not the string "a"',
      'runtime_config.parameters.who: must be a string (STRING), not the integer 7',
    ]);
  });

  test('null for a required input', () => {
    assert.deepEqual(validatePipeline(spec, undefined, { n: null }), ['runtime_config.parameters.n: required by the pipeline and given as null']);
  });
});

describe('coerceParameters', () => {
  const { spec } = load('artifacts');

  test('fills defaults and keeps what was given', () => {
    assert.deepEqual(coerceParameters(spec, { n: 3, lr: 1 }), { n: 3, lr: 1, tags: ['a'], cfg: { k: 1 }, on: false, who: 'w' });
  });

  test('null for an input with a default takes the default; given values are copies', () => {
    const tags = ['x'];
    const out = coerceParameters(spec, { n: 3, who: null, tags });
    assert.equal(out.who, 'w');
    tags.push('y');
    assert.deepEqual(out.tags, ['x']);
  });

  test('no parameters at all', () => {
    assert.deepEqual(coerceParameters(load('conditions').spec, undefined), { threshold: 2, name: 'x', flag: true, ratio: 0.5 });
  });
});

describe('parsePipelineYaml', () => {
  test('a YAML syntax error names the line', () => {
    assert.throws(
      () => parsePipelineYaml('pipelineInfo:\n  name: x\nroot: [unclosed\n'),
      (err: unknown) => err instanceof PipelineYamlError && /^pipeline YAML document 1 is not valid YAML at line \d+, column \d+: /.test(err.message),
    );
  });

  test('empty, and too many documents', () => {
    assert.throws(() => parsePipelineYaml(''), /pipeline YAML is empty/);
    assert.throws(() => parsePipelineYaml('a: 1\n---\nb: 2\n---\nc: 3\n'), /has 3 documents; expected the PipelineSpec and at most one PlatformSpec/);
  });

  test('JSON, and the REST API nesting {pipeline_spec, platform_spec}', () => {
    const { spec, platform } = load('kubernetes');
    assert.deepEqual(parsePipelineYaml(JSON.stringify(spec)), { spec });
    assert.deepEqual(parsePipelineYaml(JSON.stringify({ pipeline_spec: spec, platform_spec: platform })), { spec, platform });
  });
});
