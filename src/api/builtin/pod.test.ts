// Pods: defaults, QoS class, validation paths, what an update may change, and the `kubectl get pods` row.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.js';
import { defaultPod, defaultPullPolicy, qosClass } from './pod.js';
import { podCells } from './pod-printer.js';
import { validatePod } from './pod-validation.js';

type Json = Record<string, unknown>;
const pod = (spec: unknown, status: unknown = {}, meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...meta }, spec, status });
const fields = (p: KubeObject, old?: KubeObject): string[] => validatePod(p, old).map((e) => e.field);
const defaulted = (spec: unknown): KubeObject => {
  const p = pod(spec);
  defaultPod(p);
  return p;
};

describe('Pod defaults', () => {
  test('spec-level defaults and admission', () => {
    const spec = defaulted({ containers: [{ name: 'a', image: 'python:3.11' }] }).spec as Json;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.serviceAccount, 'default');
    assert.equal(spec.enableServiceLinks, true);
    assert.deepEqual(spec.securityContext, {});
    assert.equal(spec.priority, 0);
    assert.equal(spec.preemptionPolicy, 'PreemptLowerPriority');
    assert.deepEqual(spec.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  test('keeps what the user set', () => {
    const spec = defaulted({
      containers: [{ name: 'a', image: 'i:1', imagePullPolicy: 'Never' }],
      restartPolicy: 'Never', terminationGracePeriodSeconds: 0, serviceAccountName: 'robot',
      tolerations: [{ operator: 'Exists' }],
    }).spec as Json & { containers: Json[] };
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(spec.terminationGracePeriodSeconds, 0);
    assert.equal(spec.serviceAccountName, 'robot');
    assert.equal(spec.serviceAccount, 'robot');
    assert.equal(spec.containers[0]?.imagePullPolicy, 'Never');
    assert.deepEqual(spec.tolerations, [{ operator: 'Exists' }], 'a match-all toleration already covers both taints');
  });

  test('is idempotent, as it runs again on every update', () => {
    const once = defaulted({ containers: [{ name: 'a', image: 'i', resources: { limits: { cpu: '1' } } }], volumes: [{ name: 'v' }] });
    const twice = structuredClone(once);
    defaultPod(twice);
    assert.deepEqual(twice, once);
  });

  test('container defaults', () => {
    const spec = defaulted({
      initContainers: [{ name: 'init', image: 'busybox:latest' }],
      containers: [{ name: 'a', image: 'python:3.11', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }],
    }).spec as { containers: Json[]; initContainers: Json[] };
    const c = spec.containers[0] ?? {};
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
    assert.deepEqual(c.resources, {});
    assert.equal(spec.initContainers[0]?.imagePullPolicy, 'Always');
    assert.equal(spec.initContainers[0]?.terminationMessagePolicy, 'File');
  });

  test('imagePullPolicy follows the tag', () => {
    assert.equal(defaultPullPolicy('busybox'), 'Always');
    assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
    assert.equal(defaultPullPolicy('busybox:1.36'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('localhost:5000/busybox'), 'Always');
    assert.equal(defaultPullPolicy('localhost:5000/busybox:1'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('busybox@sha256:abcd'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('busybox:latest@sha256:abcd'), 'Always');
  });

  test('a volume without a source is an emptyDir', () => {
    const spec = defaulted({ containers: [{ name: 'a', image: 'i' }], volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }] }).spec as Json;
    assert.deepEqual(spec.volumes, [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }]);
  });

  test('limits become requests where requests are missing, resource by resource', () => {
    const spec = defaulted({ containers: [
      { name: 'a', image: 'i', resources: { limits: { cpu: '1', memory: '1Gi' } } },
      { name: 'b', image: 'i', resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '1Gi' } } },
    ] }).spec as { containers: { resources: Json }[] };
    assert.deepEqual(spec.containers[0]?.resources.requests, { cpu: '1', memory: '1Gi' });
    assert.deepEqual(spec.containers[1]?.resources.requests, { cpu: '100m', memory: '1Gi' });
  });

  test('status starts Pending with a QoS class', () => {
    assert.deepEqual(defaulted({ containers: [{ name: 'a', image: 'i' }] }).status, { phase: 'Pending', qosClass: 'BestEffort' });
    const guaranteed = defaulted({ containers: [{ name: 'a', image: 'i', resources: { limits: { cpu: '500m', memory: '1Gi' } } }] });
    assert.equal((guaranteed.status as Json).qosClass, 'Guaranteed');
  });
});

