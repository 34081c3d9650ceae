// Label selectors: examples for every operator and every error, and fast-check properties against a reference model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../errors.js';
import {
  formatLabelSelector,
  labelRequirement,
  matchesLabels,
  parseLabelSelector,
  selectorFromLabelSelectorObject,
  validateLabelSelectorObject,
  type LabelOperator,
  type LabelSelectorObject,
} from './label-selector.js';

const pod = { app: 'web', tier: 'front', 'example.com/team': 'a', replicas: '3', empty: '' };
const match = (sel: string, labels: Record<string, string> | undefined = pod): boolean => matchesLabels(parseLabelSelector(sel), labels);

/** Asserts a BadRequest whose message quotes the selector and contains `why`. */
function rejects(sel: string, why?: string | RegExp): void {
  assert.throws(() => parseLabelSelector(sel), (err: unknown) => {
    assert.ok(err instanceof FloeError, `${sel}: not a FloeError`);
    assert.equal(err.reason, 'BadRequest', sel);
    assert.equal(err.code, 400, sel);
    assert.ok(err.message.includes(JSON.stringify(sel)), `${sel}: ${err.message}`);
    if (typeof why === 'string') assert.ok(err.message.includes(why), `${sel}: ${err.message}`);
    else if (why) assert.match(err.message, why, sel);
    return true;
  }, sel);
}

