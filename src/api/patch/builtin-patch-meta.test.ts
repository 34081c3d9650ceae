// Tests for the built-in patch metadata: which kinds get which meta, and the Kubernetes patch tags they encode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { genericPatchMeta, nodePatchMeta, objectMetaPatchMeta, patchMetaForKind, podPatchMeta, servicePatchMeta } from './builtin-patch-meta.js';

describe('patchMetaForKind', () => {
  test('Pod, Service and Node have their own meta', () => {
    assert.equal(patchMetaForKind('', 'Pod'), podPatchMeta);
    assert.equal(patchMetaForKind('', 'Service'), servicePatchMeta);
    assert.equal(patchMetaForKind('', 'Node'), nodePatchMeta);
  });

  test('other core kinds, Lease and CustomResourceDefinition get the generic meta', () => {
    for (const kind of ['ConfigMap', 'Secret', 'Namespace', 'ServiceAccount', 'PersistentVolumeClaim', 'Event']) {
      assert.equal(patchMetaForKind('', kind), genericPatchMeta, kind);
    }
    assert.equal(patchMetaForKind('coordination.k8s.io', 'Lease'), genericPatchMeta);
    assert.equal(patchMetaForKind('apiextensions.k8s.io', 'CustomResourceDefinition'), genericPatchMeta);
  });

  test('custom resources and other groups get none', () => {
    assert.equal(patchMetaForKind('kubeflow.org', 'PyTorchJob'), undefined);
    assert.equal(patchMetaForKind('apps', 'Lease'), undefined);
    assert.equal(patchMetaForKind('coordination.k8s.io', 'Pod'), undefined);
  });
});

describe('builtin patch meta', () => {
  test('object metadata: finalizers are a primitive merge list, ownerReferences merge by uid', () => {
    assert.deepEqual(objectMetaPatchMeta.fields?.['finalizers'], { strategy: 'merge' });
    assert.deepEqual(objectMetaPatchMeta.fields?.['ownerReferences'], { mergeKey: 'uid', strategy: 'merge' });
    for (const meta of [genericPatchMeta, podPatchMeta, servicePatchMeta, nodePatchMeta]) assert.equal(meta.fields?.['metadata'], objectMetaPatchMeta);
  });

  test('pod spec tags', () => {
    const spec = podPatchMeta.fields?.['spec']?.fields ?? {};
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      const containers = spec[list];
      assert.equal(containers?.mergeKey, 'name', list);
      assert.equal(containers?.strategy, 'merge', list);
      assert.deepEqual(containers?.fields?.['env'], { mergeKey: 'name', strategy: 'merge' });
      assert.deepEqual(containers?.fields?.['ports'], { mergeKey: 'containerPort', strategy: 'merge' });
      assert.deepEqual(containers?.fields?.['volumeMounts'], { mergeKey: 'mountPath', strategy: 'merge' });
      assert.deepEqual(containers?.fields?.['volumeDevices'], { mergeKey: 'devicePath', strategy: 'merge' });
    }
    assert.deepEqual(spec['volumes'], { mergeKey: 'name', strategy: 'merge,retainKeys' });
    assert.deepEqual(spec['imagePullSecrets'], { mergeKey: 'name', strategy: 'merge' });
    assert.deepEqual(spec['hostAliases'], { mergeKey: 'ip', strategy: 'merge' });
    assert.equal(spec['tolerations'], undefined);
  });

  test('pod, service and node status and spec tags', () => {
    const podStatus = podPatchMeta.fields?.['status']?.fields ?? {};
    assert.deepEqual(podStatus['conditions'], { mergeKey: 'type', strategy: 'merge' });
    assert.equal(podStatus['containerStatuses'], undefined);
    assert.deepEqual(servicePatchMeta.fields?.['spec']?.fields?.['ports'], { mergeKey: 'port', strategy: 'merge' });
    assert.equal(nodePatchMeta.fields?.['spec']?.fields?.['taints'], undefined);
    assert.deepEqual(nodePatchMeta.fields?.['status']?.fields?.['conditions'], { mergeKey: 'type', strategy: 'merge' });
    assert.deepEqual(nodePatchMeta.fields?.['status']?.fields?.['addresses'], { mergeKey: 'type', strategy: 'merge' });
  });
});
