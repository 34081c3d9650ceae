// ResourceQuota admission and usage: kube's evaluators, messages and quantity printing, against objects held in memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { formatQuantity } from '../api/builtin/quantity-format.js';
import type { ResourceType } from '../api/resource-type.js';
import { builtinResourceTypes } from '../api/builtin/index.js';
import type { AdmissionAttributes } from '../server/api-handler.js';
import { liveUsage, ResourceQuotaAdmission, kindOfName } from './resource-quota.js';
import { podConstraintError, prettyPrint, toResourceList, usageOf } from './quota-usage.js';

const types = builtinResourceTypes();
const typeOf = (group: string, plural: string): ResourceType => types.find((t) => t.group === group && t.plural === plural)!;

function pod(name: string, resources: { requests?: Record<string, string>; limits?: Record<string, string> } = {}, phase = 'Running'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'app', image: 'x', resources }] }, status: { phase } };
}

function quota(name: string, hard: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: 'ns' }, spec: { hard, ...extra } };
}

function world(objects: Record<string, KubeObject[]>): (group: string, plural: string, namespace: string) => KubeObject[] {
  return (group, plural) => objects[`${group}/${plural}`] ?? [];
}

function attrs(type: ResourceType, object: KubeObject, operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes {
  return { operation, type, namespace: 'ns', name: object.metadata.name ?? '', user: { name: 'u', groups: [] }, dryRun: false, object, oldObject: undefined };
}

function refusal(fn: () => void): FloeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FloeError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('quantities as kube prints them', () => {
  test('canonical forms', () => {
    assert.equal(formatQuantity(0.5), '500m');
    assert.equal(formatQuantity(1.5), '1500m');
    assert.equal(formatQuantity(2), '2');
    assert.equal(formatQuantity(1000), '1k');
    assert.equal(formatQuantity(1024 ** 3, 'BinarySI'), '1Gi');
    assert.equal(formatQuantity(1536 * 1024 ** 2, 'BinarySI'), '1536Mi');
    assert.equal(formatQuantity(0), '0');
  });
});

describe('usage', () => {
  test('a Pod charges its requests, limits and counts; a terminal Pod only its object count', () => {
    const u = usageOf('', 'pods', pod('a', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } }));
    assert.deepEqual(toResourceList(u), {
      'count/pods': '1',
      cpu: '250m',
      'limits.cpu': '500m',
      'limits.memory': '128Mi',
      memory: '64Mi',
      pods: '1',
      'requests.cpu': '250m',
      'requests.memory': '64Mi',
    });
    assert.deepEqual(toResourceList(usageOf('', 'pods', pod('b', {}, 'Succeeded'))), { 'count/pods': '1' });
  });

  test('extended resources count as requests.<name>', () => {
    const u = usageOf('', 'pods', pod('g', { limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1' } }));
    assert.equal(u['requests.nvidia.com/gpu']?.value, 1);
  });

  test('quota names map to the kinds they count', () => {
    assert.deepEqual(kindOfName('count/deployments.apps'), { group: 'apps', plural: 'deployments' });
    assert.deepEqual(kindOfName('requests.storage'), { group: '', plural: 'persistentvolumeclaims' });
    assert.deepEqual(kindOfName('limits.memory'), { group: '', plural: 'pods' });
    assert.deepEqual(kindOfName('configmaps'), { group: '', plural: 'configmaps' });
  });

  test('live usage sums what the quota names, zero included', () => {
    const q = quota('q', { pods: '3', 'requests.cpu': '2', 'count/configmaps': '5' });
    const used = liveUsage(q, world({ '/pods': [pod('a', { requests: { cpu: '500m' } }), pod('b', { requests: { cpu: '1' } }), pod('c', {}, 'Failed')], '/configmaps': [] }));
    assert.deepEqual(toResourceList(used), { 'count/configmaps': '0', pods: '2', 'requests.cpu': '1500m' });
  });
});

describe('ResourceQuota admission', () => {
  test('exceeded quota is kube\'s 403, with requested, used and limited', () => {
    const plugin = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('compute', { pods: '2', 'requests.cpu': '1' })], '/pods': [pod('a', { requests: { cpu: '600m' } })] }) });
    const p = pod('b', { requests: { cpu: '500m' } });
    const err = refusal(() => plugin.admit(p, undefined, attrs(typeOf('', 'pods'), p)));
    assert.equal(err.code, 403);
    assert.equal(err.message, 'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
  });

  test('the pod count', () => {
    const plugin = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('pods', { pods: '1' })], '/pods': [pod('a')] }) });
    const p = pod('b');
    assert.equal(refusal(() => plugin.admit(p, undefined, attrs(typeOf('', 'pods'), p))).message, 'pods "b" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1');
  });

  test('a tracked compute resource must be stated by every container', () => {
    const plugin = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('compute', { 'limits.cpu': '2', 'limits.memory': '1Gi' })] }) });
    const p = pod('nolimits');
    assert.equal(
      refusal(() => plugin.admit(p, undefined, attrs(typeOf('', 'pods'), p))).message,
      'pods "nolimits" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app',
    );
    assert.equal(podConstraintError(pod('ok', { limits: { cpu: '1', memory: '1Gi' } }), ['limits.cpu', 'limits.memory']), undefined);
  });

  test('object counts of any kind, and what fits passes', () => {
    const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });
    const plugin = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('objects', { 'count/configmaps': '2' })], '/configmaps': [cm('a')] }) });
    plugin.admit(cm('b'), undefined, attrs(typeOf('', 'configmaps'), cm('b')));
    const full = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('objects', { 'count/configmaps': '2' })], '/configmaps': [cm('a'), cm('b')] }) });
    assert.equal(refusal(() => full.admit(cm('c'), undefined, attrs(typeOf('', 'configmaps'), cm('c')))).message, 'configmaps "c" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2');
  });

  test('scopes: a BestEffort quota ignores Pods with requests', () => {
    const plugin = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('be', { pods: '0' }, { scopes: ['BestEffort'] })] }) });
    const burstable = pod('burst', { requests: { cpu: '100m' } });
    plugin.admit(burstable, undefined, attrs(typeOf('', 'pods'), burstable));
    const besteffort = pod('be1');
    assert.match(refusal(() => plugin.admit(besteffort, undefined, attrs(typeOf('', 'pods'), besteffort))).message, /exceeded quota: be, requested: pods=1, used: pods=0, limited: pods=0/);
  });

  test('Pod updates are not charged; claims are on resize', () => {
    const plugin = new ResourceQuotaAdmission({ read: world({ '/resourcequotas': [quota('q', { pods: '0', 'requests.storage': '1Gi' })] }) });
    const p = pod('a');
    plugin.admit(p, p, attrs(typeOf('', 'pods'), p, 'UPDATE'));
    const claim = (size: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'ns' }, spec: { resources: { requests: { storage: size } } } });
    const err = refusal(() => plugin.admit(claim('3Gi'), claim('1Gi'), { ...attrs(typeOf('', 'persistentvolumeclaims'), claim('3Gi'), 'UPDATE'), oldObject: claim('1Gi') }));
    assert.match(err.message, /^persistentvolumeclaims "c" is forbidden: exceeded quota: q, requested: requests.storage=2Gi, used: requests.storage=0, limited: requests.storage=1Gi$/);
  });

  test('prettyPrint sorts by name', () => {
    assert.equal(prettyPrint({ 'requests.memory': { value: 1024 ** 3, format: 'BinarySI' }, 'requests.cpu': { value: 0.5, format: 'DecimalSI' } }), 'requests.cpu=500m,requests.memory=1Gi');
  });
});
