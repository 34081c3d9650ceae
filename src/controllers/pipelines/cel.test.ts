// KFP's CEL conditions and selectors, checked against testdata/cel-reference.json: the same cases evaluated by cel-go
// set up as KFP's driver sets it up (tools/kfp-fingerprint/celref). The conditions there are the ones the kfp SDK
// compiles for dsl.If / Elif / Else / OneOf (see testdata/kfp-conditions.yaml), plus hand-written ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { checkCondition, checkSelector, evaluateCondition, formatFloatNoExponent, selectParameter, valueToText, type ConditionInput } from './cel.js';
import type { JsonValue } from './ir.js';

const testdata = fileURLToPath(new URL('../../../../src/controllers/pipelines/testdata/', import.meta.url));

type Reference =
  | { name: string; kind: 'condition'; expr: string; input: ConditionInput; result?: boolean; error?: string }
  | { name: string; kind: 'selector'; expr: string; input: { value: JsonValue }; result?: JsonValue; error?: string };

const reference = JSON.parse(readFileSync(`${testdata}cel-reference.json`, 'utf8')) as Reference[];

/** Every string under `key` anywhere in a compiled fixture. */
function collect(file: string, key: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === key && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(parse(readFileSync(testdata + file, 'utf8')));
  return out;
}

describe('CEL as KFP evaluates it (cel-go reference)', () => {
  for (const c of reference) {
    test(`${c.kind} ${c.name}: ${c.expr}`, () => {
      const run = (): unknown => (c.kind === 'condition' ? evaluateCondition(c.expr, c.input) : selectParameter(c.expr, c.input.value));
      if (c.error !== undefined) {
        assert.throws(run, (err: unknown) => err instanceof Error && err.message.includes(JSON.stringify(c.expr)), `cel-go: ${c.error}`);
      } else {
        assert.deepEqual(run(), c.result);
      }
    });
  }
});

describe('compiled conditions', () => {
  const conditions = [...collect('kfp-conditions.yaml', 'condition'), ...collect('kfp-oneof.yaml', 'condition')];
  const selectors = collect('kfp-loops.yaml', 'parameterExpressionSelector');

  test('the SDK output parses and type-checks', () => {
    assert.ok(conditions.length >= 17 && selectors.length >= 2);
    for (const c of conditions) assert.equal(checkCondition(c), undefined, c);
    for (const s of selectors) assert.equal(checkSelector(s), undefined, s);
  });

  test('every compiled condition is in the cel-go reference', () => {
    const covered = new Set(reference.map((r) => r.expr));
    for (const c of conditions) assert.ok(covered.has(c), `not in cel-reference.json: ${c}`);
  });

  test('an integer output arrives as a double and int() makes it an int again', () => {
    const cond = "int(inputs.parameter_values['pipelinechannel--roll-Output']) > int(inputs.parameter_values['pipelinechannel--threshold'])";
    assert.equal(evaluateCondition(cond, { inputs: { parameterValues: { 'pipelinechannel--roll-Output': 3, 'pipelinechannel--threshold': 2 } } }), true);
    assert.equal(evaluateCondition(cond, { inputs: { parameterValues: { 'pipelinechannel--roll-Output': 2.0, 'pipelinechannel--threshold': 2 } } }), false);
  });
});

describe('errors name the expression', () => {
  test('a parse error', () => {
    assert.throws(() => evaluateCondition('a ==', { inputs: {} }), /^Error: condition "a ==" does not parse: /);
    assert.match(checkCondition('a ==') ?? '', /Unexpected token/);
  });

  test('a missing parameter', () => {
    assert.throws(
      () => evaluateCondition("inputs.parameter_values['x'] == 'a'", { inputs: { parameterValues: {} } }),
      /condition "inputs.parameter_values\['x'\] == 'a'" failed to evaluate: No such key: x/,
    );
  });

  test('a result that is not a bool', () => {
    assert.throws(() => evaluateCondition("inputs.parameter_values['x']", { inputs: { parameterValues: { x: 1 } } }), /evaluated to the double 1, not a bool/);
  });

  test('an undeclared name fails the check, as it fails KFP\'s compile', () => {
    assert.match(checkCondition("input.parameter_values['x'] == 1") ?? '', /input/);
    assert.match(checkSelector('strct_value.a') ?? '', /strct_value/);
  });

  test('parsed programs are reused', () => {
    const input: ConditionInput = { inputs: { parameterValues: { x: 'a' } } };
    for (let i = 0; i < 3; i++) assert.equal(evaluateCondition("inputs.parameter_values['x'] == 'a'", input), true);
  });
});

describe('value text', () => {
  test('numbers never use an exponent (Go strconv FormatFloat f, -1)', () => {
    const expected: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [3, '3'],
      [0.1, '0.1'],
      [1e21, '1000000000000000000000'],
      [1.5e-7, '0.00000015'],
      [-2.5e-10, '-0.00000000025'],
      [1.2345e25, '12345000000000000000000000'],
    ];
    for (const [n, s] of expected) assert.equal(formatFloatNoExponent(n), s, String(n));
  });

  test('other kinds', () => {
    assert.equal(valueToText(null), '');
    assert.equal(valueToText('s'), 's');
    assert.equal(valueToText(true), 'true');
    assert.equal(valueToText({ a: [1, 'x'] }), '{"a":[1,"x"]}');
  });
});
