// Structural-schema admission: pruning, defaulting, every violation with Kubernetes' paths and wording, idempotence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FieldError } from '../errors.js';
import type { JSONSchemaProps } from '../resource-type.js';
import { admitWithSchema } from './index.js';
import { job, pytorchJobSchema } from './test-fixtures.js';

const worker = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  template: { spec: { containers: [{ name: 'pytorch', image: 'kubeflow/pytorch-mnist:v1' }] } },
  ...extra,
});

const at = (errors: FieldError[], field: string): FieldError[] => errors.filter((e) => e.field === field);
const one = (errors: FieldError[], field: string): FieldError => {
  const found = at(errors, field);
  assert.equal(found.length, 1, `one error at ${field}, got ${JSON.stringify(errors)}`);
  return found[0] as FieldError;
};

describe('pruning', () => {
  test('unknown fields go, root apiVersion/kind/metadata stay untouched, preserved subtrees stay whole', () => {
    const input = job(
      {
        pytorchReplicaSpecs: {
          Worker: worker({
            bogus: 1,
            template: {
              metadata: { labels: { a: 'b' }, anything: { deep: true } },
              spec: { containers: [{ name: 'pytorch', image: 'img', notAField: 'x' }], nodeSelector: { gpu: 'a100' }, hostNetwork: true },
              extra: 'dropped',
            },
          }),
        },
        typo: 'dropped',
      },
      { stray: true },
    );
    (input.metadata as Record<string, unknown>).whatever = { kept: 1 };
    const { object, errors, unknownFields } = admitWithSchema(input, pytorchJobSchema);
    assert.deepEqual(errors, []);
    assert.deepEqual(unknownFields, [
      'spec.pytorchReplicaSpecs[Worker].template.spec.containers[0].notAField',
      'spec.pytorchReplicaSpecs[Worker].template.extra',
      'spec.pytorchReplicaSpecs[Worker].bogus',
      'spec.typo',
      'stray',
    ]);
    assert.deepEqual(object, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'mnist', namespace: 'default', whatever: { kept: 1 } },
      spec: {
        pytorchReplicaSpecs: {
          Worker: {
            template: {
              metadata: { labels: { a: 'b' }, anything: { deep: true } },
              spec: { containers: [{ name: 'pytorch', image: 'img' }], nodeSelector: { gpu: 'a100' }, hostNetwork: true },
            },
            replicas: 1,
            restartPolicy: 'OnFailure',
          },
        },
        runPolicy: { cleanPodPolicy: 'None', suspend: false },
      },
    });
  });

  test('preserve-unknown-fields at the root keeps unknown top-level fields', () => {
    const schema: JSONSchemaProps = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } };
    const { object } = admitWithSchema({ apiVersion: 'x/v1', kind: 'X', metadata: {}, data: { any: [1, { b: 2 }] }, spec: { a: 'x', b: 'pruned' } }, schema);
    assert.deepEqual(object, { apiVersion: 'x/v1', kind: 'X', metadata: {}, data: { any: [1, { b: 2 }] }, spec: { a: 'x' } });
  });

  test('an object without properties prunes to empty; arrays without items keep scalars only', () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object', properties: { o: { type: 'object' }, l: { type: 'array' } } } } };
    const { object } = admitWithSchema({ spec: { o: { a: 1 }, l: [1, { a: 1 }, 'x'] } }, schema);
    assert.deepEqual(object, { spec: { o: {}, l: [1, {}, 'x'] } });
  });

  test('additionalProperties: true behaves as preserve-unknown-fields; false prunes', () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { a: { type: 'object', additionalProperties: true }, b: { type: 'object', additionalProperties: false } } };
    assert.deepEqual(admitWithSchema({ a: { x: { y: 1 } }, b: { x: 1 } }, schema).object, { a: { x: { y: 1 } }, b: {} });
  });

  test('embedded resources keep apiVersion, kind and metadata, prune the rest, and must say what they are', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            manifest: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
            bare: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    };
    const { object, errors } = admitWithSchema(
      { spec: { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: { x: 1 }, data: { dropped: 'yes' } }, bare: { metadata: 'oops', kind: '', other: 1 } } },
      schema,
    );
    assert.deepEqual((object.spec as Record<string, unknown>).manifest, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: { x: 1 } });
    assert.deepEqual((object.spec as Record<string, unknown>).bare, { metadata: 'oops', kind: '', other: 1 });
    assert.deepEqual(errors.map((e) => `${e.type} ${e.field} ${e.message}`), [
      'FieldValueRequired spec.bare.apiVersion Required value: must not be empty',
      'FieldValueInvalid spec.bare.kind Invalid value: "": must not be empty',
      'FieldValueTypeInvalid spec.bare.metadata Invalid value: "string": spec.bare.metadata in body must be of type object: "string"',
    ]);
  });
});

