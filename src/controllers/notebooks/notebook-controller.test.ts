// The notebook controller's pure parts: the StatefulSet and Service upstream generates, the status it writes, the culler's
// activity rule, the route's rewrite and its environment settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from '../../api/core-v1.js';
import { cullingFromEnv, lastActivityFrom } from './culling.js';
import { covers, desiredService, desiredStatefulSet, notebookStatus, type StatefulSet } from './notebook-controller.js';
import { parseNotebookPath, rewriteFor } from './route.js';
import type { Notebook } from './types.js';

function notebook(extra: Partial<Notebook['metadata']> = {}, container: Record<string, unknown> = {}): Notebook {
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Notebook',
    metadata: { name: 'nb', namespace: 'team-a', uid: 'uid-1', labels: { app: 'nb' }, ...extra },
    spec: { template: { spec: { containers: [{ name: 'nb', image: 'kubeflownotebookswg/jupyter-scipy:v1.9.0', ...container }] } } },
  };
}

describe('notebook controller planning', () => {
  test('the StatefulSet: one replica, labels, template annotations, defaults on the first container, fsGroup', () => {
    const sts = desiredStatefulSet(notebook({ annotations: { 'notebooks.kubeflow.org/server-type': 'jupyter', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'team/owner': 'alice' } }));
    assert.equal(sts.metadata.name, 'nb');
    assert.equal(sts.spec.replicas, 1);
    assert.deepEqual(sts.spec.selector, { matchLabels: { statefulset: 'nb' } });
    assert.deepEqual(sts.spec.template.metadata, { labels: { statefulset: 'nb', 'notebook-name': 'nb', app: 'nb' }, annotations: { 'team/owner': 'alice' } });
    const c = sts.spec.template.spec.containers[0]!;
    assert.equal(c.workingDir, '/home/jovyan');
    assert.deepEqual(c.ports, [{ name: 'notebook-port', containerPort: 8888, protocol: 'TCP' }]);
    assert.deepEqual(c.env, [{ name: 'NB_PREFIX', value: '/notebook/team-a/nb' }]);
    assert.deepEqual((sts.spec.template.spec as { securityContext?: unknown }).securityContext, { fsGroup: 100 });
    assert.equal(sts.spec.serviceName, undefined);
    assert.deepEqual(sts.metadata.ownerReferences?.[0], { apiVersion: 'kubeflow.org/v1beta1', kind: 'Notebook', name: 'nb', uid: 'uid-1', controller: true, blockOwnerDeletion: true });
  });

  test('stopped means zero replicas; a given NB_PREFIX, workingDir and securityContext are kept; ADD_FSGROUP=false adds none', () => {
    const stopped = desiredStatefulSet(notebook({ annotations: { 'kubeflow-resource-stopped': 'whatever' } }));
    assert.equal(stopped.spec.replicas, 0);
    const own = desiredStatefulSet(notebook({}, { workingDir: '/w', env: [{ name: 'NB_PREFIX', value: '/mine' }] }), { addFsGroup: false });
    assert.deepEqual(own.spec.template.spec.containers[0]?.env, [{ name: 'NB_PREFIX', value: '/mine' }]);
    assert.equal(own.spec.template.spec.containers[0]?.workingDir, '/w');
    assert.equal((own.spec.template.spec as { securityContext?: unknown }).securityContext, undefined);
  });

  test('with a host port (embedded mode) the notebook listens there: port, JUPYTER_PORT, and its own --port references', () => {
    const sts = desiredStatefulSet(notebook({}, { args: ['--port=8888', '--ip=0.0.0.0', '8888'], ports: [{ name: 'notebook-port', containerPort: 8888 }] }), { hostPort: 21000 });
    const c = sts.spec.template.spec.containers[0]!;
    assert.deepEqual(c.ports, [{ name: 'notebook-port', containerPort: 21000 }]);
    assert.deepEqual(c.args, ['--port=21000', '--ip=0.0.0.0', '21000']);
    assert.deepEqual(c.env?.find((e) => e.name === 'JUPYTER_PORT'), { name: 'JUPYTER_PORT', value: '21000' });
    const withToken = desiredStatefulSet(notebook(), { hostPort: 21000, tokenSecret: 'nb-jupyter-token' }).spec.template.spec.containers[0]!;
    assert.deepEqual(withToken.env?.find((e) => e.name === 'JUPYTER_TOKEN'), { name: 'JUPYTER_TOKEN', valueFrom: { secretKeyRef: { name: 'nb-jupyter-token', key: 'token' } } });
    const svc = desiredService(notebook(), 21000);
    assert.deepEqual(svc.spec?.ports, [{ name: 'http-nb', port: 80, targetPort: 21000, protocol: 'TCP' }]);
    assert.deepEqual(desiredService(notebook({}, { ports: [{ containerPort: 9000 }] })).spec?.ports?.[0]?.targetPort, 9000);
    assert.deepEqual(desiredService(notebook()).spec?.selector, { statefulset: 'nb' });
  });

  test('covers: defaults the API adds do not count as a difference', () => {
    assert.ok(covers({ a: 1, b: [{ c: 2, d: 3 }], e: 'x' }, { a: 1, b: [{ c: 2 }] }));
    assert.ok(!covers({ a: 1, b: [{ c: 2 }, { c: 3 }] }, { a: 1, b: [{ c: 2 }] }));
    assert.ok(!covers({ a: 2 }, { a: 1 }));
  });

  test('status: the Pod conditions, readyReplicas, and the state of the container named after the Notebook', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nb-0' },
      spec: { containers: [] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' },
          { type: 'PodScheduled', status: 'True', reason: 'Fine', message: 'yes' },
        ],
        containerStatuses: [
          { name: 'sidecar', state: { running: { startedAt: 'x' } }, lastState: {}, ready: true, restartCount: 0, image: '', imageID: '' },
          { name: 'nb', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: '', imageID: '' },
        ],
      },
    };
    const now = new Date('2026-12-07T01:02:03Z');
    const sts = { status: { readyReplicas: 1 } } as unknown as StatefulSet;
    const status = notebookStatus(notebook(), sts, pod, now);
    assert.deepEqual(status, {
      conditions: [
        { type: 'Ready', status: 'True', lastProbeTime: '2026-12-07T01:02:03Z', lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'PodScheduled', status: 'True', reason: 'Fine', message: 'yes', lastProbeTime: '2026-12-07T01:02:03Z', lastTransitionTime: '2026-12-07T01:02:03Z' },
      ],
      readyReplicas: 1,
      containerState: { waiting: { reason: 'ContainerCreating' } },
    });
    // The time a missing lastProbeTime was first filled in is kept, so a settled notebook is not rewritten.
    const again = notebookStatus({ ...notebook(), status }, sts, pod, new Date('2026-12-07T05:00:00Z'));
    assert.deepEqual(again, status);
    assert.deepEqual(notebookStatus(notebook(), undefined, undefined, now), { conditions: [], readyReplicas: 0, containerState: {} });
  });
});

