// The tensorboard controller's planning: log paths (pvc://, plain, cloud), upstream's Deployment and Service, status.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment } from '../apps/deployment-util.js';
import { isCloudPath, logsClaim, nextStatus, parsePvcPath, planDeployment, planService, type Tensorboard } from './tensorboard.js';

const tb = (logspath: string, labels?: Record<string, string>): Tensorboard => ({
  apiVersion: 'tensorboard.kubeflow.org/v1alpha1',
  kind: 'Tensorboard',
  metadata: { name: 'board', namespace: 'ns', uid: 'u1', ...(labels ? { labels } : {}) },
  spec: { logspath },
});
const options = { image: 'tensorflow/tensorflow:2.5.1', command: ['/usr/local/bin/tensorboard'] };

describe('tensorboard planning', () => {
  test('log paths', () => {
    assert.deepEqual(parsePvcPath('pvc://logs/a/b'), { claim: 'logs', subPath: 'a/b' });
    assert.deepEqual(parsePvcPath('pvc://logs/'), { claim: 'logs', subPath: '' });
    assert.deepEqual(parsePvcPath('pvc://logs'), { claim: 'logs', subPath: '' });
    assert.equal(parsePvcPath('/data/logs'), undefined);
    for (const p of ['gs://b/x', 's3://b/x', '/cns/x']) assert.equal(isCloudPath(p), true);
    assert.equal(logsClaim(tb('/data/logs')), 'tb-volume');
    assert.equal(logsClaim(tb('s3://b')), undefined);
  });

  test('the Deployment upstream makes, for each kind of path', () => {
    const pvc = planDeployment(tb('pvc://logs/runs', { 'access-ml-pipeline': 'true' }), options);
    const spec = pvc.spec.template.spec as unknown as Record<string, unknown> & Deployment['spec']['template']['spec'];
    assert.deepEqual(pvc.spec.selector, { matchLabels: { app: 'board' } });
    assert.deepEqual(pvc.spec.template.metadata?.labels, { 'access-ml-pipeline': 'true', app: 'board' });
    assert.deepEqual(spec.containers[0]?.args, ['--logdir=/tensorboard_logs/', '--bind_all']);
    assert.deepEqual(spec.containers[0]?.command, ['/usr/local/bin/tensorboard']);
    assert.deepEqual(spec.volumes, [{ name: 'tbpd', persistentVolumeClaim: { claimName: 'logs' } }]);
    assert.deepEqual(spec.affinity, {});
    const plain = planDeployment(tb('/data/logs'), { ...options, hostPort: 41000, preferredNode: 'n1' });
    const plainSpec = plain.spec.template.spec as unknown as Record<string, unknown> & Deployment['spec']['template']['spec'];
    assert.deepEqual(plainSpec.containers[0]?.args, ['--logdir=/data/logs', '--bind_all', '--port=41000']);
    assert.deepEqual(plainSpec.containers[0]?.volumeMounts, [{ name: 'tbpd', readOnly: true, mountPath: '/data/logs' }]);
    assert.deepEqual(plainSpec.volumes, [{ name: 'tbpd', persistentVolumeClaim: { claimName: 'tb-volume' } }]);
    assert.equal(JSON.stringify(plainSpec.affinity).includes('"values":["n1"]'), true);
    const gs = planDeployment(tb('gs://bucket/logs'), options).spec.template.spec;
    assert.deepEqual(gs.containers[0]?.args, ['--logdir=gs://bucket/logs', '--bind_all']);
    assert.deepEqual(gs.volumes, [{ name: 'gcp-creds', secret: { secretName: 'user-gcp-sa' } }]);
    assert.deepEqual(planDeployment(tb('s3://b/x'), options).spec.template.spec.volumes, []);
  });

  test('the Service and the status', () => {
    assert.deepEqual(planService(tb('/x')).spec, { type: 'ClusterIP', selector: { app: 'board' }, ports: [{ name: 'http-board', port: 80, targetPort: 6006 }] });
    const deployment = (type: string, ready: number): Deployment =>
      ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec: { selector: {}, template: { spec: { containers: [] } } }, status: { readyReplicas: ready, conditions: [{ type, status: 'True', lastUpdateTime: '2026-01-01T00:00:00Z' }] } }) as unknown as Deployment;
    const first = nextStatus(tb('/x'), deployment('Available', 1));
    assert.deepEqual(first, { conditions: [{ deploymentState: 'Available', lastProbeTime: '2026-01-01T00:00:00Z' }], readyReplicas: 1 });
    const same = nextStatus({ ...tb('/x'), status: first }, deployment('Available', 0));
    assert.equal(same.conditions.length, 1);
    assert.equal(same.readyReplicas, 0);
    assert.equal(nextStatus({ ...tb('/x'), status: first }, deployment('Progressing', 0)).conditions.length, 2);
  });
});
