// GJSON as KServe's router evaluates InferenceGraph conditions. Every row's expected result was produced by
// tidwall/gjson v1.18.0 itself (the version KServe's go.mod pins: gjson.Get(doc, path) → Exists(), Raw), for the
// examples of gjson's README/SYNTAX.md and the conditions of KServe's docs/samples/graph and test/e2e/graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionHolds, get, parseJson, stringify } from './graph-gjson.js';

const docs: string[] = [
  "{\n  \"name\": {\"first\": \"Tom\", \"last\": \"Anderson\"},\n  \"age\":37,\n  \"children\": [\"Sara\",\"Alex\",\"Jack\"],\n  \"fav.movie\": \"Deer Hunter\",\n  \"friends\": [\n    {\"first\": \"Dale\", \"last\": \"Murphy\", \"age\": 44, \"nets\": [\"ig\", \"fb\", \"tw\"]},\n    {\"first\": \"Roger\", \"last\": \"Craig\", \"age\": 68, \"nets\": [\"fb\", \"tw\"]},\n    {\"first\": \"Jane\", \"last\": \"Murphy\", \"age\": 47, \"nets\": [\"ig\", \"tw\"]}\n  ]\n}",
  "{\"decision_picker\":\"ERROR\",\"instances\":[]}",
  "{\"source\":\"client\",\"instances\":[{\"intval\":12,\"strval\":\"a-red-server-1\"},{\"intval\":3,\"strval\":\"blue\"}]}",
  "{\"predictions\":[[1.5,-1]]}",
  "{\"flag\":false,\"nul\":null,\"empty\":\"\",\"zero\":0,\"arr\":[]}",
  "{\"a.b\":{\"c\":1},\"x*y\":2,\"ab\":{\"x\":1},\"ac\":{\"y\":2},\"k\":[{\"a.b\":3}]}",
  "[1,2,3]",
  "\"just a string\"",
  "{\"s\":\"{\\\"inner\\\":[1,2]}\"}",
  "{\"a\":{\"x\":1},\"a\":{\"y\":2},\"b\":\"q\\\"uote\",\"c\":\"st*r\",\"2\":\"two\",\"n\":1e3}",
  "{\"a\":[1,2],\"b\":[3,4]}"
];

