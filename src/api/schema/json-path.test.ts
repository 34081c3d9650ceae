// Printer-column JSONPath evaluation and cell rendering.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateColumnPath, evaluateJsonPath, formatCell, JsonPathError, normalizeTimestamp, parseJsonPath } from './index.js';

const job = {
  metadata: {
    name: 'mnist',
    creationTimestamp: '2024-05-01T10:00:00Z',
    labels: { app: 'mnist', 'app.kubernetes.io/name': 'trainer' },
    annotations: { 'example.com/owner': 'me', 'a.b': { nested: 1 } },
  },
  spec: { replicas: 0, suspend: false, containers: [{ name: 'a', ports: [{ port: 80 }] }, { name: 'b' }] },
  status: {
    conditions: [
      { type: 'Created', status: 'True', count: 1 },
      { type: 'Running', status: 'False', count: 5 },
      { type: 'Ready', status: 'True', reason: 'AllUp', count: 3 },
    ],
  },
};

describe('evaluateColumnPath', () => {
  test('the forms kubectl and CRDs use', () => {
    assert.equal(evaluateColumnPath(job, '.spec.replicas'), 0, 'falsy values are values');
    assert.equal(evaluateColumnPath(job, '.spec.suspend'), false);
    assert.equal(evaluateColumnPath(job, '.metadata.labels.app'), 'mnist');
    assert.equal(evaluateColumnPath(job, '.status.conditions[0].type'), 'Created');
    assert.equal(evaluateColumnPath(job, '.status.conditions[-1].type'), 'Ready');
    assert.equal(evaluateColumnPath(job, '.status.conditions[-1:].type'), 'Ready', 'Kubeflow\'s State column');
    assert.equal(evaluateColumnPath(job, '.status.conditions[?(@.type=="Ready")].status'), 'True');
    assert.equal(evaluateColumnPath(job, ".status.conditions[?(@.type=='Running')].status"), 'False');
    assert.equal(evaluateColumnPath(job, '.status.conditions[?(@.type != "Created")].type'), 'Running');
    assert.equal(evaluateColumnPath(job, '.status.conditions[?(@.count > 2)].type'), 'Running');
    assert.equal(evaluateColumnPath(job, '.status.conditions[?(@.count<=1)].type'), 'Created');
    assert.equal(evaluateColumnPath(job, '.status.conditions[?(@.reason)].type'), 'Ready');
    assert.equal(evaluateColumnPath(job, '.metadata.annotations.example\\.com/owner'), 'me');
    assert.deepEqual(evaluateColumnPath(job, '.metadata.annotations.a\\.b'), { nested: 1 });
    assert.equal(evaluateColumnPath(job, ".metadata.labels['app.kubernetes.io/name']"), 'trainer');
    assert.equal(evaluateColumnPath(job, '.metadata.labels["app.kubernetes.io/name"]'), 'trainer');
    assert.equal(evaluateColumnPath(job, '{.metadata.name}'), 'mnist');
    assert.equal(evaluateColumnPath(job, '$.metadata.name'), 'mnist');
    assert.equal(evaluateColumnPath(job, 'metadata.name'), 'mnist');
    assert.equal(evaluateColumnPath(job, '.spec.containers[*].name'), 'a');
    assert.equal(evaluateColumnPath(job, '.spec.containers[0].ports[0].port'), 80);
    assert.deepEqual(evaluateColumnPath(job, '.'), job);
  });

  test('absent paths and bad syntax give undefined', () => {
    for (const path of ['.spec.missing', '.spec.missing.deeper', '.status.conditions[7].type', '.status.conditions[?(@.type=="Gone")].status', '.spec.replicas.x', '.metadata.name[0]', '.spec.containers.name', '.status.conditions[?(@.type==', '.a[x]', '.a b']) {
      assert.equal(evaluateColumnPath(job, path), undefined, path);
    }
    assert.equal(evaluateColumnPath(undefined, '.a'), undefined);
    assert.equal(evaluateColumnPath({ toString: 'x' }, '.constructor'), undefined, 'only own fields');
  });

  test('every match, and syntax errors', () => {
    assert.deepEqual(evaluateJsonPath(job, '.spec.containers[*].name'), ['a', 'b']);
    assert.deepEqual(evaluateJsonPath(job, '.status.conditions[0:2].type'), ['Created', 'Running']);
    assert.deepEqual(evaluateJsonPath(job, '.status.conditions[::2].type'), ['Created', 'Ready']);
    assert.deepEqual(evaluateJsonPath(job, '.status.conditions[0,2].type'), ['Created', 'Ready']);
    assert.deepEqual(evaluateJsonPath(job, '.status.conditions[?(@.status=="True")].type'), ['Created', 'Ready']);
    assert.deepEqual(evaluateJsonPath(job, '.spec..name'), ['a', 'b']);
    assert.deepEqual(evaluateJsonPath(job, '.spec..port'), [80]);
    assert.deepEqual(evaluateJsonPath(job, '.metadata.labels.*'), ['mnist', 'trainer']);
    assert.throws(() => parseJsonPath('.status.conditions[?(@.type=="Ready"'), JsonPathError);
    assert.throws(() => parseJsonPath('.a[?(@.x ~ 1)]'), JsonPathError);
    assert.throws(() => parseJsonPath('.a[1:2:0]'), JsonPathError);
  });

  test('never throws, whatever the path', () => {
    fc.assert(fc.property(fc.string(), (path) => {
      evaluateColumnPath(job, path);
    }));
    fc.assert(fc.property(fc.stringMatching(/^(\.[a-z*]{0,3}|\[(-?\d|\*|'[a-z.]+'|\?\(@\.[a-z]+( ?[=!<>]= ?("[a-z]+"|\d))?\))\]){0,5}$/), (path) => {
      assert.ok(Array.isArray(evaluateJsonPath(job, path)));
    }));
  });
});

describe('formatCell', () => {
  test('renders cells as kube-apiserver does', () => {
    assert.equal(formatCell('Running', 'string'), 'Running');
    assert.equal(formatCell(3, 'string'), '3');
    assert.equal(formatCell(true, 'string'), 'true');
    assert.equal(formatCell({ a: 1, b: [2] }, 'string'), '{"a":1,"b":[2]}');
    assert.equal(formatCell(['x', 'y'], 'string'), '["x","y"]');
    assert.equal(formatCell(3, 'integer'), 3);
    assert.equal(formatCell(3.7, 'integer'), 3);
    assert.equal(formatCell('3', 'integer'), null);
    assert.equal(formatCell(0.5, 'number'), 0.5);
    assert.equal(formatCell('0.5', 'number'), null);
    assert.equal(formatCell(false, 'boolean'), false);
    assert.equal(formatCell('true', 'boolean'), null);
    assert.equal(formatCell('2024-05-01T12:00:00.123+02:00', 'date'), '2024-05-01T10:00:00Z');
    assert.equal(formatCell('2024-05-01T10:00:00Z', 'date'), '2024-05-01T10:00:00Z');
    assert.equal(formatCell('yesterday', 'date'), '<invalid>');
    assert.equal(formatCell('2024-02-30T10:00:00Z', 'date'), '<invalid>');
    assert.equal(formatCell(5, 'date'), null);
    assert.equal(formatCell(undefined, 'string'), null);
    assert.equal(formatCell(null, 'integer'), null);
  });

  test('timestamps normalise to UTC seconds', () => {
    assert.equal(normalizeTimestamp('2024-12-31t23:59:59.999-01:00'), '2025-01-01T00:59:59Z');
    assert.equal(normalizeTimestamp('2024-05-01'), undefined);
  });
});
