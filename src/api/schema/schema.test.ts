// Structural schemas (prune, default, validate), CRD validation, and printer-column paths.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KubeObject } from '../meta.js';
import type { JSONSchemaProps } from '../resource-type.js';
import { admitWithSchema, evaluateColumnPath, resourceTypesFromCrd, validateCrd } from './index.js';

const replicaSpec: JSONSchemaProps = {
  type: 'object',
  required: ['template'],
  properties: {
    replicas: { type: 'integer', minimum: 1, default: 1 },
    restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never', 'ExitCode'], default: 'OnFailure' },
    template: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};
const jobSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['replicaSpecs'],
      properties: {
        replicaSpecs: { type: 'object', additionalProperties: replicaSpec },
        runPolicy: {
          type: 'object',
          default: {},
          properties: { cleanPodPolicy: { type: 'string', default: 'None' }, backoffLimit: { type: 'integer', format: 'int32' } },
        },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

const job = (spec: unknown): Record<string, unknown> => ({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'j' }, spec });

describe('structural schema admission', () => {
  test('defaults apply deep inside maps, and a defaulted parent is filled in', () => {
    const { object, errors } = admitWithSchema(job({ replicaSpecs: { Master: { template: { spec: { containers: [] } } } } }), jobSchema);
    assert.deepEqual(errors, []);
    const spec = object.spec as { replicaSpecs: { Master: Record<string, unknown> }; runPolicy: unknown };
    assert.equal(spec.replicaSpecs.Master.replicas, 1);
    assert.equal(spec.replicaSpecs.Master.restartPolicy, 'OnFailure');
    assert.deepEqual(spec.replicaSpecs.Master.template, { spec: { containers: [] } }, 'preserved subtree kept');
    assert.deepEqual(spec.runPolicy, { cleanPodPolicy: 'None' });
  });

  test('unknown fields are pruned, root metadata is kept', () => {
    const { object } = admitWithSchema({ ...job({ replicaSpecs: {}, extra: 1 }), stray: true }, jobSchema);
    assert.equal('stray' in object, false);
    assert.equal('extra' in (object.spec as object), false);
    assert.deepEqual(object.metadata, { name: 'j' });
  });

  test('every violation is reported with its path', () => {
    const { errors } = admitWithSchema(job({
      replicaSpecs: { Worker: { replicas: 0, restartPolicy: 'Sometimes' }, Chief: { replicas: 'two', template: {} } },
      port: 1.5,
      tags: ['a', 'a'],
      name: 'Toolong',
      runPolicy: { backoffLimit: 2 ** 40 },
    }), jobSchema);
    const fields = errors.map((e) => `${e.type} ${e.field}`).sort();
    assert.deepEqual(fields, [
      'FieldValueDuplicate spec.tags[1]',
      'FieldValueInvalid spec.name',
      'FieldValueInvalid spec.replicaSpecs[Worker].replicas',
      'FieldValueInvalid spec.runPolicy.backoffLimit',
      'FieldValueNotSupported spec.replicaSpecs[Worker].restartPolicy',
      'FieldValueRequired spec.replicaSpecs[Worker].template',
      'FieldValueTooLong spec.name',
      'FieldValueTypeInvalid spec.port',
      'FieldValueTypeInvalid spec.replicaSpecs[Chief].replicas',
    ]);
    const type = errors.find((e) => e.field === 'spec.replicaSpecs[Chief].replicas');
    assert.equal(type?.message, 'Invalid value: "two": spec.replicaSpecs[Chief].replicas in body must be of type integer: "string"');
  });

  test('a missing required field at the top is named', () => {
    assert.deepEqual(admitWithSchema(job({}), jobSchema).errors.map((e) => e.field), ['spec.replicaSpecs']);
  });

  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  test('admission is idempotent and never mutates its input', () => {
    fc.assert(fc.property(fc.record({ replicaSpecs: fc.dictionary(fc.constantFrom('Master', 'Worker'), fc.record({ replicas: fc.oneof(fc.integer(), jsonValue), template: jsonValue }, { requiredKeys: [] }), { noNullPrototype: true }), port: jsonValue, tags: fc.array(fc.string()) }, { requiredKeys: [], noNullPrototype: true }), (spec) => {
      const input = job(spec);
      const before = JSON.stringify(input);
      const first = admitWithSchema(input, jobSchema);
      assert.equal(JSON.stringify(input), before);
      const second = admitWithSchema(first.object, jobSchema);
      assert.deepEqual(second.object, first.object);
      assert.deepEqual(second.errors.map((e) => e.field).sort(), first.errors.map((e) => e.field).sort());
    }));
  });
});

describe('CustomResourceDefinitions', () => {
  const crd = (spec: Record<string, unknown>, name = 'widgets.example.floe.dev'): KubeObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, spec });
  const good = {
    group: 'example.floe.dev',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
    versions: [
      { name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object' } }, additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }] },
      { name: 'v1beta1', served: true, storage: false },
      { name: 'v1alpha1', served: false, storage: false },
    ],
  };

  test('a valid CRD serves one kind per served version', () => {
    assert.deepEqual(validateCrd(crd(good)), []);
    const types = resourceTypesFromCrd(crd(good));
    assert.deepEqual(types.map((t) => `${t.group}/${t.version} ${t.plural} ${t.storageVersion} ${t.statusSubresource}`), [
      'example.floe.dev/v1 widgets v1 true',
      'example.floe.dev/v1beta1 widgets v1 false',
    ]);
    assert.deepEqual(types[0]?.columns, [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }]);
  });

  test('every mistake is named', () => {
    const errors = validateCrd(crd({
      group: 'nodot',
      scope: 'Everywhere',
      names: { plural: 'Widgets' },
      versions: [{ name: 'v1', served: true, storage: true }, { name: 'v1', served: true, storage: true, additionalPrinterColumns: [{ name: 'X', type: 'float' }] }],
    }));
    const fields = [...new Set(errors.map((e) => e.field))].sort();
    assert.deepEqual(fields, [
      'metadata.name', 'spec.group', 'spec.names.kind', 'spec.names.plural', 'spec.scope', 'spec.versions',
      'spec.versions[1].additionalPrinterColumns[0].jsonPath', 'spec.versions[1].additionalPrinterColumns[0].type', 'spec.versions[1].name',
    ]);
  });
});

describe('printer column paths', () => {
  const o = {
    metadata: { name: 'x', annotations: { 'example.com/owner': 'me' } },
    spec: { replicas: 3 },
    status: { conditions: [{ type: 'Created', status: 'True' }, { type: 'Ready', status: 'False' }] },
  };
  test('the forms CRDs use', () => {
    assert.equal(evaluateColumnPath(o, '.spec.replicas'), 3);
    assert.equal(evaluateColumnPath(o, '.status.conditions[0].type'), 'Created');
    assert.equal(evaluateColumnPath(o, '.status.conditions[-1].type'), 'Ready');
    assert.equal(evaluateColumnPath(o, '.status.conditions[?(@.type=="Ready")].status'), 'False');
    assert.equal(evaluateColumnPath(o, '.metadata.annotations.example\\.com/owner'), 'me');
    assert.equal(evaluateColumnPath(o, '.spec.missing.deeper'), undefined);
  });
});