describe('parseLabelSelector examples', () => {
  test('the empty selector, and only whitespace, select everything', () => {
    assert.deepEqual(parseLabelSelector('').requirements, []);
    assert.deepEqual(parseLabelSelector(' \t\r\n').requirements, []);
    assert.equal(match(''), true);
    assert.equal(match('', undefined), true);
  });

  test('= and == match equal values only, with the key present', () => {
    assert.equal(match('app=web'), true);
    assert.equal(match('app==web'), true);
    assert.equal(match('app=db'), false);
    assert.equal(match('missing=web'), false);
    assert.equal(match('empty='), true, 'an empty value matches a present, empty label');
    assert.equal(match('missing='), false, 'an empty value does not match an absent label');
    assert.deepEqual(parseLabelSelector('app==web').requirements, [{ key: 'app', operator: 'Equals', values: ['web'] }]);
  });

  test('!= matches different values and absent keys', () => {
    assert.equal(match('app!=db'), true);
    assert.equal(match('app!=web'), false);
    assert.equal(match('missing!=x'), true);
    assert.equal(match('empty!='), false);
  });

  test('in and notin, where notin matches absent keys', () => {
    assert.equal(match('app in (web, db)'), true);
    assert.equal(match('app in (db)'), false);
    assert.equal(match('missing in (db)'), false);
    assert.equal(match('app notin (db)'), true);
    assert.equal(match('app notin (db,web)'), false);
    assert.equal(match('missing notin (db)'), true);
    assert.deepEqual(parseLabelSelector('app in (y, x, y)').requirements, [{ key: 'app', operator: 'In', values: ['x', 'y'] }], 'values are a sorted set');
  });

  test('empty slots in a value set stand for the empty value', () => {
    assert.deepEqual(parseLabelSelector('a in ()').requirements[0]?.values, ['']);
    assert.deepEqual(parseLabelSelector('a in (,)').requirements[0]?.values, ['']);
    assert.deepEqual(parseLabelSelector('a in (x,)').requirements[0]?.values, ['', 'x']);
    assert.deepEqual(parseLabelSelector('a in (,x)').requirements[0]?.values, ['', 'x']);
    assert.deepEqual(parseLabelSelector('a in (x,,y)').requirements[0]?.values, ['', 'x', 'y']);
    assert.equal(match('empty in ()'), true);
    assert.equal(match('app in ()'), false);
  });

  test('exists and does not exist', () => {
    assert.equal(match('tier'), true);
    assert.equal(match('empty'), true);
    assert.equal(match('missing'), false);
    assert.equal(match('!tier'), false);
    assert.equal(match('!missing'), true);
    assert.equal(match('! missing'), true);
    assert.deepEqual(parseLabelSelector('!a').requirements, [{ key: 'a', operator: 'DoesNotExist', values: [] }]);
  });

  test('> and < compare integers and never match a missing or non-integer label', () => {
    assert.equal(match('replicas>2'), true);
    assert.equal(match('replicas>3'), false);
    assert.equal(match('replicas<4'), true);
    assert.equal(match('replicas < 03'), false);
    assert.equal(match('missing<4'), false);
    assert.equal(match('app>0'), false);
    assert.equal(matchesLabels(parseLabelSelector('n>9223372036854775806'), { n: '9223372036854775807' }), true, '64-bit, not float');
    assert.equal(matchesLabels(parseLabelSelector('n<9007199254740993'), { n: '9007199254740992' }), true, 'beyond 2^53 stays exact');
  });

  test('a comma is AND; requirements come back sorted by key', () => {
    assert.equal(match('example.com/team=a, app in (web)'), true);
    assert.equal(match('app=web,tier=back'), false);
    assert.deepEqual(parseLabelSelector('b,a=1,!c').requirements.map((r) => r.key), ['a', 'b', 'c']);
  });

  test('whitespace is allowed around every token and needed only between words', () => {
    assert.equal(match(' app = web , tier in(front) ,\t!missing\n'), true);
    assert.equal(match('app\tin\n(\tweb\r)'), true);
    assert.equal(match('app notin(db)'), true);
  });

  test('in and notin are plain words where a key or a value goes', () => {
    assert.equal(matchesLabels(parseLabelSelector('in in (notin, in)'), { in: 'notin' }), true);
    assert.equal(matchesLabels(parseLabelSelector('notin=in'), { notin: 'in' }), true);
    assert.equal(matchesLabels(parseLabelSelector('!in'), {}), true);
    assert.equal(matchesLabels(parseLabelSelector('notin'), { notin: '' }), true);
  });

  test('qualified keys: a DNS prefix, mixed case names', () => {
    assert.equal(matchesLabels(parseLabelSelector('kubeflow.org/job-name=a,Mixed_Case.key-1=B.c_d-9'), { 'kubeflow.org/job-name': 'a', 'Mixed_Case.key-1': 'B.c_d-9' }), true);
  });

  test('label maps with inherited property names do not confuse matching', () => {
    assert.equal(matchesLabels(parseLabelSelector('constructor'), {}), false);
    assert.equal(matchesLabels(parseLabelSelector('toString!=x'), {}), true);
    assert.equal(matchesLabels(parseLabelSelector('hasOwnProperty=x'), { hasOwnProperty: 'x' }), true);
  });
});

