// Unit tests for the pure planning of the local runtime: scheduling, pod status, env expansion, mount mapping, logs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globMatches, resolveImage } from './config.js';
import { expand } from './container-env.js';
import { rfc3339Nano, tailOffset } from './logs.js';
import { desiredNode } from './node.js';
import { computePodStatus, podPhase } from './pod-status.js';
import type { ContainerRecord } from './pod-state.js';
import { formatMemory, podRequests } from './resources.js';
import { fitsNode, planGang, tolerates, unschedulableMessage, type NodeUsage } from './scheduling.js';
import type { Node, Pod, PodSpec } from './types.js';
import { mapMountPaths } from './volumes.js';

const node = (extra: Partial<Node> = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', disk: 'ssd' } },
  spec: {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'nvidia.com/gpu': '1' } },
  ...extra,
});

const pod = (spec: Partial<PodSpec> = {}, name = 'p'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { containers: [{ name: 'main', command: ['true'] }], ...spec },
});

const empty = (): NodeUsage => ({ requested: {}, pods: 0 });

describe('tolerations', () => {
  test('follow Kubernetes semantics', () => {
    const taint = { key: 'gpu', value: 'yes', effect: 'NoSchedule' as const };
    assert.equal(tolerates({ key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }, taint), true);
    assert.equal(tolerates({ key: 'gpu', value: 'yes' }, taint), true, 'an empty effect matches every effect');
    assert.equal(tolerates({ key: 'gpu', value: 'no' }, taint), false);
    assert.equal(tolerates({ key: 'gpu', operator: 'Exists' }, taint), true);
    assert.equal(tolerates({ operator: 'Exists' }, taint), true, 'an empty key with Exists tolerates everything');
    assert.equal(tolerates({ operator: 'Exists', effect: 'NoExecute' }, taint), false);
    assert.equal(tolerates({ key: 'other', operator: 'Exists' }, taint), false);
  });
});

describe('fitsNode', () => {
  test('reports insufficient resources as kube-scheduler words them', () => {
    const big = pod({ containers: [{ name: 'main', resources: { requests: { cpu: '8', memory: '1Gi' } } }] });
    const fit = fitsNode(big, node(), empty());
    assert.deepEqual(fit, { fits: false, reasons: ['Insufficient cpu'] });
    if (!fit.fits) assert.equal(unschedulableMessage(fit.reasons), '0/1 nodes are available: 1 Insufficient cpu.');
    const both = pod({ containers: [{ name: 'main', resources: { requests: { cpu: '8', memory: '9Gi' } } }] });
    const fit2 = fitsNode(both, node(), empty());
    assert.ok(!fit2.fits);
    assert.equal(unschedulableMessage(fit2.reasons), '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.');
  });

  test('counts what is already requested, and limits stand in for requests', () => {
    const half = pod({ containers: [{ name: 'main', resources: { limits: { cpu: '3' } } }] });
    assert.deepEqual(fitsNode(half, node(), { requested: { cpu: 2 }, pods: 1 }), { fits: false, reasons: ['Insufficient cpu'] });
    assert.deepEqual(fitsNode(half, node(), { requested: { cpu: 1 }, pods: 1 }), { fits: true });
    const gpu = pod({ containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': '2' } } }] });
    assert.deepEqual(fitsNode(gpu, node(), empty()), { fits: false, reasons: ['Insufficient nvidia.com/gpu'] });
  });

  test('taints come before resources, and tolerations admit', () => {
    const tainted = node({ spec: { taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] } });
    const plain = pod();
    const fit = fitsNode(plain, tainted, empty());
    assert.ok(!fit.fits);
    assert.equal(unschedulableMessage(fit.reasons), '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: ml}.');
    assert.deepEqual(fitsNode(pod({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }] }), tainted, empty()), { fits: true });
    const soft = node({ spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] } });
    assert.deepEqual(fitsNode(plain, soft, empty()), { fits: true }, 'PreferNoSchedule does not filter');
  });

  test('node selectors and required node affinity must match the labels', () => {
    assert.deepEqual(fitsNode(pod({ nodeSelector: { disk: 'ssd' } }), node(), empty()), { fits: true });
    assert.deepEqual(fitsNode(pod({ nodeSelector: { disk: 'hdd' } }), node(), empty()), { fits: false, reasons: ["node(s) didn't match Pod's node affinity/selector"] });
    const affinity = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values?: string[]): Pod =>
      pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator, ...(values ? { values } : {}) }] }] } } } });
    assert.equal(fitsNode(affinity('In', ['ssd', 'nvme']), node(), empty()).fits, true);
    assert.equal(fitsNode(affinity('NotIn', ['ssd']), node(), empty()).fits, false);
    assert.equal(fitsNode(affinity('Exists'), node(), empty()).fits, true);
    assert.equal(fitsNode(affinity('DoesNotExist'), node(), empty()).fits, false);
  });

  test('a cordoned node takes nothing', () => {
    assert.deepEqual(fitsNode(pod(), node({ spec: { unschedulable: true } }), empty()), { fits: false, reasons: ['node(s) were unschedulable'] });
  });
});

