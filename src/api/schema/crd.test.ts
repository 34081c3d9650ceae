// CustomResourceDefinitions: defaulting, every validation error with its path, and the served kinds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { admitWithSchema, defaultCrd, resourceTypesFromCrd, validateCrd, validateStructuralSchema } from './index.js';
import { job, pytorchJobCrd, pytorchJobSchema } from './test-fixtures.js';

const crd = (spec: unknown, name = 'widgets.example.floe.dev'): KubeObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name }, spec });
const lines = (errors: FieldError[]): string[] => errors.map((e) => `${e.type} ${e.field}: ${e.message}`);
const spec = (o: KubeObject): Record<string, unknown> => o.spec as Record<string, unknown>;
const widget = (versions: unknown[]): Record<string, unknown> => ({ group: 'example.floe.dev', scope: 'Cluster', names: { plural: 'widgets', kind: 'Widget' }, versions });
const v1 = (openAPIV3Schema: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema }, ...extra });

describe('defaultCrd', () => {
  test('fills singular, listKind and conversion, and keeps what is given', () => {
    const o = crd(widget([v1({ type: 'object' })]));
    defaultCrd(o);
    assert.deepEqual(spec(o).names, { plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' });
    assert.deepEqual(spec(o).conversion, { strategy: 'None' });
    const given = pytorchJobCrd();
    (spec(given).names as Record<string, unknown>).singular = 'ptjob';
    spec(given).conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { name: 'conv', namespace: 'kubeflow' } } } };
    defaultCrd(given);
    assert.equal((spec(given).names as Record<string, unknown>).singular, 'ptjob');
    assert.deepEqual(spec(given).conversion, { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { name: 'conv', namespace: 'kubeflow', port: 443 } } } });
  });

  test('never throws on malformed input', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const o = crd(value);
      defaultCrd(o);
      assert.ok(Array.isArray(validateCrd(o)));
      assert.ok(Array.isArray(resourceTypesFromCrd(o)));
    }));
    fc.assert(fc.property(fc.record({ group: fc.jsonValue(), scope: fc.jsonValue(), names: fc.jsonValue(), versions: fc.array(fc.jsonValue()), conversion: fc.jsonValue() }, { requiredKeys: [] }), (value) => {
      const o = crd(value);
      defaultCrd(o);
      assert.ok(Array.isArray(validateCrd(o)));
      assert.ok(Array.isArray(resourceTypesFromCrd(o)));
    }));
  });
});

