// Unit tests for unknown fields of built-in kinds and ObjectMeta's JSON types, worded as kube-apiserver's decoder words them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkObjectMetaTypes } from '../meta-types.js';
import { builtinResourceTypes } from './index.js';
import { builtinTypeName, objectMetaType, unknownFields } from './known-fields.js';

describe('unknownFields', () => {
  test('every built-in kind Floe serves is in the table', () => {
    for (const type of builtinResourceTypes()) assert.ok(builtinTypeName(type.group, type.kind), `${type.group}/${type.kind}`);
  });

  test('paths as the strict decoder writes them: list indexes in brackets, map keys after a dot, in document order', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', nmae: 'typo', labels: { anything: 'goes' } },
      spec: {
        containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', comand: ['sh'], resources: { limits: { cpu: '1' }, limts: {} } }],
        overhead: { cpu: '1' },
      },
      extra: true,
    };
    assert.deepEqual(unknownFields(builtinTypeName('', 'Pod')!, structuredClone(pod), { prune: false }), [
      'metadata.nmae',
      'spec.containers[1].comand',
      'spec.containers[1].resources.limts',
      'extra',
    ]);
    const crd = { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { properties: { spec: { type: 'object', typo: 1, default: { free: 'form' } } } } } }] } };
    assert.deepEqual(unknownFields(builtinTypeName('apiextensions.k8s.io', 'CustomResourceDefinition')!, crd, { prune: false }), [
      'spec.versions[0].schema.openAPIV3Schema.properties.spec.typo',
    ]);
  });

  test('pruning removes exactly the unknown fields; opaque values (timestamps, JSON defaults) are left alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', creationTimestamp: { weird: 1 } }, dta: { a: '1' }, data: { a: '1' } };
    assert.deepEqual(unknownFields(builtinTypeName('', 'ConfigMap')!, cm, { prune: true }), ['dta']);
    assert.deepEqual(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', creationTimestamp: { weird: 1 } }, data: { a: '1' } });
    const meta = { name: 'x', bogus: 1 };
    assert.deepEqual(unknownFields(objectMetaType, meta, { prune: true, path: 'metadata' }), ['metadata.bogus']);
    assert.deepEqual(meta, { name: 'x' });
  });
});

describe('checkObjectMetaTypes', () => {
  test('names Go\'s struct field and type for the first mismatch, and removes nulls', () => {
    assert.equal(checkObjectMetaTypes({ metadata: { name: 12 } }, 'ConfigMap'), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string');
    assert.equal(checkObjectMetaTypes({ metadata: [1] }, 'ConfigMap'), 'json: cannot unmarshal array into Go struct field ConfigMap.metadata of type v1.ObjectMeta');
    assert.equal(checkObjectMetaTypes({ metadata: { name: 'a', uid: 5 } }, 'Pod'), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.uid of type types.UID');
    assert.equal(checkObjectMetaTypes({ metadata: { labels: { a: 5 } } }, 'Pod'), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
    assert.equal(checkObjectMetaTypes({ metadata: { finalizers: 'x' } }, 'Pod'), 'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string');
    assert.equal(checkObjectMetaTypes({ metadata: { generation: 1.5 } }, 'Pod'), 'json: cannot unmarshal number 1.5 into Go struct field ObjectMeta.metadata.generation of type int64');
    assert.equal(checkObjectMetaTypes({ metadata: { ownerReferences: [{ name: true }] } }, 'Pod'), 'json: cannot unmarshal bool into Go struct field OwnerReference.metadata.ownerReferences.name of type string');
    const object = { metadata: { name: null, namespace: 'n' } };
    assert.equal(checkObjectMetaTypes(object, 'Pod'), undefined);
    assert.deepEqual(object, { metadata: { namespace: 'n' } }, 'null decodes to the zero value: absent');
  });
});