describe('podRequests', () => {
  test('is the larger of the containers sum and the largest init container', () => {
    const spec: PodSpec = {
      containers: [
        { name: 'a', resources: { requests: { cpu: '500m' } } },
        { name: 'b', resources: { requests: { cpu: '250m', memory: '1Gi' } } },
      ],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }],
    };
    assert.deepEqual(podRequests(spec), { cpu: 2, memory: 2 ** 30 });
  });
});

describe('planGang', () => {
  const member = (name: string, cpu: string): Pod => pod({ containers: [{ name: 'main', resources: { requests: { cpu } } }] }, name);
  test('waits until min-available members exist', () => {
    const plan = planGang({ name: 'g', minAvailable: 3 }, [member('a', '1'), member('b', '1')], 0, node(), empty());
    assert.equal(plan.bind, false);
    if (!plan.bind) assert.match(plan.message, /has 2 of the 3 pods/);
  });
  test('binds only when every member fits together', () => {
    assert.deepEqual(planGang({ name: 'g', minAvailable: 2 }, [member('a', '2'), member('b', '2')], 0, node(), empty()), { bind: true });
    const plan = planGang({ name: 'g', minAvailable: 2 }, [member('a', '2'), member('b', '3')], 0, node(), empty());
    assert.equal(plan.bind, false);
    if (!plan.bind) assert.match(plan.message, /Insufficient cpu/);
  });
});