describe('parseLabelSelector errors', () => {
  test('syntax errors name what was found and what was expected', () => {
    rejects('a in (x', "unable to parse requirement: found '', expected: ',' or ')'");
    rejects('=b', "found '=', expected: !, identifier, or 'end of string'");
    rejects('a=b=c', "found '=', expected: ',' or 'end of string'");
    rejects('a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    rejects('a in x', "found 'x', expected: '('");
    rejects('a in', "found '', expected: '('");
    rejects('a in (x y)', "found 'y', expected: ',' or ')'");
    rejects('a in (=)', "found '=', expected: ',', ')' or identifier");
    rejects('a in (x,=)', "found '=', expected: ',' or identifier");
    rejects('a in (x,,)', "found ')', expected: ',' or identifier");
    rejects('a=b,', "found '', expected: identifier after ','");
    rejects('a,,b', "found ',', expected: identifier after ','");
    rejects(',', "found ',', expected: !, identifier");
    rejects('!', "unable to parse requirement: found '', expected: identifier");
    rejects('!a=b', "found '=', expected: ',' or 'end of string'");
    rejects('a=(b)', "found '(', expected: identifier");
    rejects('a!==b', "found '=', expected: identifier");
    rejects('(a)');
    rejects('a)');
  });

  test('keys must be qualified names', () => {
    rejects('bad@key=1', 'key: Invalid value: "bad@key"');
    rejects('-a=b', 'key: Invalid value: "-a"');
    rejects('a-=b', 'key: Invalid value');
    rejects('a/b/c=d', 'key: Invalid value');
    rejects('/a', 'prefix part must be non-empty');
    rejects('Example.com/a', 'prefix part');
    rejects('a/', 'name part must be non-empty');
    rejects(`${'k'.repeat(64)}=v`, 'name part must be no more than 63 characters');
    rejects('!bad$key', 'key: Invalid value');
    rejects('bad%key in (a)', 'key: Invalid value');
  });

  test('values must be label values of at most 63 characters', () => {
    rejects(`a=${'x'.repeat(64)}`, 'must be no more than 63 characters');
    rejects('a=-b', 'values[0]: Invalid value: "-b"');
    rejects('a!=b_', 'values[0]: Invalid value');
    rejects('a in (ok, bad$)', 'Invalid value: "bad$"');
    rejects('a notin (x.)', 'Invalid value: "x."');
    assert.equal(match(`a=${'x'.repeat(63)}`, { a: 'x'.repeat(63) }), true);
  });

  test('> and < need one 64-bit integer', () => {
    rejects('a>b', "for 'Gt', 'Lt' operators, the value must be an integer");
    rejects('a>', 'the value must be an integer');
    rejects('a<9223372036854775808', 'the value must be an integer');
    rejects('a>1.5', 'the value must be an integer');
  });
});

describe('labelRequirement', () => {
  test('builds a validated requirement with its values as a sorted set', () => {
    assert.deepEqual(labelRequirement('a', 'NotIn', ['z', 'y', 'z']), { key: 'a', operator: 'NotIn', values: ['y', 'z'] });
    assert.deepEqual(labelRequirement('a', 'Exists'), { key: 'a', operator: 'Exists', values: [] });
  });

  test('rejects what the grammar cannot say', () => {
    const cases: [string, LabelOperator, string[], string][] = [
      ['a', 'In', [], "values set can't be empty"],
      ['a', 'Equals', ['x', 'y'], 'exact-match compatibility requires one single value'],
      ['a', 'Exists', ['x'], 'values set must be empty'],
      ['a', 'GreaterThan', ['1', '2'], 'exactly one value is required'],
      ['a b', 'Exists', [], 'key: Invalid value'],
      ['a', 'Equals', ['b c'], 'values[0]: Invalid value'],
    ];
    for (const [key, op, values, why] of cases) {
      assert.throws(() => labelRequirement(key, op, values), (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest' && err.message.includes(why), why);
    }
  });
});

describe('formatLabelSelector', () => {
  test('writes the canonical form', () => {
    assert.equal(formatLabelSelector(parseLabelSelector('')), '');
    assert.equal(
      formatLabelSelector(parseLabelSelector(' z notin (b,a) , y==1,x!= 2, !w, v, u in (, q), t>5, s<6, r=')),
      'r=,s<6,t>5,u in (,q),v,!w,x!=2,y=1,z notin (a,b)',
    );
    assert.equal(formatLabelSelector(parseLabelSelector('a in ()')), 'a in ()');
  });

  test('formats a hand-built selector, deduplicating set values', () => {
    assert.equal(formatLabelSelector({ requirements: [{ key: 'a', operator: 'In', values: ['x', '', ''] }] }), 'a in (,x)');
  });
});

describe('selectorFromLabelSelectorObject', () => {
  test('matchLabels and matchExpressions are ANDed', () => {
    const sel = selectorFromLabelSelectorObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'gone', operator: 'DoesNotExist' },
        { key: 'app', operator: 'NotIn', values: ['db'] },
        { key: 'replicas', operator: 'Exists', values: [] },
      ],
    });
    assert.equal(matchesLabels(sel, pod), true);
    assert.equal(matchesLabels(sel, { ...pod, gone: 'x' }), false);
    assert.equal(matchesLabels(sel, { ...pod, app: 'db' }), false);
    assert.equal(formatLabelSelector(sel), 'app=web,app notin (db),!gone,replicas,tier in (back,front)');
  });

  test('an empty object selects everything', () => {
    assert.deepEqual(selectorFromLabelSelectorObject({}).requirements, []);
    assert.equal(matchesLabels(selectorFromLabelSelectorObject({ matchLabels: {}, matchExpressions: [] }), undefined), true);
  });

  test('errors name the field, under the path given', () => {
    const bad = (obj: unknown, why: RegExp, path?: string): void => {
      assert.throws(() => selectorFromLabelSelectorObject(obj as LabelSelectorObject, path), (err: unknown) => {
        assert.ok(err instanceof FloeError);
        assert.equal(err.reason, 'BadRequest');
        assert.match(err.message, why);
        return true;
      });
    };
    bad({ matchExpressions: [{ key: 'a', operator: 'In' }] }, /selector\.matchExpressions\[0\]\.values: Required value: must be specified when `operator` is 'In' or 'NotIn'/);
    bad({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }, /matchExpressions\[0\]\.values: Required value/);
    bad({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /matchExpressions\[0\]\.values: Forbidden: may not be specified/);
    bad({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] }, /matchExpressions\[0\]\.values: Forbidden/);
    bad({ matchExpressions: [{ key: 'a', operator: 'Near' }] }, /matchExpressions\[0\]\.operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"/);
    bad({ matchExpressions: [{ key: 'a' }] }, /matchExpressions\[0\]\.operator: Required value/);
    bad({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, /operator: Unsupported value: "Equals"/);
    bad({ matchExpressions: [{ key: 'b@d', operator: 'Exists' }] }, /matchExpressions\[0\]\.key: Invalid value: "b@d"/);
    bad({ matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'no way'] }] }, /matchExpressions\[0\]\.values\[1\]: Invalid value: "no way"/);
    bad({ matchExpressions: [{ key: 'a', operator: 'In', values: [1] }] }, /matchExpressions\[0\]\.values: Invalid value: \[1\]: must be a list of strings/);
    bad({ matchLabels: { 'bad key': 'x' } }, /spec\.selector\.matchLabels: Invalid value: "bad key"/, 'spec.selector');
    bad({ matchLabels: { a: 'x'.repeat(64) } }, /matchLabels\.a: Invalid value: "x{64}": must be no more than 63 characters/);
    bad({ matchLabels: ['a'] }, /selector\.matchLabels: Invalid value: \["a"\]: must be a map/);
    bad({ matchExpressions: {} }, /selector\.matchExpressions: Invalid value: \{\}: must be a list/);
    bad(null, /selector: Invalid value: null: must be an object/);
    bad({ matchExpressions: [{ key: 'a', operator: 'In' }] }, /^invalid label selector: matchExpressions\[0\]\.values/, '');
  });

  test('validateLabelSelectorObject returns every problem with its path', () => {
    const errs = validateLabelSelectorObject(
      { matchLabels: { 'a/b/c': 'ok' }, matchExpressions: [{ key: 'a', operator: 'In' }, { key: '', operator: 'Exists', values: ['x'] }] },
      'spec.selector',
    );
    assert.deepEqual(errs.map((e) => [e.type, e.field]), [
      ['FieldValueInvalid', 'spec.selector.matchLabels'],
      ['FieldValueRequired', 'spec.selector.matchExpressions[0].values'],
      ['FieldValueInvalid', 'spec.selector.matchExpressions[1].key'],
      ['FieldValueForbidden', 'spec.selector.matchExpressions[1].values'],
    ]);
    assert.deepEqual(validateLabelSelectorObject({ matchLabels: { a: 'b' } }), []);
  });
});

