// LimitRanger: container defaults, the annotation, and min/max/ratio refusals worded as kube words them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { builtinResourceTypes } from '../api/builtin/index.js';
import { defaultLimitRange } from '../api/builtin/limit-range.js';
import type { AdmissionAttributes } from '../server/api-handler.js';
import { LimitRanger, LimitRangerAnnotation } from './limit-range.js';

const podType = builtinResourceTypes().find((t) => t.plural === 'pods')!;
const limitRangeType = builtinResourceTypes().find((t) => t.plural === 'limitranges')!;

function pod(resources: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'app', image: 'x', resources }] }, status: { qosClass: 'BestEffort' } };
}

function range(limits: Record<string, unknown>[]): KubeObject {
  const r: KubeObject = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'ns' }, spec: { limits } };
  defaultLimitRange(r);
  return r;
}

function attrs(object: KubeObject): AdmissionAttributes {
  return { operation: 'CREATE', type: podType, namespace: 'ns', name: 'p', user: { name: 'u', groups: [] }, dryRun: false, object, oldObject: undefined };
}

function ranger(...ranges: KubeObject[]): LimitRanger {
  return new LimitRanger({ read: (_g, plural) => (plural === 'limitranges' ? ranges : []) });
}

describe('LimitRange kind', () => {
  test('defaults: default from max, defaultRequest from default', () => {
    const r = range([{ type: 'Container', max: { cpu: '2' }, default: { memory: '256Mi' } }]);
    assert.deepEqual((r.spec as { limits: unknown[] }).limits[0], { type: 'Container', max: { cpu: '2' }, default: { memory: '256Mi', cpu: '2' }, defaultRequest: { memory: '256Mi', cpu: '2' } });
  });

  test('validation: min above max', () => {
    const errs = limitRangeType.validate!(range([{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }]));
    assert.ok(errs.some((e) => e.field === 'spec.limits[0].min[cpu]' && e.message === 'Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than max value 1'), JSON.stringify(errs));
  });
});

describe('LimitRanger', () => {
  test('fills container defaults and notes them in the annotation', () => {
    const p = pod();
    ranger(range([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '250m', memory: '128Mi' } }])).admit(p, undefined, attrs(p));
    const c = (p.spec as { containers: { resources: unknown }[] }).containers[0]!;
    assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    assert.equal(p.metadata.annotations?.[LimitRangerAnnotation], 'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app');
    assert.equal((p.status as { qosClass: string }).qosClass, 'Burstable');
  });

  test('keeps what the container states', () => {
    const p = pod({ limits: { cpu: '1' } });
    ranger(range([{ type: 'Container', default: { cpu: '500m' } }])).admit(p, undefined, attrs(p));
    assert.deepEqual((p.spec as { containers: { resources: unknown }[] }).containers[0]!.resources, { limits: { cpu: '1' }, requests: { cpu: '500m' } });
  });

  test('max and min refusals as kube words them', () => {
    const over = pod({ limits: { cpu: '3' }, requests: { cpu: '3' } });
    try {
      ranger(range([{ type: 'Container', max: { cpu: '2' } }, { type: 'Pod', min: { memory: '10Mi' } }])).admit(over, undefined, attrs(over));
      assert.fail('expected a refusal');
    } catch (err) {
      assert.ok(err instanceof FloeError);
      assert.equal(err.code, 403);
      assert.equal(err.message, 'pods "p" is forbidden: [maximum cpu usage per Container is 2, but limit is 3, minimum memory usage per Pod is 10Mi.  No request is specified]');
    }
  });

  test('maxLimitRequestRatio', () => {
    const p = pod({ limits: { cpu: '2' }, requests: { cpu: '500m' } });
    assert.throws(() => ranger(range([{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }])).admit(p, undefined, attrs(p)), /cpu max limit to request ratio per Container is 2, but provided ratio is 4\.000000/);
  });
});