describe('validateCrd', () => {
  test('a realistic PyTorchJob CRD is valid', () => {
    const o = pytorchJobCrd();
    defaultCrd(o);
    assert.deepEqual(validateCrd(o), []);
  });

  test('every mistake in names, scope and versions is named with its full path', () => {
    const errors = validateCrd(crd({
      group: 'nodot',
      scope: 'Everywhere',
      names: { plural: 'Widgets', singular: 'a_b', kind: '9Widget', listKind: '9Widget', shortNames: ['ok', 'Not OK'] },
      versions: [
        { name: 'v1', served: true, storage: true },
        { name: 'v1', served: true, storage: true, additionalPrinterColumns: [{ name: 'X', type: 'float' }] },
        { name: '1beta', served: 'yes', storage: false },
      ],
    }));
    assert.deepEqual(lines(errors), [
      'FieldValueInvalid spec.group: Invalid value: "nodot": should be a domain with at least one dot',
      'FieldValueInvalid spec.names.plural: Invalid value: "Widgets": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\')',
      'FieldValueInvalid spec.names.singular: Invalid value: "a_b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\')',
      'FieldValueInvalid spec.names.kind: Invalid value: "9Widget": may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?',
      'FieldValueInvalid spec.names.listKind: Invalid value: "9Widget": may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?',
      'FieldValueInvalid spec.names.listKind: Invalid value: "9Widget": kind and listKind may not be the same or parsing become ambiguous',
      'FieldValueInvalid spec.names.shortNames[1]: Invalid value: "Not OK": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\')',
      'FieldValueInvalid metadata.name: Invalid value: "widgets.example.floe.dev": must be spec.names.plural+"."+spec.group',
      'FieldValueNotSupported spec.scope: Unsupported value: "Everywhere": supported values: "Cluster", "Namespaced"',
      'FieldValueDuplicate spec.versions[1].name: Duplicate value: "v1"',
      'FieldValueInvalid spec.versions[1].storage: Invalid value: true: must have exactly one version marked as storage version',
      'FieldValueNotSupported spec.versions[1].additionalPrinterColumns[0].type: Unsupported value: "float": supported values: "boolean", "date", "integer", "number", "string"',
      'FieldValueRequired spec.versions[1].additionalPrinterColumns[0].jsonPath: Required value',
      'FieldValueInvalid spec.versions[2].name: Invalid value: "1beta": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\')',
      'FieldValueTypeInvalid spec.versions[2].served: Invalid value: "string": must be a boolean',
    ]);
  });

  test('missing pieces are required', () => {
    assert.deepEqual(lines(validateCrd(crd(undefined))), ['FieldValueRequired spec: Required value']);
    assert.deepEqual(lines(validateCrd(crd({ names: {} }, 'x'))), [
      'FieldValueRequired spec.group: Required value',
      'FieldValueRequired spec.names.plural: Required value',
      'FieldValueRequired spec.names.kind: Required value',
      'FieldValueInvalid metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group',
      'FieldValueRequired spec.scope: Required value',
      'FieldValueRequired spec.versions: Required value: must have exactly one version marked as storage version',
    ]);
    assert.deepEqual(lines(validateCrd(crd(widget([{ name: 'v1', served: false, storage: false }])))), [
      'FieldValueInvalid spec.versions: Invalid value: ["v1"]: must have exactly one version marked as storage version',
      'FieldValueInvalid spec.versions: Invalid value: ["v1"]: must have at least one version marked as served',
    ]);
  });

  test('schemas must be structural', () => {
    const errors = validateCrd(crd(widget([
      v1({
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              untyped: { description: 'no type' },
              list: { type: 'array' },
              closed: { type: 'object', additionalProperties: false },
              both: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
              bad: { type: 'string', pattern: '([a-z' },
              port: { type: 'string', 'x-kubernetes-int-or-string': true },
              ports: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { port: { type: 'integer' } } } },
              keyed: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'nope'], items: { type: 'object', properties: { port: { type: 'integer' } } } },
              replicas: { type: 'integer', default: 'one' },
              resources: { type: 'object', properties: { cpu: { type: 'string' } }, default: { cpu: '1', gpu: '1' } },
              items: { type: 'array', items: { properties: { a: { type: 'string' } } } },
              weird: { type: 'float' },
              kept: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
              intOrString: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
              anything: { 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      }),
    ])));
    const at = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties';
    assert.deepEqual(lines(errors), [
      `FieldValueRequired ${at}[untyped].type: Required value: must not be empty for specified object fields`,
      `FieldValueRequired ${at}[list].items: Required value: must be specified`,
      `FieldValueForbidden ${at}[closed].additionalProperties: Forbidden: additionalProperties cannot be set to false`,
      `FieldValueForbidden ${at}[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      `FieldValueInvalid ${at}[bad].pattern: Invalid value: "([a-z": must be a valid regular expression, but isn't: error parsing regexp: missing closing ]: \`[a-z\``,
      `FieldValueInvalid ${at}[port].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
      `FieldValueRequired ${at}[ports].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
      `FieldValueRequired ${at}[keyed].items.properties[port].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
      `FieldValueInvalid ${at}[keyed].x-kubernetes-list-map-keys: Invalid value: ["port","nope"]: entries must all be names of item properties`,
      `FieldValueTypeInvalid ${at}[replicas].default: Invalid value: "string": ${at}[replicas].default in body must be of type integer: "string"`,
      `FieldValueInvalid ${at}[resources].default: Invalid value: "object": must not have unknown fields`,
      `FieldValueRequired ${at}[items].items.type: Required value: must not be empty for specified array items`,
      `FieldValueNotSupported ${at}[weird].type: Unsupported value: "float": supported values: "array", "boolean", "integer", "number", "object", "string"`,
      `FieldValueInvalid ${at}[kept].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
    ]);
    assert.deepEqual(lines(validateStructuralSchema({ type: 'string' }, 'root')), ['FieldValueInvalid root.type: Invalid value: "string": must be object at the root']);
    assert.deepEqual(lines(validateStructuralSchema({}, 'root')), ['FieldValueRequired root.type: Required value: must not be empty at the root']);
    assert.deepEqual(lines(validateCrd(crd(widget([{ name: 'v1', served: true, storage: true, schema: {} }])))), [
      'FieldValueRequired spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
    ]);
  });

  test('printer columns, subresources and conversion', () => {
    const errors = validateCrd(crd({
      ...widget([
        v1({ type: 'object' }, {
          subresources: { status: true, scale: { specReplicasPath: '.status.replicas' } },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Bad', type: 'string', jsonPath: 'status.phase', format: 'money', priority: -1 },
            { name: 'Broken', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready"' },
            { type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        }),
      ]),
      conversion: { strategy: 'Webhook' },
      preserveUnknownFields: true,
    }));
    const p = 'spec.versions[0]';
    assert.deepEqual(lines(errors), [
      `FieldValueTypeInvalid ${p}.subresources.status: Invalid value: "boolean": must be an object ({})`,
      `FieldValueInvalid ${p}.subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec`,
      `FieldValueRequired ${p}.subresources.scale.statusReplicasPath: Required value`,
      `FieldValueNotSupported ${p}.additionalPrinterColumns[1].format: Unsupported value: "money": supported values: "byte", "date", "date-time", "double", "float", "int32", "int64", "password"`,
      `FieldValueInvalid ${p}.additionalPrinterColumns[1].jsonPath: Invalid value: "status.phase": must be a simple json path starting with .`,
      `FieldValueInvalid ${p}.additionalPrinterColumns[1].priority: Invalid value: -1: must be a non-negative integer`,
      `FieldValueInvalid ${p}.additionalPrinterColumns[2].jsonPath: Invalid value: ".status.conditions[?(@.type==\\"Ready\\"": invalid JSONPath: unclosed '[' at position 18`,
      `FieldValueRequired ${p}.additionalPrinterColumns[3].name: Required value`,
      'FieldValueRequired spec.conversion.webhook: Required value: required when strategy is set to Webhook',
      'FieldValueInvalid spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
    ]);
    assert.deepEqual(lines(validateCrd(crd({ ...widget([v1({ type: 'object' })]), conversion: { strategy: 'Magic', webhook: {} } }))), [
      'FieldValueNotSupported spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"',
      'FieldValueForbidden spec.conversion.webhook: Forbidden: should not be set when strategy is not set to Webhook',
    ]);
  });
});