// [document, path, exists, gjson's Raw]
const table: [number, string, boolean, string][] = [
  [0, "name.last", true, "\"Anderson\""],
  [0, "age", true, "37"],
  [0, "children", true, "[\"Sara\",\"Alex\",\"Jack\"]"],
  [0, "children.#", true, "3"],
  [0, "children.1", true, "\"Alex\""],
  [0, "child*.2", true, "\"Jack\""],
  [0, "c?ildren.0", true, "\"Sara\""],
  [0, "fav\\.movie", true, "\"Deer Hunter\""],
  [0, "friends.#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "friends.1.last", true, "\"Craig\""],
  [0, "friends.#(last==\"Murphy\").first", true, "\"Dale\""],
  [0, "friends.#(last==\"Murphy\")#.first", true, "[\"Dale\",\"Jane\"]"],
  [0, "friends.#(age>45)#.last", true, "[\"Craig\",\"Murphy\"]"],
  [0, "friends.#(first%\"D*\").last", true, "\"Murphy\""],
  [0, "friends.#(first!%\"D*\").last", true, "\"Craig\""],
  [0, "friends.#(nets.#(==\"fb\"))#.first", true, "[\"Dale\",\"Roger\"]"],
  [0, "friends.#(last==Murphy).first", true, "\"Dale\""],
  [0, "friends.#(last=Murphy)#", true, "[{\"first\": \"Dale\", \"last\": \"Murphy\", \"age\": 44, \"nets\": [\"ig\", \"fb\", \"tw\"]},{\"first\": \"Jane\", \"last\": \"Murphy\", \"age\": 47, \"nets\": [\"ig\", \"tw\"]}]"],
  [0, "friends.#(last==\"Nobody\")", false, ""],
  [0, "friends.#(last==\"Nobody\")#", true, "[]"],
  [0, "friends.#(age<=44)#.first", true, "[\"Dale\"]"],
  [0, "friends.#(age!=44)#.age", true, "[68,47]"],
  [0, "friends.#(age>=68).first", true, "\"Roger\""],
  [0, "children.@reverse", true, "[\"Jack\",\"Alex\",\"Sara\"]"],
  [0, "children.@reverse.0", true, "\"Jack\""],
  [0, "children|@reverse|0", true, "\"Jack\""],
  [0, "@reverse", true, "{\"friends\":[\n    {\"first\": \"Dale\", \"last\": \"Murphy\", \"age\": 44, \"nets\": [\"ig\", \"fb\", \"tw\"]},\n    {\"first\": \"Roger\", \"last\": \"Craig\", \"age\": 68, \"nets\": [\"fb\", \"tw\"]},\n    {\"first\": \"Jane\", \"last\": \"Murphy\", \"age\": 47, \"nets\": [\"ig\", \"tw\"]}\n  ],\"fav.movie\":\"Deer Hunter\",\"children\":[\"Sara\",\"Alex\",\"Jack\"],\"age\":37,\"name\":{\"first\": \"Tom\", \"last\": \"Anderson\"}}"],
  [0, "friends.#.nets|@flatten", true, "[\"ig\", \"fb\", \"tw\",\"fb\", \"tw\",\"ig\", \"tw\"]"],
  [0, "friends.#.nets.@flatten", true, "[[\"ig\",\"fb\",\"tw\"],[\"fb\",\"tw\"],[\"ig\",\"tw\"]]"],
  [0, "friends.#(last==\"Murphy\")#|#", true, "2"],
  [0, "friends.#(last==\"Murphy\")#.first|1", true, "\"Jane\""],
  [0, "children|#", true, "3"],
  [0, "name|first", true, "\"Tom\""],
  [0, "name.first|@tostr", true, "\"\\\"Tom\\\"\""],
  [0, "{name.first,age,\"the_murphys\":friends.#(last=\"Murphy\")#.first}", true, "{\"first\":\"Tom\",\"age\":37,\"the_murphys\":[\"Dale\",\"Jane\"]}"],
  [0, "[name.first,age,nothing]", true, "[\"Tom\",37]"],
  [0, "!true", true, "true"],
  [0, "{\"x\":!true,\"y\":age}", true, "{\"x\":true,\"y\":37}"],
  [0, "name.@keys", true, "[\"first\",\"last\"]"],
  [0, "name.@values", true, "[\"Tom\",\"Anderson\"]"],
  [0, "@this.name.first", true, "\"Tom\""],
  [0, "friends.#(nets)#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "friends.#(nothing)#", true, "[]"],
  [0, "friends.#(first%\"?ale\").age", true, "44"],
  [0, "friends.#(first%*a*)#.first", true, "[\"Dale\",\"Jane\"]"],
  [0, "children.#(%\"*a*\")#", true, "[\"Sara\",\"Jack\"]"],
  [0, "children.#(!%\"*a*\")#", true, "[\"Alex\"]"],
  [0, "children.#(==\"Alex\")", true, "\"Alex\""],
  [0, "children.#(>\"Jack\")#", true, "[\"Sara\"]"],
  [0, "children.#(=\"Sara\")", true, "\"Sara\""],
  [0, "friends.#(age==44.0).first", true, "\"Dale\""],
  [0, "friends.#(age==~true)#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "friends.#(missing==~null)#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "friends.#(first==~*)#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "..0", true, "{\n  \"name\": {\"first\": \"Tom\", \"last\": \"Anderson\"},\n  \"age\":37,\n  \"children\": [\"Sara\",\"Alex\",\"Jack\"],\n  \"fav.movie\": \"Deer Hunter\",\n  \"friends\": [\n    {\"first\": \"Dale\", \"last\": \"Murphy\", \"age\": 44, \"nets\": [\"ig\", \"fb\", \"tw\"]},\n    {\"first\": \"Roger\", \"last\": \"Craig\", \"age\": 68, \"nets\": [\"fb\", \"tw\"]},\n    {\"first\": \"Jane\", \"last\": \"Murphy\", \"age\": 47, \"nets\": [\"ig\", \"tw\"]}\n  ]\n}"],
  [0, "name.", false, ""],
  [0, "name..first", false, ""],
  [0, "friends.0.nets.#(==\"fb\")", true, "\"fb\""],
  [0, "friends.#.nets.#(==\"fb\")", true, "[\"fb\",\"fb\"]"],
  [0, "friends.#.nets.#(==\"fb\")#", true, "[[\"fb\"],[\"fb\"],[]]"],
  [0, "age.@tostr", true, "\"37\""],
  [0, "nothing.@this", false, ""],
  [0, "[@this].#(age==37)", true, "{\n  \"name\": {\"first\": \"Tom\", \"last\": \"Anderson\"},\n  \"age\":37,\n  \"children\": [\"Sara\",\"Alex\",\"Jack\"],\n  \"fav.movie\": \"Deer Hunter\",\n  \"friends\": [\n    {\"first\": \"Dale\", \"last\": \"Murphy\", \"age\": 44, \"nets\": [\"ig\", \"fb\", \"tw\"]},\n    {\"first\": \"Roger\", \"last\": \"Craig\", \"age\": 68, \"nets\": [\"fb\", \"tw\"]},\n    {\"first\": \"Jane\", \"last\": \"Murphy\", \"age\": 47, \"nets\": [\"ig\", \"tw\"]}\n  ]\n}"],
  [0, "[@this].#(age=37).name.first", true, "\"Tom\""],
  [0, "@dig:first", true, "[\"Tom\",\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "friends.@reverse.0.first", true, "\"Jane\""],
  [0, "friends|@reverse|0.first", true, "\"Jane\""],
  [0, "friends.#(last==\"Murphy\"", false, ""],
  [0, "friends.#[last==\"Murphy\"].first", true, "\"Dale\""],
  [0, "@pretty", true, "{\n  \"name\": {\n    \"first\": \"Tom\",\n    \"last\": \"Anderson\"\n  },\n  \"age\": 37,\n  \"children\": [\"Sara\", \"Alex\", \"Jack\"],\n  \"fav.movie\": \"Deer Hunter\",\n  \"friends\": [\n    {\n      \"first\": \"Dale\",\n      \"last\": \"Murphy\",\n      \"age\": 44,\n      \"nets\": [\"ig\", \"fb\", \"tw\"]\n    },\n    {\n      \"first\": \"Roger\",\n      \"last\": \"Craig\",\n      \"age\": 68,\n      \"nets\": [\"fb\", \"tw\"]\n    },\n    {\n      \"first\": \"Jane\",\n      \"last\": \"Murphy\",\n      \"age\": 47,\n      \"nets\": [\"ig\", \"tw\"]\n    }\n  ]\n}\n"],
  [0, "@ugly.age", true, "37"],
  [0, "@valid.age", true, "37"],
  [0, "friends.@join", true, "{\"first\":\"Jane\",\"last\":\"Murphy\",\"age\":47,\"nets\":[\"ig\", \"tw\"]}"],
  [0, "@group", true, "[{\"children\":\"Sara\",\"friends\":{\"first\": \"Dale\", \"last\": \"Murphy\", \"age\": 44, \"nets\": [\"ig\", \"fb\", \"tw\"]}},{\"children\":\"Alex\",\"friends\":{\"first\": \"Roger\", \"last\": \"Craig\", \"age\": 68, \"nets\": [\"fb\", \"tw\"]}},{\"children\":\"Jack\",\"friends\":{\"first\": \"Jane\", \"last\": \"Murphy\", \"age\": 47, \"nets\": [\"ig\", \"tw\"]}}]"],
  [0, "", false, ""],
  [0, "#", false, ""],
  [0, "name.#", false, ""],
  [0, "friends.10", false, ""],
  [0, "friends.-1", false, ""],
  [0, "children.01", true, "\"Alex\""],
  [0, "friends.#(age>\"40\")#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [0, "friends.#(age>abc)#.first", true, "[\"Dale\",\"Roger\",\"Jane\"]"],
  [1, "[@this].#(decision_picker==ERROR)", true, "{\"decision_picker\":\"ERROR\",\"instances\":[]}"],
  [1, "[@this].#(decision_picker==SUCCESS)", false, ""],
  [1, "[@this].#(decision_picker==\"ERROR\")", true, "{\"decision_picker\":\"ERROR\",\"instances\":[]}"],
  [1, "#(decision_picker==ERROR)", false, ""],
  [1, "decision_picker", true, "\"ERROR\""],
  [1, "[@this].#(decision_picker%ERR*)", true, "{\"decision_picker\":\"ERROR\",\"instances\":[]}"],
  [1, "[@this].#(decision_picker!%ERR*)", false, ""],
  [2, "[@this].#(source==client)", true, "{\"source\":\"client\",\"instances\":[{\"intval\":12,\"strval\":\"a-red-server-1\"},{\"intval\":3,\"strval\":\"blue\"}]}"],
  [2, "instances.#(intval>10)", true, "{\"intval\":12,\"strval\":\"a-red-server-1\"}"],
  [2, "instances.#(strval%*red-server*)", true, "{\"intval\":12,\"strval\":\"a-red-server-1\"}"],
  [2, "instances.#(intval>100)", false, ""],
  [2, "instances.#(strval%*green*)", false, ""],
  [2, "instances.#(intval>100)#", true, "[]"],
  [2, "instances.#(intval<5).strval", true, "\"blue\""],
  [3, "predictions.#(#>0)", true, "[1.5,-1]"],
  [3, "predictions.0.#(>100)", false, ""],
  [3, "predictions.0.#(>1)", true, "1.5"],
  [3, "predictions.0.0", true, "1.5"],
  [3, "predictions.#", true, "1"],
  [4, "flag", true, "false"],
  [4, "nul", true, "null"],
  [4, "empty", true, "\"\""],
  [4, "zero", true, "0"],
  [4, "arr", true, "[]"],
  [4, "[@this].#(flag==false)", true, "{\"flag\":false,\"nul\":null,\"empty\":\"\",\"zero\":0,\"arr\":[]}"],
  [4, "[@this].#(flag<true)", true, "{\"flag\":false,\"nul\":null,\"empty\":\"\",\"zero\":0,\"arr\":[]}"],
  [4, "[@this].#(flag==~false)", true, "{\"flag\":false,\"nul\":null,\"empty\":\"\",\"zero\":0,\"arr\":[]}"],
  [4, "[@this].#(nul==~null)", true, "{\"flag\":false,\"nul\":null,\"empty\":\"\",\"zero\":0,\"arr\":[]}"],
  [4, "[@this].#(zero==~false)", true, "{\"flag\":false,\"nul\":null,\"empty\":\"\",\"zero\":0,\"arr\":[]}"],
  [4, "[@this].#(empty==~false)", false, ""],
  [4, "arr.#", true, "0"],
  [5, "a\\.b.c", true, "1"],
  [5, "x\\*y", true, "2"],
  [5, "a*.y", true, "2"],
  [5, "a?.x", true, "1"],
  [5, "k.#(a\\.b==3)", true, "{\"a.b\":3}"],
  [5, "k.#.a\\.b", true, "[3]"],
  [6, "#", true, "3"],
  [6, "0", true, "1"],
  [6, "@reverse", true, "[3,2,1]"],
  [6, "#(>1)#", true, "[2,3]"],
  [6, "#(>1)", true, "2"],
  [6, "@flatten", true, "[1,2,3]"],
  [6, "@this", true, "[1,2,3]"],
  [7, "@this", true, "\"just a string\""],
  [7, "a", false, ""],
  [7, "@tostr", true, "\"\\\"just a string\\\"\""],
  [7, "@fromstr", false, ""],
  [8, "s.@fromstr.inner.1", true, "2"],
  [8, "s|@fromstr|inner", true, "[1,2]"],
  [9, "a.y", true, "2"],
  [9, "a.x", true, "1"],
  [9, "@keys", true, "[\"a\",\"a\",\"b\",\"c\",\"2\",\"n\"]"],
  [9, "[@this].#(b==\"q\\\"uote\")", true, "{\"a\":{\"x\":1},\"a\":{\"y\":2},\"b\":\"q\\\"uote\",\"c\":\"st*r\",\"2\":\"two\",\"n\":1e3}"],
  [9, "[@this].#(c%\"st\\*r\")", false, ""],
  [9, "[@this].#(c%\"st\\*x\")", false, ""],
  [9, "[@this].#(n==1000)", true, "{\"a\":{\"x\":1},\"a\":{\"y\":2},\"b\":\"q\\\"uote\",\"c\":\"st*r\",\"2\":\"two\",\"n\":1e3}"],
  [9, "2", true, "\"two\""],
  [9, "[@this].#(2==\"two\")", true, "{\"a\":{\"x\":1},\"a\":{\"y\":2},\"b\":\"q\\\"uote\",\"c\":\"st*r\",\"2\":\"two\",\"n\":1e3}"],
  [9, "[@this].#(n>=1e2)", true, "{\"a\":{\"x\":1},\"a\":{\"y\":2},\"b\":\"q\\\"uote\",\"c\":\"st*r\",\"2\":\"two\",\"n\":1e3}"],
  [10, "@group", true, "[{\"a\":1,\"b\":3},{\"a\":2,\"b\":4}]"],
  [10, "@flatten", true, "{\"a\":[1,2],\"b\":[3,4]}"],
  [10, "[a,b]|@flatten", true, "[1,2,3,4]"],
  [10, "@values|@flatten:{\"deep\":true}", true, "[1,2,3,4]"],
];

const canonical = (raw: string): string => {
  const node = parseJson(raw);
  assert.ok(node, `gjson's raw result is JSON: ${raw}`);
  return stringify(node);
};

test('every path answers as tidwall/gjson v1.18.0 does (exists, and the same JSON value)', () => {
  const wrong: string[] = [];
  for (const [d, path, exists, raw] of table) {
    const got = get(parseJson(docs[d]!), path);
    const same = exists ? got !== undefined && stringify(got) === canonical(raw) : got === undefined;
    if (!same) wrong.push(`${path}: got ${got === undefined ? 'nothing' : stringify(got)}, gjson ${exists ? raw : 'nothing'}`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(table.length >= 140);
});

test('a condition on a body that is not JSON never holds, as gjson.ValidBytes guards it in KServe', () => {
  assert.equal(conditionHolds('{"decision_picker":"ERROR"}', '[@this].#(decision_picker==ERROR)'), true);
  assert.equal(conditionHolds('{"decision_picker":"ERROR"', '[@this].#(decision_picker==ERROR)'), false);
  assert.equal(conditionHolds('not json', '@this'), false);
  assert.equal(conditionHolds('{"a":1}', ''), false, 'an empty condition names nothing');
});