// A reference model: requirements as plain data, rendered to text in many spellings, judged by the definition.
interface Req {
  key: string;
  op: LabelOperator;
  values: string[];
}

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,6}[a-z0-9])?$/);
const namePart = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/);
const anyKey = fc.tuple(fc.option(fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'))), namePart).map(([prefix, name]) => (prefix === null ? name : `${prefix}/${name}`));
// Mostly a small pool, so selectors and label maps share keys.
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('app', 'tier', 'example.com/team', 'in', 'notin', 'A_b.c-9') }, { weight: 1, arbitrary: anyKey });
const anyValue = fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?$/);
const integer = fc.oneof(fc.integer({ min: 0, max: 20 }).map(String), fc.constantFrom('007', '9223372036854775807'));
const value = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('', 'web', 'db', 'in', 'notin', 'v.2', '3') }, { weight: 1, arbitrary: anyValue }, { weight: 1, arbitrary: integer });
const labelMap = fc.dictionary(key, value, { maxKeys: 6 });

const req: fc.Arbitrary<Req> = fc.oneof(
  fc.record({ key, op: fc.constantFrom<LabelOperator>('Equals', 'NotEquals'), values: value.map((v) => [v]) }),
  fc.record({ key, op: fc.constantFrom<LabelOperator>('In', 'NotIn'), values: fc.uniqueArray(value, { minLength: 1, maxLength: 4 }) }),
  fc.record({ key, op: fc.constantFrom<LabelOperator>('Exists', 'DoesNotExist'), values: fc.constant<string[]>([]) }),
  fc.record({ key, op: fc.constantFrom<LabelOperator>('GreaterThan', 'LessThan'), values: integer.map((v) => [v]) }),
);