describe('pod status', () => {
  const rec = (name: string, fields: Partial<ContainerRecord>): [string, ContainerRecord] => [name, { name, started: 1, backoffMs: 0, ...fields }];
  const term = (exitCode: number) => ({ attempt: 0, exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: '2024-01-01T00:00:00.000Z', finishedAt: '2024-01-01T00:00:01.000Z' });
  test('phases follow init containers, then containers', () => {
    const p = pod({ initContainers: [{ name: 'init' }] });
    assert.equal(podPhase(p, new Map()), 'Pending');
    assert.equal(podPhase(p, new Map([rec('init', { lastTermination: term(1) })])), 'Failed');
    assert.equal(podPhase(p, new Map([rec('init', { lastTermination: term(1), restartAt: 1 })])), 'Pending');
    assert.equal(podPhase(p, new Map([rec('init', { lastTermination: term(0) })])), 'Pending');
    const running = new Map([rec('init', { lastTermination: term(0) }), rec('main', { running: { attempt: 0, startedAt: '2024-01-01T00:00:00.000Z', pid: 1 } })]);
    assert.equal(podPhase(p, running), 'Running');
    assert.equal(podPhase(p, new Map([rec('init', { lastTermination: term(0) }), rec('main', { lastTermination: term(0) })])), 'Succeeded');
    assert.equal(podPhase(p, new Map([rec('init', { lastTermination: term(0) }), rec('main', { lastTermination: term(2) })])), 'Failed');
    assert.equal(podPhase(p, new Map([rec('init', { lastTermination: term(0) }), rec('main', { lastTermination: term(2), restartAt: 5 })])), 'Running');
  });

  test('a crash-looping container waits with CrashLoopBackOff and keeps its last termination', () => {
    const p = pod();
    const status = computePodStatus({
      pod: p,
      records: new Map([rec('main', { started: 3, lastTermination: { ...term(1), attempt: 2 }, restartAt: Date.parse('2024-01-01T00:00:21.000Z') })]),
      waiting: new Map(),
      startTime: '2024-01-01T00:00:00.000Z',
      now: Date.parse('2024-01-01T00:00:02.000Z'),
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
    });
    const cs = status.containerStatuses?.[0];
    assert.equal(cs?.restartCount, 2);
    assert.equal(cs?.state.waiting?.reason, 'CrashLoopBackOff');
    assert.match(cs?.state.waiting?.message ?? '', /^back-off 20s restarting failed container=main pod=p_ns\(uid-p\)$/);
    assert.equal(cs?.lastState.terminated?.exitCode, 1);
    assert.equal(status.phase, 'Running');
    assert.equal(status.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  });
});

describe('node registration', () => {
  test('keeps labels and taints others added, replaces the ones config owned', () => {
    const config = { nodeName: 'n1', dataDir: '/tmp/x', labels: { zone: 'a' }, taints: [{ key: 'gpu', effect: 'NoSchedule' as const }], images: [] };
    const capacity = { cpu: 2, memoryBytes: 2 ** 30, gpus: 0 };
    const first = desiredNode(config, capacity, undefined);
    assert.equal(first.metadata.labels?.zone, 'a');
    assert.equal(first.metadata.labels?.['node-role.kubernetes.io/control-plane'], '');
    const edited: Node = { ...first, metadata: { ...first.metadata, labels: { ...first.metadata.labels, team: 'x' } }, spec: { taints: [...(first.spec?.taints ?? []), { key: 'user', effect: 'NoExecute' }] } };
    const second = desiredNode({ ...config, labels: {}, taints: [] }, capacity, edited);
    assert.equal(second.metadata.labels?.zone, undefined, 'a label config no longer lists is removed');
    assert.equal(second.metadata.labels?.team, 'x', 'a label someone else added stays');
    assert.deepEqual(second.spec?.taints, [{ key: 'user', effect: 'NoExecute' }]);
  });

  test('memory is whole Gi when exact, else Ki', () => {
    assert.equal(formatMemory(24 * 2 ** 30), '24Gi');
    assert.equal(formatMemory(1000 * 1024 + 5), '1000Ki');
  });
});

describe('containers', () => {
  test('$(VAR) expands like Kubernetes', () => {
    const vars = { A: 'x', B: '/data' };
    assert.equal(expand('$(A)-$(B)/f', vars), 'x-/data/f');
    assert.equal(expand('$$(A) $(MISSING) $A', vars), '$(A) $(MISSING) $A');
  });

  test('mount paths map to host directories only as whole path prefixes', () => {
    const mounts = [
      { volume: 'data', mountPath: '/data', hostPath: '/h/data' },
      { volume: 'root', mountPath: '/root', hostPath: '/root/.floe/v' },
      { volume: 'deep', mountPath: '/data/deep', hostPath: '/h/deep' },
    ];
    assert.equal(mapMountPaths('/data', mounts), '/h/data');
    assert.equal(mapMountPaths('/data/train.csv', mounts), '/h/data/train.csv');
    assert.equal(mapMountPaths('--dir=/data/deep/x', mounts), '--dir=/h/deep/x');
    assert.equal(mapMountPaths('/database /x/data', mounts), '/database /x/data');
    assert.equal(mapMountPaths('/root/file', mounts), '/root/.floe/v/file', 'a host path is never mapped twice');
    assert.equal(mapMountPaths('cat /data/a /data/b', mounts), 'cat /h/data/a /h/data/b');
  });

  test('the image table picks the first matching rule', () => {
    const rules = [
      { pattern: 'python:*', run: { pathPrepend: ['/venv/bin'] } },
      { pattern: 'gcr.io/*', run: 'unsupported' as const },
    ];
    assert.deepEqual(resolveImage(rules, 'python:3.11'), { kind: 'host', env: { pathPrepend: ['/venv/bin'] }, pattern: 'python:*' });
    assert.deepEqual(resolveImage(rules, 'gcr.io/x/y:1'), { kind: 'unsupported', pattern: 'gcr.io/*' });
    assert.deepEqual(resolveImage(rules, 'busybox'), { kind: 'host', env: {} });
    assert.equal(globMatches('a?c', 'abc'), true);
    assert.equal(globMatches('a.c', 'abc'), false);
  });
});

describe('logs', () => {
  test('tail offsets count lines from the end, a final newline not starting one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-tail-'));
    try {
      const file = join(dir, 'log');
      writeFileSync(file, 'a\nb\nc\n');
      assert.equal(tailOffset(file, 1), 4);
      assert.equal(tailOffset(file, 2), 2);
      assert.equal(tailOffset(file, 5), 0);
      assert.equal(tailOffset(file, 0), 6);
      writeFileSync(file, 'a\nb');
      assert.equal(tailOffset(file, 1), 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('timestamps are RFC 3339 with nanoseconds, trailing zeros trimmed', () => {
    assert.equal(rfc3339Nano(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
    assert.equal(rfc3339Nano(1_700_000_000_120_000_000n), '2023-11-14T22:13:20.12Z');
    assert.equal(rfc3339Nano(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
  });
});
