// Built-in kinds: defaults, validation paths and `kubectl get` cells as kube-apiserver gives them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.js';
import { builtinResourceTypes } from './index.js';

const types = new Map(builtinResourceTypes().map((t) => [t.kind, t]));
const type = (kind: string) => {
  const t = types.get(kind);
  assert.ok(t, kind);
  return t;
};
const pod = (spec: unknown, status: unknown = {}, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...extra }, spec, status });

describe('built-in kinds', () => {
  test('names, scopes and short names match Kubernetes', () => {
    const row = (k: string) => { const t = type(k); return `${t.group}/${t.version} ${t.plural} ${t.namespaced} ${t.shortNames.join(',')}`; };
    assert.equal(row('Pod'), '/v1 pods true po');
    assert.equal(row('Namespace'), '/v1 namespaces false ns');
    assert.equal(row('CustomResourceDefinition'), 'apiextensions.k8s.io/v1 customresourcedefinitions false crd,crds');
    assert.equal(row('Lease'), 'coordination.k8s.io/v1 leases true ');
  });

  test('Pod defaults', () => {
    const p = pod({ containers: [{ name: 'a', image: 'python:3.11', ports: [{ containerPort: 80 }] }, { name: 'b', image: 'busybox', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
    type('Pod').defaults?.(p);
    const spec = p.spec as Record<string, unknown> & { containers: Record<string, unknown>[] };
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.containers[0]?.imagePullPolicy, 'IfNotPresent');
    assert.equal(spec.containers[1]?.imagePullPolicy, 'Always');
    assert.deepEqual((spec.containers[0]?.ports as unknown[])[0], { containerPort: 80, protocol: 'TCP' });
    assert.deepEqual((spec.containers[1]?.resources as Record<string, unknown>).requests, { cpu: '1', memory: '1Gi' });
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'Burstable' });
  });

  test('Pod validation names every bad field', () => {
    const errors = type('Pod').validate?.(pod({
      containers: [{ name: 'Bad_Name', ports: [{ containerPort: 70000 }], env: [{ name: '1x' }], volumeMounts: [{ name: 'nope', mountPath: '/x' }], resources: { requests: { cpu: '2' }, limits: { cpu: '1', memory: 'lots' } } }, { name: 'ok', image: 'i' }, { name: 'ok', image: 'i' }],
      restartPolicy: 'Sometimes',
    })) ?? [];
    assert.deepEqual(errors.map((e) => e.field), [
      'spec.containers[0].name', 'spec.containers[0].image', 'spec.containers[0].ports[0].containerPort', 'spec.containers[0].env[0].name',
      'spec.containers[0].volumeMounts[0].name', 'spec.containers[0].resources.limits[memory]', 'spec.containers[0].resources.requests',
      'spec.containers[2].name', 'spec.restartPolicy',
    ]);
    assert.deepEqual(type('Pod').validate?.(pod({}))?.map((e) => e.field), ['spec.containers']);
  });

  test('a Pod spec is immutable but for images', () => {
    const old = pod({ containers: [{ name: 'a', image: 'x:1' }] });
    assert.deepEqual(type('Pod').validate?.(pod({ containers: [{ name: 'a', image: 'x:2' }] }), old), []);
    assert.deepEqual(type('Pod').validate?.(pod({ containers: [{ name: 'a', image: 'x:1', command: ['sh'] }] }), old)?.map((e) => e.type), ['FieldValueForbidden']);
  });

  test('kubectl get pods columns', () => {
    const cells = (p: KubeObject) => type('Pod').cells?.(p).filter((_, i) => i < 3);
    assert.deepEqual(cells(pod({ containers: [{}, {}] }, { phase: 'Pending' })), ['0/2', 'Pending', 0]);
    assert.deepEqual(cells(pod({ containers: [{}] }, { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 2, state: { running: {} } }] })), ['1/1', 'Running', 2]);
    assert.deepEqual(cells(pod({ containers: [{}] }, { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } }] })), ['0/1', 'CrashLoopBackOff', 5]);
    assert.deepEqual(cells(pod({ containers: [{}] }, { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { reason: 'Completed', exitCode: 0 } } }] })), ['0/1', 'Completed', 0]);
    assert.deepEqual(cells(pod({ containers: [{}], initContainers: [{}] }, { phase: 'Pending', initContainerStatuses: [{ state: { running: {} } }] })), ['0/1', 'Init:0/1', 0]);
    assert.deepEqual(cells(pod({ containers: [{}] }, { phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })), ['0/1', 'Terminating', 0]);
  });

  test('Service defaults and ports column', () => {
    const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'dns', port: 53, protocol: 'UDP' }] } };
    type('Service').defaults?.(svc);
    assert.deepEqual((svc.spec as { ports: unknown[] }).ports[0], { name: 'http', port: 80, nodePort: 30080, protocol: 'TCP', targetPort: 80 });
    assert.equal(type('Service').cells?.(svc)[3], '80:30080/TCP,53/UDP');
    const bad: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 0 }, { port: 80 }] } };
    assert.deepEqual(type('Service').validate?.(bad)?.map((e) => e.field), ['spec.ports[0].port', 'spec.ports[0].name', 'spec.ports[1].name']);
  });

  test('Secret stringData becomes base64 data', () => {
    const s: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'pw' } };
    type('Secret').defaults?.(s);
    assert.deepEqual(s.data, { password: Buffer.from('pw').toString('base64') });
    assert.equal(s.type, 'Opaque');
    assert.equal('stringData' in s, false);
    assert.deepEqual(type('Secret').validate?.({ ...s, data: { 'bad key': 'x', ok: '***' } })?.map((e) => e.field), ['data[bad key]', 'data[ok]']);
  });
});