describe('QoS class', () => {
  const spec = (...resources: unknown[]) => ({ containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) });
  test('BestEffort without cpu or memory requests and limits', () => {
    assert.equal(qosClass(spec({}, {})), 'BestEffort');
    assert.equal(qosClass(spec({ limits: { 'nvidia.com/gpu': '1' } })), 'BestEffort');
  });
  test('Guaranteed when every container has equal cpu and memory requests and limits', () => {
    assert.equal(qosClass(spec({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } })), 'Guaranteed');
    assert.equal(qosClass(spec({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } })), 'Guaranteed');
  });
  test('Burstable otherwise', () => {
    assert.equal(qosClass(spec({ requests: { cpu: '100m' } })), 'Burstable');
    assert.equal(qosClass(spec({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } })), 'Burstable');
    assert.equal(qosClass(spec({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }, {})), 'Burstable');
    assert.equal(qosClass(spec({ limits: { cpu: '1' }, requests: { cpu: '1' } })), 'Burstable');
  });
});

describe('Pod validation', () => {
  test('containers are required', () => {
    assert.deepEqual(fields(pod({})), ['spec.containers']);
    assert.deepEqual(fields(pod(undefined)), ['spec.containers']);
    assert.deepEqual(fields(pod({ containers: [] })), ['spec.containers']);
    assert.deepEqual(validatePod(pod({}))[0], { type: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
  });

  test('a valid, defaulted pod has no errors', () => {
    const p = defaulted({
      containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }], env: [{ name: 'MY_VAR.x-1', value: 'v' }], volumeMounts: [{ name: 'data', mountPath: '/data' }], resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi', 'nvidia.com/gpu': '1' } } }],
      initContainers: [{ name: 'setup', image: 'busybox' }],
      volumes: [{ name: 'data', emptyDir: {} }],
      activeDeadlineSeconds: 60,
    });
    assert.deepEqual(validatePod(p), []);
  });

  test('names every bad container field', () => {
    const errors = validatePod(pod({
      containers: [
        { name: 'Bad_Name', ports: [{ containerPort: 70000 }, { name: 'http', containerPort: 0 }, { name: 'http', containerPort: 81, protocol: 'ICMP' }], env: [{ name: '1x' }, {}], volumeMounts: [{ name: 'nope', mountPath: '/x' }, { name: 'v', mountPath: '/x' }], resources: { requests: { cpu: '2' }, limits: { cpu: '1', memory: 'lots' } } },
        { name: 'ok', image: 'i' },
        { name: 'ok', image: 'i', imagePullPolicy: 'Sometimes', terminationMessagePolicy: 'Loud' },
      ],
      initContainers: [{ name: 'ok', image: 'i' }],
      volumes: [{ name: 'v', emptyDir: {} }],
      restartPolicy: 'Sometimes',
      dnsPolicy: 'Google',
    }));
    assert.deepEqual(errors.map((e) => e.field), [
      'spec.containers[0].name',
      'spec.containers[0].image',
      'spec.containers[0].ports[0].containerPort',
      'spec.containers[0].ports[1].containerPort',
      'spec.containers[0].ports[2].name',
      'spec.containers[0].ports[2].protocol',
      'spec.containers[0].env[0].name',
      'spec.containers[0].env[1].name',
      'spec.containers[0].env[1].name',
      'spec.containers[0].volumeMounts[0].name',
      'spec.containers[0].volumeMounts[1].mountPath',
      'spec.containers[0].resources.limits[memory]',
      'spec.containers[0].resources.requests',
      'spec.containers[2].terminationMessagePolicy',
      'spec.containers[2].imagePullPolicy',
      'spec.containers[2].name',
      'spec.initContainers[0].name',
      'spec.restartPolicy',
      'spec.dnsPolicy',
    ]);
    const by = (f: string) => errors.filter((e) => e.field === f).map((e) => `${e.type} ${e.message}`);
    assert.match(by('spec.containers[0].name')[0] ?? '', /^FieldValueInvalid Invalid value: "Bad_Name": a lowercase RFC 1123 label/);
    assert.deepEqual(by('spec.containers[0].ports[0].containerPort'), ['FieldValueInvalid Invalid value: 70000: must be between 1 and 65535, inclusive']);
    assert.deepEqual(by('spec.containers[0].ports[1].containerPort'), ['FieldValueRequired Required value']);
    assert.deepEqual(by('spec.containers[0].ports[2].name'), ['FieldValueDuplicate Duplicate value: "http"']);
    assert.deepEqual(by('spec.containers[0].ports[2].protocol'), ['FieldValueNotSupported Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']);
    assert.match(by('spec.containers[0].env[0].name')[0] ?? '', /a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '\.', and must not start with a digit/);
    assert.deepEqual(by('spec.containers[0].volumeMounts[0].name'), ['FieldValueNotFound Not found: "nope"']);
    assert.deepEqual(by('spec.containers[0].volumeMounts[1].mountPath'), ['FieldValueInvalid Invalid value: "/x": must be unique']);
    assert.match(by('spec.containers[0].resources.limits[memory]')[0] ?? '', /quantities must match the regular expression/);
    assert.deepEqual(by('spec.containers[0].resources.requests'), ['FieldValueInvalid Invalid value: "2": must be less than or equal to cpu limit of 1']);
    assert.deepEqual(by('spec.containers[2].name'), ['FieldValueDuplicate Duplicate value: "ok"']);
    assert.deepEqual(by('spec.initContainers[0].name'), ['FieldValueDuplicate Duplicate value: "ok"']);
    assert.deepEqual(by('spec.restartPolicy'), ['FieldValueNotSupported Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
  });

  test('volumes: unique DNS-label names, one source, its required field', () => {
    const errors = validatePod(pod({
      containers: [{ name: 'a', image: 'i', volumeMounts: [{ name: 'Bad', mountPath: '/a' }] }],
      volumes: [{ name: 'Bad', emptyDir: {} }, { name: 'dup', emptyDir: {} }, { name: 'dup', emptyDir: {} }, { name: 'two', emptyDir: {}, hostPath: { path: '/x' } }, { name: 'claim', persistentVolumeClaim: {} }, {}],
    }));
    assert.deepEqual(errors.map((e) => `${e.field} ${e.type}`), [
      'spec.volumes[0].name FieldValueInvalid',
      'spec.volumes[2].name FieldValueDuplicate',
      'spec.volumes[3].emptyDir FieldValueForbidden',
      'spec.volumes[4].persistentVolumeClaim.claimName FieldValueRequired',
      'spec.volumes[5] FieldValueRequired',
      'spec.volumes[5].name FieldValueRequired',
      'spec.containers[0].volumeMounts[0].name FieldValueNotFound',
    ]);
  });

  test('resources: names, signs, extended resources', () => {
    const errors = validatePod(pod({ containers: [{ name: 'a', image: 'i', resources: {
      limits: { 'nvidia.com/gpu': '0.5', cpu: '-1', bogus: '1' },
      requests: { 'example.com/fpga': '1', memory: '1Gi' },
    } }] }));
    assert.deepEqual(errors.map((e) => `${e.field}: ${e.message}`), [
      'spec.containers[0].resources.limits[nvidia.com/gpu]: Invalid value: "0.5": must be an integer',
      'spec.containers[0].resources.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      'spec.containers[0].resources.limits[bogus]: Invalid value: "bogus": must be a standard resource for containers',
      'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources',
    ]);
    const unequal = validatePod(pod({ containers: [{ name: 'a', image: 'i', resources: { requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '2' } } }] }));
    assert.deepEqual(unequal.map((e) => e.message), ['Invalid value: "1": must be equal to nvidia.com/gpu limit of 2']);
  });

  test('tolerations, activeDeadlineSeconds and sidecar restartPolicy', () => {
    const errors = validatePod(pod({
      containers: [{ name: 'a', image: 'i', restartPolicy: 'Always' }],
      initContainers: [{ name: 'b', image: 'i', restartPolicy: 'Never' }],
      activeDeadlineSeconds: 0,
      tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }, { operator: 'Equal' }, { key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }, { key: 'k', operator: 'Maybe', effect: 'Never' }],
    }));
    assert.deepEqual(errors.map((e) => e.field), [
      'spec.containers[0].restartPolicy',
      'spec.initContainers[0].restartPolicy',
      'spec.activeDeadlineSeconds',
      'spec.tolerations[0].operator',
      'spec.tolerations[1].operator',
      'spec.tolerations[2].effect',
      'spec.tolerations[3].operator',
      'spec.tolerations[3].effect',
    ]);
  });
});