describe('culling', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  test('a busy kernel is activity now; idle kernels give their latest activity; no answer changes nothing', () => {
    assert.equal(lastActivityFrom({ kernels: [{ execution_state: 'idle', last_activity: '2026-12-07T10:00:00Z' }, { execution_state: 'busy', last_activity: '2026-12-07T09:00:00Z' }] }, now), now);
    assert.equal(lastActivityFrom({ kernels: [{ execution_state: 'idle', last_activity: '2026-12-07T10:00:00Z' }, { execution_state: 'idle', last_activity: '2026-12-07T11:00:00.123456Z' }] }, now), Date.parse('2026-12-07T11:00:00.123Z'));
    assert.equal(lastActivityFrom({}, now), undefined);
    assert.equal(lastActivityFrom({ kernels: [] }, now), undefined);
    assert.equal(lastActivityFrom({ kernels: [{ execution_state: 'idle', last_activity: 'garbage' }] }, now), undefined);
    // /api/status's last_activity (terminals, API use) counts when no kernel is busy.
    assert.equal(lastActivityFrom({ kernels: [], statusLastActivity: '2026-12-07T11:30:00Z' }, now), Date.parse('2026-12-07T11:30:00Z'));
  });

  test('settings from upstream\'s environment variables', () => {
    assert.deepEqual(cullingFromEnv({}), { enabled: false, idleMinutes: 1440, checkPeriodMinutes: 1, clusterDomain: 'cluster.local' });
    assert.deepEqual(cullingFromEnv({ ENABLE_CULLING: 'true', CULL_IDLE_TIME: '30', IDLENESS_CHECK_PERIOD: '0.5', CLUSTER_DOMAIN: 'corp.local' }), { enabled: true, idleMinutes: 30, checkPeriodMinutes: 0.5, clusterDomain: 'corp.local' });
    assert.equal(cullingFromEnv({ ENABLE_CULLING: 'yes', CULL_IDLE_TIME: 'ten' }).idleMinutes, 1440);
  });
});

describe('the notebook route', () => {
  test('paths name a namespace and a notebook', () => {
    assert.deepEqual(parseNotebookPath('/notebook/team-a/nb/api/status'), { namespace: 'team-a', name: 'nb', rest: 'api/status' });
    assert.deepEqual(parseNotebookPath('/notebook/team-a/nb'), { namespace: 'team-a', name: 'nb', rest: '' });
    assert.equal(parseNotebookPath('/notebook/team-a/'), undefined);
    assert.equal(parseNotebookPath('/other/team-a/nb'), undefined);
  });

  test('http-rewrite-uri replaces the prefix; http-headers-request-set sets headers; bad JSON sets none', () => {
    assert.deepEqual(rewriteFor(notebook(), '/notebook/team-a/nb/api/status?x=1'), { path: '/notebook/team-a/nb/api/status?x=1', headers: {} });
    const rstudio = notebook({ annotations: { 'notebooks.kubeflow.org/http-rewrite-uri': '/', 'notebooks.kubeflow.org/http-headers-request-set': '{"X-RStudio-Root-Path":"/notebook/team-a/nb/"}' } });
    assert.deepEqual(rewriteFor(rstudio, '/notebook/team-a/nb/auth-sign-in'), { path: '/auth-sign-in', headers: { 'x-rstudio-root-path': '/notebook/team-a/nb/' } });
    const broken = notebook({ annotations: { 'notebooks.kubeflow.org/http-headers-request-set': '{not json' } });
    assert.deepEqual(rewriteFor(broken, '/notebook/team-a/nb/').headers, {});
  });
});