describe('defaulting', () => {
  test('defaults apply in map values and array items, deep-copied, and parents are not invented', () => {
    const { object, errors } = admitWithSchema(
      job({
        pytorchReplicaSpecs: {
          Master: worker({ replicas: 1 }),
          Worker: worker({ replicas: 3, template: { spec: { containers: [{ name: 'pytorch', image: 'img', ports: [{ containerPort: 23456 }, { containerPort: 23456, protocol: 'UDP' }] }] } } }),
        },
      }),
      pytorchJobSchema,
    );
    assert.deepEqual(errors, []);
    const spec = object.spec as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(spec.pytorchReplicaSpecs?.Master?.restartPolicy, 'OnFailure');
    assert.equal(spec.pytorchReplicaSpecs?.Worker?.replicas, 3, 'a given value wins over the default');
    const ports = (((spec.pytorchReplicaSpecs?.Worker?.template as Record<string, Record<string, unknown[]>>).spec?.containers?.[0]) as Record<string, unknown>).ports;
    assert.deepEqual(ports, [{ containerPort: 23456, protocol: 'TCP' }, { containerPort: 23456, protocol: 'UDP' }]);
    assert.deepEqual(spec.runPolicy, { cleanPodPolicy: 'None', suspend: false }, 'a defaulted parent gets its own defaults');
    assert.equal('elasticPolicy' in spec, false, 'no default, so not invented even though children have defaults');
    // Defaults are copies: changing one result does not change the schema or the next result.
    (spec.runPolicy as Record<string, unknown>).cleanPodPolicy = 'All';
    const again = admitWithSchema(job({ pytorchReplicaSpecs: { Master: worker() } }), pytorchJobSchema).object.spec as Record<string, unknown>;
    assert.deepEqual(again.runPolicy, { cleanPodPolicy: 'None', suspend: false });
  });

  test('a non-nullable null is dropped so the default applies; a nullable null is kept and not defaulted', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          required: ['must'],
          properties: {
            withDefault: { type: 'string', default: 'd' },
            plain: { type: 'string' },
            nullable: { type: 'string', nullable: true, default: 'd' },
            must: { type: 'string' },
            list: { type: 'array', items: { type: 'string' } },
            nullableList: { type: 'array', items: { type: 'string', nullable: true } },
            map: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    };
    const { object, errors } = admitWithSchema({ spec: { withDefault: null, plain: null, nullable: null, must: null, list: ['a', null], nullableList: [null], map: { a: null, b: 'x' } } }, schema);
    assert.deepEqual(object.spec, { withDefault: 'd', nullable: null, list: ['a', null], nullableList: [null], map: { b: 'x' } });
    assert.deepEqual(admitWithSchema({ spec: { plain: null, must: 'x' } }, schema).unknownFields, [], 'a dropped null is not an unknown field');
    assert.deepEqual(errors.map((e) => `${e.type} ${e.field} ${e.message}`), [
      'FieldValueTypeInvalid spec.list[1] Invalid value: "null": spec.list[1] in body must be of type string: "null"',
      'FieldValueRequired spec.must Required value',
    ]);
  });

  test('a null default is no default; an invalid default is reported like given data', () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string', default: null }, b: { type: 'integer', default: 'x' } } } } };
    const { object, errors } = admitWithSchema({ spec: {} }, schema);
    assert.deepEqual(object.spec, { b: 'x' });
    assert.deepEqual(errors.map((e) => e.field), ['spec.b']);
  });
});