describe('Pod updates', () => {
  const old = defaulted({ containers: [{ name: 'a', image: 'x:1' }], tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }], activeDeadlineSeconds: 100 });
  const change = (edit: (spec: Json & { containers: Json[]; tolerations: Json[] }) => void): KubeObject => {
    const next = structuredClone(old);
    edit(next.spec as Json & { containers: Json[]; tolerations: Json[] });
    defaultPod(next);
    return next;
  };

  test('images, a lower deadline, added tolerations and binding are allowed', () => {
    assert.deepEqual(validatePod(change((s) => { (s.containers[0] ?? {}).image = 'x:2'; }), old), []);
    assert.deepEqual(validatePod(change((s) => { s.activeDeadlineSeconds = 50; }), old), []);
    assert.deepEqual(validatePod(change((s) => { s.tolerations.push({ key: 'new', operator: 'Exists' }); }), old), []);
    assert.deepEqual(validatePod(change((s) => { (s.tolerations[0] ?? {}).tolerationSeconds = 10; }), old), []);
    assert.deepEqual(validatePod(change((s) => { s.nodeName = 'node-1'; }), old), []);
  });

  test('anything else is Forbidden on spec with Kubernetes wording', () => {
    const errors = validatePod(change((s) => { (s.containers[0] ?? {}).command = ['sh']; }), old);
    assert.deepEqual(errors.map((e) => `${e.type} ${e.field}`), ['FieldValueForbidden spec']);
    assert.match(errors[0]?.message ?? '', /^Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`,`spec\.initContainers\[\*\]\.image`,`spec\.activeDeadlineSeconds`,`spec\.tolerations` \(only additions to existing tolerations\),`spec\.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\nchanged: spec\.containers\[0\]\.command$/);
    const bound = change((s) => { s.nodeName = 'node-1'; });
    assert.deepEqual(fields(change((s) => { s.nodeName = 'node-2'; }), bound), ['spec']);
  });

  test('specific update rules', () => {
    assert.deepEqual(fields(change((s) => { s.containers.push({ name: 'b', image: 'i' }); }), old), ['spec.containers']);
    assert.deepEqual(fields(change((s) => { s.activeDeadlineSeconds = 200; }), old), ['spec.activeDeadlineSeconds']);
    assert.deepEqual(fields(change((s) => { delete s.activeDeadlineSeconds; }), old), ['spec.activeDeadlineSeconds']);
    assert.deepEqual(fields(change((s) => { s.tolerations.splice(0, 1); }), old), ['spec.tolerations']);
  });
});