/** The meaning of one requirement, written straight from the Kubernetes documentation. */
function model(r: Req, labels: Record<string, string>): boolean {
  const present = Object.keys(labels).includes(r.key);
  const v = labels[r.key];
  const n = (s: string | undefined): bigint | undefined => (s !== undefined && /^[0-9]+$/.test(s) ? BigInt(s) : undefined);
  switch (r.op) {
    case 'Exists': return present;
    case 'DoesNotExist': return !present;
    case 'Equals': return present && v === r.values[0];
    case 'NotEquals': return !(present && v === r.values[0]);
    case 'In': return present && r.values.some((x) => x === v);
    case 'NotIn': return !(present && r.values.some((x) => x === v));
    case 'GreaterThan':
    case 'LessThan': {
      const have = n(v);
      const want = n(r.values[0]);
      if (!present || have === undefined || want === undefined) return false;
      return r.op === 'GreaterThan' ? have > want : have < want;
    }
  }
}

const space = fc.constantFrom('', '', '', ' ', '  ', '\t', '\n', ' \r\n');
const someSpace = fc.constantFrom(' ', '\t', '\n', '  ');

/** One requirement in any spelling the grammar allows. */
const spelled: fc.Arbitrary<[Req, string]> = fc
  .tuple(req, fc.array(space, { minLength: 6, maxLength: 6 }), someSpace, fc.boolean())
  .map(([r, [a = '', b = '', c = '', d = '', e = '', f = ''], gap, doubled]) => {
    const one = r.values[0] ?? '';
    const text = ((): string => {
      switch (r.op) {
        case 'Exists': return `${a}${r.key}${b}`;
        case 'DoesNotExist': return `${a}!${b}${r.key}${c}`;
        case 'Equals': return `${a}${r.key}${b}${doubled ? '==' : '='}${c}${one}${d}`;
        case 'NotEquals': return `${a}${r.key}${b}!=${c}${one}${d}`;
        case 'GreaterThan': return `${a}${r.key}${b}>${c}${one}${d}`;
        case 'LessThan': return `${a}${r.key}${b}<${c}${one}${d}`;
        case 'In':
        case 'NotIn': return `${a}${r.key}${gap}${r.op === 'In' ? 'in' : 'notin'}${b}(${c}${r.values.join(`${d},${e}`)}${f})${a}`;
      }
    })();
    return [r, text];
  });
const spelledSelector = fc.array(spelled, { maxLength: 5 }).map((rs): [Req[], string] => [rs.map(([r]) => r), rs.map(([, t]) => t).join(',')]);