describe('validation', () => {
  test('every violation at once, with Kubernetes paths, types and wording', () => {
    const { errors } = admitWithSchema(
      job({
        pytorchReplicaSpecs: {
          Master: worker({ replicas: 'two', restartPolicy: 'Sometimes' }),
          Worker: {
            replicas: -1,
            template: {
              spec: {
                containers: [
                  {
                    name: 'Bad_Name',
                    image: '',
                    imagePullPolicy: 'Sometimes',
                    ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }, { containerPort: 70000 }],
                    env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }],
                    resources: { limits: { cpu: 1.5, memory: '4Gi', gpu: 'lots' } },
                    args: ['--x', 3],
                  },
                  { image: 'nameless' },
                ],
              },
            },
          },
          Chief: { template: { spec: {} } },
        },
        runPolicy: { backoffLimit: 2 ** 40, activeDeadlineSeconds: 0, cleanPodPolicy: 'Some', schedulingPolicy: 'gang' },
        elasticPolicy: { minReplicas: 0, maxReplicas: 101, nProcPerNode: 1.5, metrics: [{}, {}, {}] },
      }, { status: { conditions: [{ type: 'Created', status: 'Maybe', lastTransitionTime: 'yesterday' }], startTime: '2024-05-01T10:00:00Z' } }),
      pytorchJobSchema,
    );
    const master = 'spec.pytorchReplicaSpecs[Master]';
    const c0 = 'spec.pytorchReplicaSpecs[Worker].template.spec.containers[0]';
    assert.deepEqual(one(errors, `${master}.replicas`), { type: 'FieldValueTypeInvalid', field: `${master}.replicas`, message: `Invalid value: "string": ${master}.replicas in body must be of type integer: "string"` });
    assert.deepEqual(one(errors, `${master}.restartPolicy`), { type: 'FieldValueNotSupported', field: `${master}.restartPolicy`, message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never", "ExitCode"' });
    assert.equal(one(errors, 'spec.pytorchReplicaSpecs[Worker].replicas').message, 'Invalid value: -1: spec.pytorchReplicaSpecs[Worker].replicas in body should be greater than or equal to 0');
    assert.deepEqual(one(errors, `${c0}.name`), { type: 'FieldValueInvalid', field: `${c0}.name`, message: `Invalid value: "Bad_Name": ${c0}.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'` });
    assert.equal(one(errors, `${c0}.image`).message, `Invalid value: "": ${c0}.image in body should be at least 1 chars long`);
    assert.equal(one(errors, `${c0}.imagePullPolicy`).type, 'FieldValueNotSupported');
    assert.deepEqual(one(errors, `${c0}.ports[1]`), { type: 'FieldValueDuplicate', field: `${c0}.ports[1]`, message: 'Duplicate value: {"containerPort":80,"protocol":"TCP"}' });
    assert.equal(one(errors, `${c0}.ports[2].containerPort`).message, `Invalid value: 70000: ${c0}.ports[2].containerPort in body should be less than or equal to 65535`);
    assert.deepEqual(one(errors, `${c0}.env[1]`), { type: 'FieldValueDuplicate', field: `${c0}.env[1]`, message: 'Duplicate value: {"name":"A"}' });
    assert.deepEqual(at(errors, `${c0}.resources.limits[cpu]`).map((e) => e.message), [
      `Invalid value: "number": ${c0}.resources.limits[cpu] in body must be of type integer,string: "number"`,
    ]);
    assert.equal(one(errors, `${c0}.resources.limits[gpu]`).message, `Invalid value: "lots": ${c0}.resources.limits[gpu] in body should match '^[0-9]+(m|Mi|Gi)?$'`);
    assert.equal(one(errors, `${c0}.args[1]`).message, `Invalid value: "integer": ${c0}.args[1] in body must be of type string: "integer"`);
    assert.deepEqual(one(errors, 'spec.pytorchReplicaSpecs[Worker].template.spec.containers[1].name'), { type: 'FieldValueRequired', field: 'spec.pytorchReplicaSpecs[Worker].template.spec.containers[1].name', message: 'Required value' });
    assert.equal(one(errors, 'spec.pytorchReplicaSpecs[Chief].template.spec.containers').type, 'FieldValueRequired');
    assert.deepEqual(one(errors, 'spec.runPolicy.backoffLimit'), { type: 'FieldValueTypeInvalid', field: 'spec.runPolicy.backoffLimit', message: 'Invalid value: 1099511627776: spec.runPolicy.backoffLimit in body must be of type int32: "1099511627776"' });
    assert.equal(one(errors, 'spec.runPolicy.activeDeadlineSeconds').message, 'Invalid value: 0: spec.runPolicy.activeDeadlineSeconds in body should be greater than 0');
    assert.equal(one(errors, 'spec.runPolicy.cleanPodPolicy').type, 'FieldValueNotSupported');
    assert.equal(one(errors, 'spec.runPolicy.schedulingPolicy').message, 'Invalid value: "string": spec.runPolicy.schedulingPolicy in body must be of type object: "string"');
    assert.equal(one(errors, 'spec.elasticPolicy.minReplicas').message, 'Invalid value: 0: spec.elasticPolicy.minReplicas in body should be greater than or equal to 1');
    assert.equal(one(errors, 'spec.elasticPolicy.maxReplicas').message, 'Invalid value: 101: spec.elasticPolicy.maxReplicas in body should be less than or equal to 100');
    assert.equal(one(errors, 'spec.elasticPolicy.nProcPerNode').type, 'FieldValueTypeInvalid');
    assert.deepEqual(one(errors, 'spec.elasticPolicy.metrics'), { type: 'FieldValueTooMany', field: 'spec.elasticPolicy.metrics', message: 'Too many: 3: must have at most 2 items' });
    assert.deepEqual(one(errors, 'status.conditions[0].status'), { type: 'FieldValueNotSupported', field: 'status.conditions[0].status', message: 'Unsupported value: "Maybe": supported values: "True", "False", "Unknown"' });
    assert.equal(one(errors, 'status.conditions[0].lastTransitionTime').message, 'Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday"');
    assert.equal(errors.length, 24, JSON.stringify(errors.map((e) => e.field)));
  });

  test('required fields at the top are named; root apiVersion, kind and metadata are not validated', () => {
    const schema: JSONSchemaProps = { ...pytorchJobSchema, required: ['apiVersion', 'kind', 'metadata', 'spec'] };
    assert.deepEqual(admitWithSchema({ metadata: 7 }, schema).errors, [{ type: 'FieldValueRequired', field: 'spec', message: 'Required value' }]);
    assert.deepEqual(admitWithSchema(job({}), pytorchJobSchema).errors, [{ type: 'FieldValueRequired', field: 'spec.pytorchReplicaSpecs', message: 'Required value' }]);
  });

  test('string, number, array and object keywords', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        s: { type: 'string', minLength: 2, maxLength: 3 },
        e: { type: 'string', format: 'email' },
        u: { type: 'string', format: 'uuid' },
        d: { type: 'string', format: 'duration' },
        h: { type: 'string', format: 'hostname' },
        ip: { type: 'string', format: 'ipv4' },
        unknownFormat: { type: 'string', format: 'not-a-format' },
        n: { type: 'number', multipleOf: 0.5, maximum: 10, exclusiveMaximum: true },
        l: { type: 'array', items: { type: 'integer' }, minItems: 2, uniqueItems: true },
        set: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        o: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 2, maxProperties: 3 },
        big: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 },
        emoji: { type: 'string', maxLength: 2 },
      },
    };
    const { errors } = admitWithSchema(
      { s: 'abcd', e: 'nope', u: '123', d: 'PT5M', h: 'a_b', ip: '1.2.3.4', unknownFormat: 'anything', n: 10, l: [1, 1], set: ['a', 'b', 'a'], o: { a: 'x' }, big: { a: 'x', b: 'y' }, emoji: '😀😀' },
      schema,
    );
    assert.deepEqual(errors.map((e) => `${e.type} ${e.field} ${e.message}`), [
      'FieldValueTooLong s Too long: may not be more than 3 bytes',
      'FieldValueTypeInvalid e Invalid value: "nope": e in body must be of type email: "nope"',
      'FieldValueTypeInvalid u Invalid value: "123": u in body must be of type uuid: "123"',
      'FieldValueTypeInvalid d Invalid value: "PT5M": d in body must be of type duration: "PT5M"',
      'FieldValueTypeInvalid h Invalid value: "a_b": h in body must be of type hostname: "a_b"',
      'FieldValueInvalid n Invalid value: 10: n in body should be less than 10',
      'FieldValueInvalid l Invalid value: "array": l in body shouldn\'t contain duplicates',
      'FieldValueDuplicate set[2] Duplicate value: "a"',
      'FieldValueInvalid o Invalid value: 1: o in body should have at least 2 properties',
      'FieldValueTooMany big Too many: 2: must have at most 1 items',
    ]);
    assert.deepEqual(admitWithSchema({ n: 2.3, d: '1h30m', s: 'a' }, schema).errors.map((e) => e.message), [
      'Invalid value: 2.3: n in body should be a multiple of 0.5',
      'Invalid value: "a": s in body should be at least 2 chars long',
    ]);
  });

  test('int-or-string accepts integers and strings only', () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { p: { 'x-kubernetes-int-or-string': true, pattern: '^\\d+%?$' } } };
    assert.deepEqual(admitWithSchema({ p: 8080 }, schema).errors, []);
    assert.deepEqual(admitWithSchema({ p: '50%' }, schema).errors, []);
    assert.equal(admitWithSchema({ p: 'half' }, schema).errors[0]?.type, 'FieldValueInvalid');
    assert.deepEqual(admitWithSchema({ p: true }, schema).errors.map((e) => e.message), ['Invalid value: "boolean": p in body must be of type integer,string: "boolean"']);
  });

  test('oneOf, anyOf, allOf and not validate without pruning or defaulting', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        source: {
          type: 'object',
          properties: { git: { type: 'string' }, s3: { type: 'string' }, tag: { type: 'string', default: 'latest' } },
          oneOf: [{ required: ['git'] }, { required: ['s3'] }],
          not: { required: ['forbidden'] },
        },
        size: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 0 }], allOf: [{ multipleOf: 2 }, { maximum: 100 }] },
        name: { type: 'string', not: { enum: ['admin'] } },
      },
    };
    assert.deepEqual(admitWithSchema({ source: { git: 'x' }, size: 12, name: 'me' }, schema), { object: { source: { git: 'x', tag: 'latest' }, size: 12, name: 'me' }, errors: [], unknownFields: [] });
    const { errors } = admitWithSchema({ source: { git: 'x', s3: 'y' }, size: 5, name: 'admin' }, schema);
    assert.deepEqual(errors.map((e) => `${e.type} ${e.field} ${e.message}`), [
      'FieldValueInvalid source Invalid value: "object": "source" must validate one and only one schema (oneOf). Found 2 valid alternatives',
      'FieldValueInvalid size Invalid value: 5: size in body should be a multiple of 2',
      'FieldValueInvalid size Invalid value: 5: "size" must validate at least one schema (anyOf)',
      'FieldValueInvalid name Invalid value: "admin": "name" must not validate the schema (not)',
    ]);
    assert.equal(admitWithSchema({ source: {} }, schema).errors[0]?.message, 'Invalid value: "object": "source" must validate one and only one schema (oneOf). Found none valid');
  });

  test('the input is never mutated and the result shares nothing with it', () => {
    const input = job({ pytorchReplicaSpecs: { Worker: worker({ template: { spec: { containers: [{ name: 'a', image: 'b' }], extra: { deep: [1] } } } }) } });
    const before = structuredClone(input);
    const { object } = admitWithSchema(input, pytorchJobSchema);
    assert.deepEqual(input, before);
    const spec = object.spec as { pytorchReplicaSpecs: { Worker: { template: { spec: { extra: { deep: number[] } } } } } };
    spec.pytorchReplicaSpecs.Worker.template.spec.extra.deep.push(2);
    (object.metadata as Record<string, unknown>).name = 'changed';
    assert.deepEqual(input, before);
  });

  test('a key named __proto__ is data, not a prototype', () => {
    const spec = JSON.parse('{"pytorchReplicaSpecs":{"__proto__":{"replicas":2,"template":{"spec":{"containers":[{"name":"a"}]}}}}}') as unknown;
    const { object, errors } = admitWithSchema(job(spec), pytorchJobSchema);
    assert.deepEqual(errors, []);
    const specs = (object.spec as Record<string, Record<string, unknown>>).pytorchReplicaSpecs as Record<string, unknown>;
    assert.deepEqual(Object.keys(specs), ['__proto__']);
    assert.equal(Object.getPrototypeOf(specs), Object.prototype);
  });
});