describe('resourceTypesFromCrd', () => {
  test('one kind per served version, with the storage version, status subresource, columns and schema', () => {
    const o = pytorchJobCrd();
    defaultCrd(o);
    const types = resourceTypesFromCrd(o);
    assert.deepEqual(types.map((t) => `${t.group}/${t.version} ${t.kind} ${t.plural} storage=${t.storageVersion} status=${t.statusSubresource}`), [
      'kubeflow.org/v1 PyTorchJob pytorchjobs storage=v1 status=true',
      'kubeflow.org/v1beta1 PyTorchJob pytorchjobs storage=v1 status=false',
    ]);
    const [first, second] = types;
    assert.ok(first && second);
    assert.deepEqual({ ...first, schema: undefined }, {
      group: 'kubeflow.org',
      version: 'v1',
      kind: 'PyTorchJob',
      listKind: 'PyTorchJobList',
      plural: 'pytorchjobs',
      singular: 'pytorchjob',
      namespaced: true,
      shortNames: ['ptj'],
      categories: ['all', 'kubeflow'],
      storageVersion: 'v1',
      statusSubresource: true,
      scale: { selector: 'text', specReplicasPath: '.spec.pytorchReplicaSpecs.Worker.replicas', statusReplicasPath: '.status.replicaStatuses.Worker.active' },
      schema: undefined,
      columns: [
        { name: 'State', type: 'string', jsonPath: '.status.conditions[-1:].type' },
        { name: 'Workers', type: 'integer', jsonPath: '.spec.pytorchReplicaSpecs.Worker.replicas', priority: 1 },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
      generationFrom: 'spec',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      source: { from: 'crd', crdName: 'pytorchjobs.kubeflow.org' },
    });
    assert.equal(first.patchMeta, undefined);
    assert.deepEqual(first.schema, pytorchJobSchema);
    assert.notEqual(first.schema, pytorchJobSchema, 'the schema is a copy');
    assert.deepEqual(second.columns, [], 'no printer columns means none (AGE is the printer\'s)');
  });

  test('a cluster-scoped CRD with defaults only', () => {
    const o = crd(widget([v1({ type: 'object' })]));
    defaultCrd(o);
    const [t] = resourceTypesFromCrd(o);
    assert.equal(t?.namespaced, false);
    assert.equal(t?.singular, 'widget');
    assert.equal(t?.listKind, 'WidgetList');
    assert.deepEqual(t?.shortNames, []);
  });

  test('the served schema admits a PyTorchJob end to end', () => {
    const [t] = resourceTypesFromCrd(pytorchJobCrd());
    assert.ok(t?.schema);
    const { object, errors } = admitWithSchema(job({ pytorchReplicaSpecs: { Master: { template: { spec: { containers: [{ name: 'pytorch', image: 'img' }] } } } } }), t.schema);
    assert.deepEqual(errors, []);
    assert.deepEqual((object.spec as Record<string, unknown>).runPolicy, { cleanPodPolicy: 'None', suspend: false });
  });
});
