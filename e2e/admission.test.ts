// ResourceQuota and LimitRange through the real kubectl against `floe up`: refusals with kube's words, defaults visible in the Pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFails, kubectlOk, removeDir, type RunningFloe, startFloeProcess, waitFor } from './harness.js';

let floe: RunningFloe;
before(async () => { floe = await startFloeProcess(); });
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(floe, args, input);

const fails = (args: string[], input?: string): Promise<string> => kubectlFails(floe, args, input);

/** A Pod no node selects, so it stays Pending and keeps counting against quota. */
function pod(ns: string, name: string, resources?: Record<string, Record<string, string>>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { nodeSelector: { 'floe.dev/e2e': 'nowhere' }, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], ...(resources ? { resources } : {}) }] },
  });
}

describe('ResourceQuota', () => {
  test('kubectl create quota; a Pod past it is refused with kube\'s message; deleting one frees it', async () => {
    await ok(['create', 'namespace', 'quota-e2e']);
    await ok(['create', 'quota', 'compute', '--hard=pods=1,requests.cpu=1,limits.cpu=2', '-n', 'quota-e2e']);
    await waitFor(async () => (await ok(['get', 'quota', 'compute', '-n', 'quota-e2e', '-o', 'jsonpath={.status.used.pods}'])) === '0', { what: 'quota status' });
    await ok(['create', '-f', '-'], pod('quota-e2e', 'first', { requests: { cpu: '500m' }, limits: { cpu: '1' } }));
    const over = await fails(['create', '-f', '-'], pod('quota-e2e', 'second', { requests: { cpu: '500m' }, limits: { cpu: '1' } }));
    assert.match(over, /Error from server \(Forbidden\): error when creating "STDIN": pods "second" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=1, limited: pods=1/);
    const unlimited = await fails(['create', '-f', '-'], pod('quota-e2e', 'third'));
    assert.match(unlimited, /pods "third" is forbidden: failed quota: compute: must specify limits\.cpu for: main; requests\.cpu for: main/);
    await waitFor(async () => (await ok(['get', 'quota', 'compute', '-n', 'quota-e2e', '-o', 'jsonpath={.status.used}'])) === '{"limits.cpu":"1","pods":"1","requests.cpu":"500m"}', { what: 'used after one Pod' });
    const table = await ok(['get', 'quota', '-n', 'quota-e2e']);
    assert.match(table, /compute\s+\S+\s+pods: 1\/1, requests\.cpu: 500m\/1\s+limits\.cpu: 1\/2/);
    await ok(['delete', 'pod', 'first', '-n', 'quota-e2e', '--grace-period=0', '--force']);
    await waitFor(async () => (await ok(['get', 'quota', 'compute', '-n', 'quota-e2e', '-o', 'jsonpath={.status.used.pods}'])) === '0', { what: 'used after the delete' });
    await ok(['create', '-f', '-'], pod('quota-e2e', 'second', { requests: { cpu: '500m' }, limits: { cpu: '1' } }));
  });
});

describe('LimitRange', () => {
  test('defaults appear in kubectl get pod -o yaml; a limit over max is refused', async () => {
    await ok(['create', 'namespace', 'limits-e2e']);
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults', namespace: 'limits-e2e' },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '250m', memory: '128Mi' }, max: { cpu: '1' } }] },
    }));
    await ok(['create', '-f', '-'], pod('limits-e2e', 'plain'));
    const yaml = await ok(['get', 'pod', 'plain', '-n', 'limits-e2e', '-o', 'yaml']);
    assert.match(yaml, /kubernetes\.io\/limit-ranger: 'LimitRanger plugin set/);
    const note = await ok(['get', 'pod', 'plain', '-n', 'limits-e2e', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}']);
    assert.equal(note, 'LimitRanger plugin set: cpu, memory request for container main; cpu, memory limit for container main');
    assert.match(yaml, /limits:\n\s+cpu: 500m\n\s+memory: 256Mi\n\s+requests:\n\s+cpu: 250m\n\s+memory: 128Mi/);
    assert.match(yaml, /qosClass: Burstable/);
    const big = await fails(['create', '-f', '-'], pod('limits-e2e', 'big', { limits: { cpu: '2' } }));
    assert.match(big, /Error from server \(Forbidden\): error when creating "STDIN": pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
    const described = await ok(['describe', 'limitrange', 'defaults', '-n', 'limits-e2e']);
    assert.match(described, /Container\s+cpu\s+-\s+1\s+250m\s+500m/);
  });
});