describe('properties', () => {
  const key = fc.constantFrom('a', 'b', 'c', 'd', '__proto__');
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('scalar'), tie('list'), tie('object')),
    scalar: fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('', 'x', 'a', '12', '2024-05-01T10:00:00Z')),
    list: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  }));
  const { schema } = fc.letrec((tie) => ({
    schema: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('scalar'), tie('object'), tie('array'), tie('map')),
    scalar: fc.record(
      {
        type: fc.constantFrom('string', 'integer', 'number', 'boolean'),
        nullable: fc.boolean(),
        default: value,
        enum: fc.array(fc.constantFrom('x', 'a', 1, true), { minLength: 1, maxLength: 3 }),
        minimum: fc.integer({ min: -3, max: 3 }),
        maxLength: fc.nat(3),
        pattern: fc.constantFrom('^a', '\\d'),
        format: fc.constantFrom('date-time', 'int32', 'unknown'),
        'x-kubernetes-int-or-string': fc.constant(true),
      },
      { requiredKeys: [], noNullPrototype: true },
    ),
    object: fc.record(
      {
        type: fc.constant('object' as const),
        properties: fc.dictionary(key, tie('schema'), { maxKeys: 4, noNullPrototype: true }),
        required: fc.subarray(['a', 'b', 'c']),
        nullable: fc.boolean(),
        default: value,
        'x-kubernetes-preserve-unknown-fields': fc.constant(true),
        'x-kubernetes-embedded-resource': fc.constant(true),
        maxProperties: fc.nat(3),
        anyOf: fc.array(fc.record({ required: fc.subarray(['a', 'b']) }, { noNullPrototype: true }), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: ['type'], noNullPrototype: true },
    ),
    array: fc.record(
      {
        type: fc.constant('array' as const),
        items: tie('schema'),
        nullable: fc.boolean(),
        default: value,
        'x-kubernetes-list-type': fc.constantFrom('set', 'map', 'atomic'),
        'x-kubernetes-list-map-keys': fc.constant(['a']),
        uniqueItems: fc.boolean(),
        maxItems: fc.nat(3),
      },
      { requiredKeys: ['type'], noNullPrototype: true },
    ),
    map: fc.record({ type: fc.constant('object' as const), additionalProperties: fc.oneof(tie('schema'), fc.boolean()), default: value }, { requiredKeys: ['type', 'additionalProperties'], noNullPrototype: true }),
  }));

  test('admitting is idempotent and never mutates its input, for any schema and data', () => {
    fc.assert(
      fc.property(schema, fc.dictionary(fc.constantFrom('spec', 'status', 'metadata', 'apiVersion', 'other'), value, { maxKeys: 5, noNullPrototype: true }), (s, input) => {
        const root = { type: 'object', properties: { spec: s, status: s } } as JSONSchemaProps;
        const before = structuredClone(input);
        const first = admitWithSchema(input, root);
        assert.deepEqual(input, before);
        const second = admitWithSchema(first.object, root);
        assert.deepEqual(second.object, first.object);
        assert.deepEqual(second.errors, first.errors);
      }),
      { numRuns: 2000 },
    );
  });

  test('admitting a PyTorchJob is idempotent and never mutates its input', () => {
    const replica = fc.record({ replicas: fc.oneof(fc.integer({ min: -2, max: 4 }), value), restartPolicy: fc.oneof(fc.constantFrom('Never', 'Sometimes'), value), template: value }, { requiredKeys: [], noNullPrototype: true });
    const spec = fc.record(
      {
        pytorchReplicaSpecs: fc.oneof(fc.dictionary(fc.constantFrom('Master', 'Worker'), replica, { maxKeys: 2, noNullPrototype: true }), value),
        runPolicy: fc.oneof(fc.record({ cleanPodPolicy: fc.oneof(fc.constantFrom('All', 'Bad'), value), backoffLimit: value }, { requiredKeys: [], noNullPrototype: true }), value),
        elasticPolicy: value,
        nprocPerNode: value,
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    fc.assert(
      fc.property(spec, (s) => {
        const input = job(s);
        const before = structuredClone(input);
        const first = admitWithSchema(input, pytorchJobSchema);
        assert.deepEqual(input, before);
        const second = admitWithSchema(first.object, pytorchJobSchema);
        assert.deepEqual(second.object, first.object);
        assert.deepEqual(second.errors, first.errors);
      }),
      { numRuns: 1000 },
    );
  });
});
