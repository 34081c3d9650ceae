// Tests for strategic merge patch: each directive, the built-in patch metadata as kubectl exercises it, and fast-check laws.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloeError } from '../errors.js';
import type { PatchMeta } from '../resource-type.js';
import { nodePatchMeta, podPatchMeta, servicePatchMeta } from './builtin-patch-meta.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { cloneJson, isJsonObject } from './json-value.js';

function directiveKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => directiveKeys(v, `${path}[${i}]`));
  if (!isJsonObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [...(k.startsWith('$') ? [`${path}.${k}`] : []), ...directiveKeys(v, `${path}.${k}`)]);
}

/** Applies the patch and checks the laws every result must satisfy: no directive survives, inputs untouched. */
function smp(original: unknown, patch: unknown, meta: PatchMeta | undefined = podPatchMeta): unknown {
  const originalBefore = cloneJson(original);
  const patchBefore = cloneJson(patch);
  const result = applyStrategicMergePatch(original, patch, meta);
  assert.deepEqual(directiveKeys(result), [], 'no directive key survives');
  assert.deepStrictEqual(original, originalBefore, 'the original is not mutated');
  assert.deepStrictEqual(patch, patchBefore, 'the patch is not mutated');
  return result;
}

function assertBadRequest(fn: () => unknown, fragment: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FloeError);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(err.code, 400);
    assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} should mention ${JSON.stringify(fragment)}`);
    return true;
  });
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a.example.com/x', 'b.example.com/y'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
      { name: 'sidecar', image: 'sidecar:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'a', operator: 'Exists' }],
  },
};

describe('applyStrategicMergePatch: maps', () => {
  test('maps merge recursively and null deletes', () => {
    const result = smp(pod, { metadata: { labels: { tier: null, env: 'prod' }, annotations: { note: 'x' } } }) as typeof pod & { metadata: { annotations: unknown } };
    assert.deepEqual(result.metadata.labels, { app: 'web', env: 'prod' });
    assert.deepEqual(result.metadata.annotations, { note: 'x' });
    assert.deepEqual(result.spec, pod.spec);
  });

  test('$patch: replace on a map replaces it', () => {
    const result = smp(pod, { metadata: { labels: { $patch: 'replace', only: 'this' } } }) as typeof pod;
    assert.deepEqual(result.metadata.labels, { only: 'this' });
  });

  test('$patch: delete on a map deletes it', () => {
    const result = smp(pod, { metadata: { labels: { $patch: 'delete' } } }) as typeof pod;
    assert.equal('labels' in result.metadata, false);
  });

  test('$patch: merge is the default and is dropped', () => {
    const result = smp(pod, { metadata: { labels: { $patch: 'merge', x: 'y' } } }) as typeof pod;
    assert.deepEqual(result.metadata.labels, { app: 'web', tier: 'front', x: 'y' });
  });

  test('$patch: replace at the top replaces the whole object', () => {
    assert.deepEqual(smp(pod, { $patch: 'replace', kind: 'Pod', metadata: { name: 'web' } }), { kind: 'Pod', metadata: { name: 'web' } });
  });

  test('$retainKeys keeps only the listed keys', () => {
    const result = smp({ a: 1, b: 2, c: { d: 1 } }, { $retainKeys: ['a', 'e'], e: 5 }, undefined);
    assert.deepEqual(result, { a: 1, e: 5 });
  });

  test('$retainKeys with a patch field it does not list is a BadRequest', () => {
    assertBadRequest(() => applyStrategicMergePatch({ a: 1 }, { $retainKeys: ['a'], b: 2 }, undefined), 'missing from its $retainKeys');
  });
});

describe('applyStrategicMergePatch: lists merged by key', () => {
  test('containers merge by name: matched ones merge, new ones are appended', () => {
    const result = smp(pod, { spec: { containers: [{ name: 'sidecar', image: 'sidecar:2' }, { name: 'extra', image: 'extra:1' }] } }) as typeof pod;
    assert.deepEqual(result.spec.containers.map((c) => [c.name, c.image]), [['app', 'app:1'], ['sidecar', 'sidecar:2'], ['extra', 'extra:1']]);
    assert.deepEqual(result.spec.containers[0], pod.spec.containers[0]);
  });

  test('nested lists merge by their own keys (env by name, ports by containerPort)', () => {
    const result = smp(pod, {
      spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }], ports: [{ containerPort: 8080 }] }] },
    }) as typeof pod;
    const app = result.spec.containers[0]!;
    assert.deepEqual(app.env, [{ name: 'A', value: '1' }, { name: 'B', value: '20' }, { name: 'C', value: '3' }]);
    assert.deepEqual(app.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080 }]);
  });

  test('$patch: delete removes the element with that key', () => {
    const result = smp(pod, { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'app', env: [{ name: 'A', $patch: 'delete' }] }] } }) as typeof pod;
    assert.deepEqual(result.spec.containers.map((c) => c.name), ['app']);
    assert.deepEqual(result.spec.containers[0]!.env, [{ name: 'B', value: '2' }]);
  });

  test('deleting the last element removes the field', () => {
    const result = smp(pod, { spec: { volumes: [{ name: 'data', $patch: 'delete' }] } }) as { spec: Record<string, unknown> };
    assert.equal('volumes' in result.spec, false);
  });

  test('$patch: replace inside a list replaces the whole list', () => {
    const result = smp(pod, { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'only:1' }] } }) as typeof pod;
    assert.deepEqual(result.spec.containers, [{ name: 'only', image: 'only:1' }]);
  });

  test('a merge list that did not exist is created from the patch, directives resolved', () => {
    const result = smp({ spec: {} }, { spec: { containers: [{ name: 'a', image: 'a' }, { name: 'gone', $patch: 'delete' }] } }) as typeof pod;
    assert.deepEqual(result.spec.containers, [{ name: 'a', image: 'a' }]);
  });

  test('volumes merge with $retainKeys, as kubectl apply sends when a volume changes source', () => {
    const result = smp(pod, { spec: { volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/data' } }] } }) as typeof pod;
    assert.deepEqual(result.spec.volumes, [{ name: 'data', hostPath: { path: '/data' } }]);
  });

  test('an element without its merge key is a BadRequest', () => {
    assertBadRequest(() => applyStrategicMergePatch(pod, { spec: { containers: [{ image: 'x' }] } }, podPatchMeta), 'no merge key "name"');
  });

  test('a primitive in a list merged by key is a BadRequest', () => {
    assertBadRequest(() => applyStrategicMergePatch(pod, { spec: { containers: ['x'] } }, podPatchMeta), 'must be objects');
  });

  test('ownerReferences merge by uid', () => {
    const original = { metadata: { ownerReferences: [{ uid: '1', name: 'a' }, { uid: '2', name: 'b' }] } };
    const result = smp(original, { metadata: { ownerReferences: [{ uid: '2', controller: true }, { uid: '3', name: 'c' }] } });
    assert.deepEqual(result, { metadata: { ownerReferences: [{ uid: '1', name: 'a' }, { uid: '2', name: 'b', controller: true }, { uid: '3', name: 'c' }] } });
  });

  test('Service ports merge by port; Node status conditions merge by type', () => {
    const svc = smp({ spec: { ports: [{ port: 80, targetPort: 8080 }] } }, { spec: { ports: [{ port: 443, targetPort: 8443 }, { port: 80, name: 'http' }] } }, servicePatchMeta);
    assert.deepEqual(svc, { spec: { ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443, targetPort: 8443 }] } });
    const node = smp(
      { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' }] } },
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      nodePatchMeta,
    );
    assert.deepEqual(node, { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }] } });
  });
});

describe('applyStrategicMergePatch: primitive lists and replaced lists', () => {
  test('primitive merge lists union their values (finalizers)', () => {
    const result = smp(pod, { metadata: { finalizers: ['b.example.com/y', 'c.example.com/z'] } }) as typeof pod;
    assert.deepEqual(result.metadata.finalizers, ['a.example.com/x', 'b.example.com/y', 'c.example.com/z']);
  });

  test('$deleteFromPrimitiveList removes values', () => {
    const result = smp(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'] } }) as typeof pod;
    assert.deepEqual(result.metadata.finalizers, ['b.example.com/y']);
  });

  test('$deleteFromPrimitiveList together with additions', () => {
    const result = smp(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x', 'b.example.com/y'], finalizers: ['c.example.com/z'] } }) as typeof pod;
    assert.deepEqual(result.metadata.finalizers, ['c.example.com/z']);
  });

  test('removing every value removes the field', () => {
    const result = smp(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x', 'b.example.com/y'] } }) as { metadata: Record<string, unknown> };
    assert.equal('finalizers' in result.metadata, false);
  });

  test('lists without a merge strategy are replaced wholesale (Pod tolerations, Node taints)', () => {
    const result = smp(pod, { spec: { tolerations: [{ key: 'b', operator: 'Equal', value: 'v' }] } }) as typeof pod;
    assert.deepEqual(result.spec.tolerations, [{ key: 'b', operator: 'Equal', value: 'v' }]);
    const node = smp({ spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } }, { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } }, nodePatchMeta);
    assert.deepEqual(node, { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } });
  });

  test('without meta every list is replaced', () => {
    assert.deepEqual(smp({ a: [1, 2], b: [{ name: 'x' }] }, { a: [3], b: [{ name: 'y' }] }, undefined), { a: [3], b: [{ name: 'y' }] });
  });
});

describe('applyStrategicMergePatch: $setElementOrder', () => {
  test('reorders a merged list and the directive disappears', () => {
    const result = smp(pod, {
      spec: {
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }],
        containers: [{ name: 'new', image: 'new:1' }],
      },
    }) as typeof pod;
    assert.deepEqual(result.spec.containers.map((c) => c.name), ['sidecar', 'new', 'app']);
  });

  test('elements not named keep their relative order after the named ones', () => {
    const original = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }] } };
    const result = smp(original, { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }] } }) as typeof pod;
    assert.deepEqual(result.spec.containers.map((c) => c.name), ['c', 'a', 'b', 'd']);
  });

  test('reorders primitive lists', () => {
    const result = smp(pod, { metadata: { '$setElementOrder/finalizers': ['c.example.com/z', 'b.example.com/y', 'a.example.com/x'], finalizers: ['c.example.com/z'] } }) as typeof pod;
    assert.deepEqual(result.metadata.finalizers, ['c.example.com/z', 'b.example.com/y', 'a.example.com/x']);
  });

  test('a client-side kubectl apply patch', () => {
    const result = smp(pod, {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
        containers: [
          { name: 'app', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }], env: [{ name: 'B', value: '22' }], image: 'app:2' },
        ],
        '$setElementOrder/volumes': [{ name: 'data' }],
        volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, emptyDir: null }],
      },
    }) as typeof pod;
    const app = result.spec.containers[0]!;
    assert.equal(app.image, 'app:2');
    assert.deepEqual(app.env, [{ name: 'B', value: '22' }, { name: 'A', value: '1' }]);
    assert.deepEqual(result.spec.volumes, [{ name: 'data', configMap: { name: 'cfg' } }]);
    assert.deepEqual(result.spec.containers[1], pod.spec.containers[1]);
  });
});

describe('applyStrategicMergePatch: malformed patches are BadRequest', () => {
  test('a patch that is not an object', () => {
    assertBadRequest(() => applyStrategicMergePatch(pod, [{ op: 'add' }], podPatchMeta), 'must be a JSON object');
  });
  test('an unknown $patch value', () => {
    assertBadRequest(() => applyStrategicMergePatch(pod, { metadata: { $patch: 'explode' } }, podPatchMeta), 'unknown $patch directive "explode"');
  });
  test('an unknown directive', () => {
    assertBadRequest(() => applyStrategicMergePatch(pod, { spec: { $frobnicate: 1 } }, podPatchMeta), 'unknown strategic merge patch directive "$frobnicate"');
  });
  test('directives whose values are not lists', () => {
    assertBadRequest(() => applyStrategicMergePatch(pod, { $retainKeys: 'a' }, podPatchMeta), '$retainKeys must be a list');
    assertBadRequest(() => applyStrategicMergePatch(pod, { spec: { '$setElementOrder/containers': {} } }, podPatchMeta), 'must be a list');
    assertBadRequest(() => applyStrategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': 'x' } }, podPatchMeta), 'must be a list');
  });
});

/** JSON without arrays, without null-prototype objects and without `$` keys: where SMP and merge patch must agree. */
const listFreeJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), tie('object')),
  object: fc.dictionary(fc.string().filter((k) => !k.startsWith('$')), tie('value'), { maxKeys: 4, noNullPrototype: true }),
})).object;

const listMeta: PatchMeta = { fields: { items: { mergeKey: 'name', strategy: 'merge' } } };
const names = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const originalItems = fc.uniqueArray(fc.record({ name: names, v: fc.integer() }, { noNullPrototype: true }), { selector: (x) => x.name, maxLength: 6 });
const patchItem = fc.oneof(
  fc.record({ name: names, v: fc.integer() }, { noNullPrototype: true }),
  fc.record({ name: names, $patch: fc.constant('delete') }, { noNullPrototype: true }),
  fc.record({ name: names, w: fc.string() }, { noNullPrototype: true }),
);

describe('applyStrategicMergePatch: laws', () => {
  test('with meta absent it equals merge patch on inputs without $ keys and lists', () => {
    fc.assert(fc.property(listFreeJson, listFreeJson, (x, p) => {
      assert.deepStrictEqual(smp(x, p, undefined), applyMergePatch(x, p));
    }));
  });

  test('merging a list by key never duplicates a key, and every patched key that is not deleted is present', () => {
    fc.assert(fc.property(originalItems, fc.array(patchItem, { maxLength: 8 }), (items, patchItems) => {
      const result = smp({ items }, { items: patchItems }, listMeta) as { items?: { name: string }[] };
      const resultNames = (result.items ?? []).map((i) => i.name);
      assert.equal(new Set(resultNames).size, resultNames.length);
      // A model of the key set: start from the original's keys; each patch element adds or deletes its key.
      const expected = new Set(items.map((i) => i.name));
      for (const p of patchItems) {
        if ('$patch' in p) expected.delete(p.name);
        else expected.add(p.name);
      }
      assert.deepEqual(new Set(resultNames), expected);
    }));
  });

  test('$setElementOrder yields exactly the given order for the elements named', () => {
    fc.assert(fc.property(originalItems, fc.array(fc.record({ name: names, v: fc.integer() }, { noNullPrototype: true }), { maxLength: 4 }), fc.shuffledSubarray(['a', 'b', 'c', 'd', 'e', 'f']), (items, patchItems, order) => {
      const merged = smp({ items }, { items: patchItems }, listMeta) as { items?: { name: string }[] };
      const result = smp({ items }, { items: patchItems, '$setElementOrder/items': order.map((name) => ({ name })) }, listMeta) as { items?: { name: string }[] };
      const mergedNames = (merged.items ?? []).map((i) => i.name);
      const resultNames = (result.items ?? []).map((i) => i.name);
      const named = order.filter((n) => mergedNames.includes(n));
      assert.deepEqual(resultNames, [...named, ...mergedNames.filter((n) => !order.includes(n))]);
      assert.deepEqual([...(result.items ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [...(merged.items ?? [])].sort((a, b) => a.name.localeCompare(b.name)));
    }));
  });
});