describe('label selector properties', () => {
  test('any spelling parses to a selector that agrees with the model', () => {
    fc.assert(fc.property(spelledSelector, labelMap, ([reqs, text], labels) => {
      assert.equal(matchesLabels(parseLabelSelector(text), labels), reqs.every((r) => model(r, labels)), text);
    }), { numRuns: 500 });
  });

  test('format then parse gives back the same selector, so it selects exactly the same label maps', () => {
    fc.assert(fc.property(spelledSelector, labelMap, ([, text], labels) => {
      const parsed = parseLabelSelector(text);
      const formatted = formatLabelSelector(parsed);
      const again = parseLabelSelector(formatted);
      assert.deepEqual(again, parsed, formatted);
      assert.equal(matchesLabels(again, labels), matchesLabels(parsed, labels));
      assert.equal(formatLabelSelector(again), formatted);
    }), { numRuns: 500 });
  });

  test('k=v matches exactly the maps with k set to v, and k!=v is its negation', () => {
    fc.assert(fc.property(key, value, labelMap, fc.boolean(), (k, v, labels, withV) => {
      const l = withV ? { ...labels, [k]: v } : labels;
      const eq = match(`${k}=${v}`, l);
      assert.equal(eq, Object.hasOwn(l, k) && l[k] === v);
      assert.equal(match(`${k}==${v}`, l), eq);
      assert.equal(match(`${k}!=${v}`, l), !eq);
    }));
  });

  test('notin is the negation of in, and !k of k', () => {
    fc.assert(fc.property(key, fc.uniqueArray(value, { minLength: 1, maxLength: 4 }), labelMap, (k, vs, labels) => {
      assert.equal(match(`${k} notin (${vs.join(',')})`, labels), !match(`${k} in (${vs.join(',')})`, labels));
      assert.equal(match(`!${k}`, labels), !match(k, labels));
    }));
  });

  test('a comma is the conjunction of its requirements', () => {
    fc.assert(fc.property(fc.array(spelled, { minLength: 1, maxLength: 5 }), labelMap, (rs, labels) => {
      const texts = rs.map(([, t]) => t);
      assert.equal(match(texts.join(','), labels), texts.every((t) => match(t, labels)));
    }));
  });

  test('the object form means the same as its text form', () => {
    const expression = req.filter((r) => ['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(r.op));
    fc.assert(fc.property(fc.dictionary(key, value, { maxKeys: 3 }), fc.array(expression, { maxLength: 3 }), labelMap, (matchLabels, exprs, labels) => {
      const obj: LabelSelectorObject = {
        matchLabels,
        matchExpressions: exprs.map((r) => ({ key: r.key, operator: r.op as 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values: r.values })),
      };
      const sel = selectorFromLabelSelectorObject(obj);
      const expected = Object.entries(matchLabels).every(([k, v]) => model({ key: k, op: 'Equals', values: [v] }, labels)) && exprs.every((r) => model(r, labels));
      assert.equal(matchesLabels(sel, labels), expected);
      assert.equal(matchesLabels(parseLabelSelector(formatLabelSelector(sel)), labels), expected);
    }));
  });

  test('any text either parses to a selector that formats and parses back, or is a BadRequest that quotes it', () => {
    const char = fc.constantFrom('a', 'b', 'i', 'n', 'o', 't', '1', '.', '-', '_', '/', '!', '=', '<', '>', '(', ')', ',', ' ', '\t', 'é', '"', '\\');
    fc.assert(fc.property(fc.string({ unit: char, maxLength: 24 }), (text) => {
      let parsed;
      try {
        parsed = parseLabelSelector(text);
      } catch (err) {
        assert.ok(err instanceof FloeError, String(err));
        assert.equal(err.reason, 'BadRequest');
        assert.ok(err.message.includes(JSON.stringify(text)), err.message);
        return;
      }
      assert.deepEqual(parseLabelSelector(formatLabelSelector(parsed)), parsed);
    }), { numRuns: 2000 });
  });
});
