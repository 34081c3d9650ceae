// The workload kinds through the real kubectl: typed-client (protobuf) creates, `kubectl get` columns, `kubectl scale`
// on Deployments, StatefulSets, ReplicationControllers and a custom resource with a scale subresource, `kubectl
// autoscale`, and the error for a kind Floe does not serve.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { floeCli, kubectl, removeDir, startFloeProcess, type RunningFloe } from './harness.js';

/** A value inside kubectl's JSON output, by path. */
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((cur, key) => (cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[key] : undefined), value);
const parse = (text: string): unknown => JSON.parse(text) as unknown;
const ok = async (floe: RunningFloe, args: string[], input?: string): Promise<string> => {
  const r = await kubectl(floe, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

describe('workload kinds with kubectl', () => {
  let floe: RunningFloe;
  before(async () => {
    floe = await startFloeProcess();
  });
  after(async () => {
    await floe.stop();
    removeDir(floe.dataDir);
  });

  test('kubectl create deployment (a protobuf body) stores kube-apiserver defaults', async () => {
    await ok(floe, ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80']);
    const spec = at(parse(await ok(floe, ['get', 'deployment', 'web', '-o', 'json'])), 'spec');
    assert.equal(at(spec, 'replicas'), 3);
    assert.deepEqual(at(spec, 'selector'), { matchLabels: { app: 'web' } });
    assert.deepEqual(at(spec, 'strategy'), { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    assert.deepEqual(at(spec, 'template', 'spec', 'containers', 0, 'ports'), [{ containerPort: 80, protocol: 'TCP' }]);
    const header = (await ok(floe, ['get', 'deployments', '-o', 'wide'])).split('\n')[0]!;
    assert.match(header, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  });

  test('kubectl scale deployment, with and without preconditions', async () => {
    assert.match(await ok(floe, ['scale', 'deployment', 'web', '--replicas=5']), /deployment.apps\/web scaled/);
    assert.equal(await ok(floe, ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
    const refused = await kubectl(floe, ['scale', 'deployment', 'web', '--current-replicas=2', '--replicas=1']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Expected replicas to be 2, was 5/);
    assert.match(await ok(floe, ['scale', 'deploy/web', '--current-replicas=5', '--replicas=0']), /scaled/);
    assert.equal(await ok(floe, ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '0');
    const scale = parse(await ok(floe, ['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale']));
    assert.deepEqual([at(scale, 'kind'), at(scale, 'apiVersion'), at(scale, 'status', 'selector')], ['Scale', 'autoscaling/v1', 'app=web']);
  });

  test('kubectl scale statefulset and replicationcontroller', async () => {
    const manifests = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 0
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "busybox:1.36"}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  replicas: 0
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: "busybox:1.36"}]}
`;
    await ok(floe, ['apply', '-f', '-'], manifests);
    await ok(floe, ['scale', 'statefulset', 'db', '--replicas=2']);
    await ok(floe, ['scale', 'rc', 'legacy', '--replicas=4']);
    assert.equal(await ok(floe, ['get', 'sts', 'db', '-o', 'jsonpath={.spec.replicas}']), '2');
    assert.equal(await ok(floe, ['get', 'rc', 'legacy', '-o', 'jsonpath={.spec.replicas}']), '4');
    assert.match((await ok(floe, ['get', 'rc'])).split('\n')[0]!, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    await ok(floe, ['scale', 'statefulset', 'db', '--replicas=0']);
  });

  test('kubectl scale a custom resource that declares subresources.scale', async () => {
    await ok(floe, ['apply', '-f', '-'], `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.e2e.floe.dev}
spec:
  group: e2e.floe.dev
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.size}
`);
    await ok(floe, ['wait', '--for=condition=Established', 'crd/gizmos.e2e.floe.dev']);
    await ok(floe, ['apply', '-f', '-'], 'apiVersion: e2e.floe.dev/v1\nkind: Gizmo\nmetadata: {name: g}\nspec: {size: 1}\n');
    await ok(floe, ['scale', 'gizmo', 'g', '--replicas=6']);
    assert.equal(await ok(floe, ['get', 'gizmo', 'g', '-o', 'jsonpath={.spec.size}']), '6');
  });

  test('kubectl autoscale creates an HPA served as v2 and v1', async () => {
    await ok(floe, ['autoscale', 'deployment', 'web', '--min=1', '--max=4', '--cpu-percent=60']);
    const v1 = parse(await ok(floe, ['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web']));
    assert.equal(at(v1, 'spec', 'targetCPUUtilizationPercentage'), 60);
    const v2 = parse(await ok(floe, ['get', '--raw', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web']));
    assert.equal(at(v2, 'spec', 'metrics', 0, 'resource', 'target', 'averageUtilization'), 60);
    assert.match((await ok(floe, ['get', 'hpa'])).split('\n')[0]!, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
  });

  test('kubectl create for the other typed kinds (protobuf bodies)', async () => {
    await ok(floe, ['create', 'cronjob', 'tick', '--image=busybox:1.36', '--schedule=*/5 * * * *', '--', 'date']);
    await ok(floe, ['create', 'poddisruptionbudget', 'web', '--selector=app=web', '--min-available=1']);
    await ok(floe, ['create', 'priorityclass', 'high', '--value=1000', '--description=high']);
    await ok(floe, ['create', 'ingress', 'web', '--rule=web.example.com/*=web:80']);
    assert.equal(await ok(floe, ['get', 'cj', 'tick', '-o', 'jsonpath={.spec.jobTemplate.spec.template.spec.restartPolicy}']), 'OnFailure');
    assert.equal(await ok(floe, ['get', 'pc', 'high', '-o', 'jsonpath={.preemptionPolicy}']), 'PreemptLowerPriority');
    assert.equal(await ok(floe, ['get', 'ing', 'web', '-o', 'jsonpath={.spec.rules[0].http.paths[0].pathType}']), 'Prefix');
    const refused = await kubectl(floe, ['create', 'cronjob', 'bad', '--image=busybox:1.36', '--schedule=61 * * * *']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
  });

  test('floe apply of a kind Floe does not serve says so', async () => {
    const r = await floeCli(floe, ['apply', '-f', '-'], 'apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: csr}\nspec: {}\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no matches for kind "CertificateSigningRequest" in version "certificates.k8s.io\/v1": this Kubernetes kind is not served by Floe/);
    const custom = await floeCli(floe, ['apply', '-f', '-'], 'apiVersion: nowhere.example.com/v1\nkind: Thing\nmetadata: {name: t}\n');
    assert.match(custom.stderr, /the kind is not served by Floe: no CustomResourceDefinition declares it/);
  });
});