describe('kubectl get pods row', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const row = (spec: unknown, status: unknown, meta: Partial<KubeObject['metadata']> = {}) => podCells(pod(spec, status, meta), now);
  const first3 = (spec: unknown, status: unknown, meta: Partial<KubeObject['metadata']> = {}) => row(spec, status, meta).slice(0, 3);
  const one = { containers: [{ name: 'a' }] };

  test('pending, running, crash-looping, completed, failed', () => {
    assert.deepEqual(first3({ containers: [{}, {}] }, { phase: 'Pending' }), ['0/2', 'Pending', '0']);
    assert.deepEqual(first3(one, { phase: 'Pending', containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }), ['0/1', 'ContainerCreating', '0']);
    assert.deepEqual(first3(one, { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0, state: { running: {} } }] }), ['1/1', 'Running', '0']);
    assert.deepEqual(first3(one, { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T11:57:00Z' } } }] }), ['0/1', 'CrashLoopBackOff', '5 (3m ago)']);
    assert.deepEqual(first3(one, { phase: 'Succeeded', containerStatuses: [{ ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } }] }), ['0/1', 'Completed', '0']);
    assert.deepEqual(first3(one, { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 137 } } }] }), ['0/1', 'ExitCode:137', '0']);
    assert.deepEqual(first3(one, { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 0, signal: 9 } } }] }), ['0/1', 'Signal:9', '0']);
    assert.deepEqual(first3(one, { phase: 'Failed', reason: 'Evicted' }), ['0/1', 'Evicted', '0']);
  });

  test('READY counts running ready containers; restarts add up', () => {
    const status = { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 1, state: { running: {} } }, { ready: false, restartCount: 2, state: { running: {} } }, { ready: true, restartCount: 0, state: { running: {} } }] };
    assert.deepEqual(first3({ containers: [{}, {}, {}] }, status), ['2/3', 'Running', '3']);
  });

  test('a completed container beside a running one keeps the pod Running or NotReady', () => {
    const statuses = [{ ready: true, state: { running: {} } }, { ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } }];
    assert.deepEqual(first3({ containers: [{}, {}] }, { phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] }).slice(1, 2), ['Running']);
    assert.deepEqual(first3({ containers: [{}, {}] }, { phase: 'Running', containerStatuses: statuses }).slice(1, 2), ['NotReady']);
  });

  test('init containers', () => {
    const spec = { containers: [{}], initContainers: [{ name: 'i1' }, { name: 'i2' }] };
    assert.deepEqual(first3(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { running: {} } }, { name: 'i2', state: { waiting: { reason: 'PodInitializing' } } }] }), ['0/1', 'Init:0/2', '0']);
    assert.deepEqual(first3(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 0 } } }, { name: 'i2', state: { running: {} } }] }), ['0/1', 'Init:1/2', '0']);
    assert.deepEqual(first3(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), ['0/1', 'Init:CrashLoopBackOff', '3']);
    assert.deepEqual(first3(spec, { phase: 'Failed', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 2 } } }] }), ['0/1', 'Init:ExitCode:2', '0']);
    assert.deepEqual(first3(spec, { phase: 'Failed', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }), ['0/1', 'Init:Error', '0']);
  });

  test('a started sidecar counts toward READY and does not hold initialization', () => {
    const spec = { containers: [{ name: 'main' }], initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] };
    const status = { phase: 'Running', initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 1, state: { running: {} } }], containerStatuses: [{ name: 'main', ready: true, state: { running: {} } }] };
    assert.deepEqual(first3(spec, status), ['2/2', 'Running', '1']);
  });

  test('scheduling gates and deletion', () => {
    assert.deepEqual(first3(one, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] })[1], 'SchedulingGated');
    assert.deepEqual(first3(one, { phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })[1], 'Terminating');
    assert.deepEqual(first3(one, { phase: 'Succeeded' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })[1], 'Succeeded');
    assert.deepEqual(first3(one, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })[1], 'Unknown');
  });

  test('wide columns: AGE left to the table, IP, NODE, NOMINATED NODE, READINESS GATES', () => {
    assert.deepEqual(row(one, { phase: 'Pending' }).slice(3), [undefined, '<none>', '<none>', '<none>', '<none>']);
    const spec = { ...one, nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/ready' }, { conditionType: 'example.com/warm' }] };
    const status = { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], nominatedNodeName: 'node-2', conditions: [{ type: 'example.com/ready', status: 'True' }] };
    assert.deepEqual(row(spec, status).slice(3), [undefined, '10.0.0.5', 'node-1', 'node-2', '1/2']);
  });
});
