// The Jupyter web app's pure parts: form values under readOnly, resource limits from limitFactor, server types, volumes,
// and the status order of upstream's status.py.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSpawnerConfig, formValue, notebookFromForm, podVolumeFor, processStatus, stopTimestamp, WebAppError } from './jupyter-web-app-form.js';
import type { Notebook } from './types.js';

const body = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'nb',
  namespace: 'ns',
  image: ' img:1 ',
  imagePullPolicy: 'IfNotPresent',
  serverType: 'jupyter',
  cpu: '0.5',
  cpuLimit: '',
  memory: '1.0Gi',
  memoryLimit: '',
  gpus: { num: 'none' },
  datavols: [],
  shm: false,
  configurations: [],
  affinityConfig: '',
  tolerationGroup: '',
  ...extra,
});

const refused = (fn: () => unknown, message: RegExp): void => assert.throws(fn, (err: unknown) => err instanceof WebAppError && err.code === 400 && message.test(err.message));

describe('Jupyter web app form', () => {
  test('readOnly fields take the config value and refuse one from the body; missing values are a 400', () => {
    const config = { ...defaultSpawnerConfig(), cpu: { readOnly: true, value: '2', limitFactor: 'none' } };
    assert.equal(formValue({}, config, 'cpu'), '2');
    refused(() => formValue({ cpu: '1' }, config, 'cpu'), /^'cpu' is readonly but a value was provided: 1$/);
    refused(() => formValue({}, defaultSpawnerConfig(), 'memory'), /^No value provided for: memory$/);
    assert.equal(formValue({}, defaultSpawnerConfig(), 'workspace', 'workspaceVolume', true), null);
    assert.equal(formValue({ extra: 'x' }, defaultSpawnerConfig(), 'extra'), 'x');
  });

  test('limits from limitFactor (rounded as Python rounds to one digit), refused below the request', () => {
    const nb = notebookFromForm(body({ cpu: '1', memory: '2Gi' }), 'ns', 'alice', defaultSpawnerConfig()).notebook;
    assert.deepEqual(nb.spec.template.spec.containers[0]?.resources, { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1.2', memory: '2.4Gi' } });
    assert.equal(nb.spec.template.spec.containers[0]?.image, 'img:1');
    refused(() => notebookFromForm(body({ cpuLimit: '0.1' }), 'ns', 'alice', defaultSpawnerConfig()), /^CPU limit must be greater than the request$/);
    refused(() => notebookFromForm(body({ memory: 'nanGi' }), 'ns', 'alice', defaultSpawnerConfig()), /^Invalid value for memory/);
    const none = { ...defaultSpawnerConfig(), cpu: { readOnly: false, value: '0.5', limitFactor: 'none' } };
    assert.equal(notebookFromForm(body(), 'ns', null, none).notebook.spec.template.spec.containers[0]?.resources?.limits?.cpu, undefined);
    assert.equal(notebookFromForm(body(), 'ns', null, none).notebook.metadata.annotations?.['notebooks.kubeflow.org/creator'], 'anonymous@kubeflow.org');
  });

  test('server types set upstream\'s annotations; GPUs set the vendor limit; configurations become labels', () => {
    const two = notebookFromForm(body({ serverType: 'group-two', gpus: { num: 2, vendor: 'nvidia.com/gpu' }, configurations: ['access-ml-pipeline'] }), 'ns', 'alice', defaultSpawnerConfig()).notebook;
    assert.equal(two.metadata.annotations?.['notebooks.kubeflow.org/http-rewrite-uri'], '/');
    assert.equal(two.metadata.annotations?.['notebooks.kubeflow.org/http-headers-request-set'], '{"X-RStudio-Root-Path":"/notebook/ns/nb/"}');
    assert.equal(two.spec.template.spec.containers[0]?.resources?.limits?.['nvidia.com/gpu'], '2');
    assert.equal(two.metadata.labels?.['access-ml-pipeline'], 'true');
    refused(() => notebookFromForm(body({ serverType: 'vscode' }), 'ns', 'alice', defaultSpawnerConfig()), /is not a valid server type/);
    refused(() => notebookFromForm(body({ gpus: { num: '1' } }), 'ns', 'alice', defaultSpawnerConfig()), /'gpus' must have a 'vendor' field/);
  });

  test('volumes: exactly one source; an existing PVC keeps its name; other sources get a generated one', () => {
    refused(() => notebookFromForm(body({ datavols: [{ mount: '/d' }] }), 'ns', 'a', defaultSpawnerConfig()), /neither existingSource nor newPvc/);
    refused(() => notebookFromForm(body({ datavols: [{ mount: '/d', newPvc: { metadata: { name: 'x', namespace: 'other' } } }] }), 'ns', 'a', defaultSpawnerConfig()), /^PVC should not specify the namespace\.$/);
    assert.deepEqual(podVolumeFor({ mount: '/d', existingSource: { persistentVolumeClaim: { claimName: 'data' } } }, undefined), {
      volume: { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      mount: { name: 'data', mountPath: '/d' },
    });
    assert.match(String(podVolumeFor({ mount: '/n', existingSource: { nfs: { server: 's', path: '/' } } }, undefined).volume.name), /^existing-source-volume-[a-z0-9]{8}$/);
  });

  test('status in upstream\'s order', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    const nb = (meta: Partial<Notebook['metadata']>, status?: unknown): Notebook =>
      ({ apiVersion: 'kubeflow.org/v1beta1', kind: 'Notebook', metadata: { name: 'nb', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z', ...meta }, spec: { template: { spec: { containers: [] } } }, ...(status ? { status } : {}) }) as unknown as Notebook;
    assert.equal(processStatus(nb({ creationTimestamp: '2026-01-01T00:00:55Z' }), [], now).phase, 'waiting');
    assert.deepEqual(processStatus(nb({ annotations: { 'kubeflow-resource-stopped': 'x' } }, { readyReplicas: 0, conditions: [], containerState: {} }), [], now), { phase: 'stopped', message: 'No Pods are currently running for this Notebook Server.', state: '' });
    assert.equal(processStatus(nb({ annotations: { 'kubeflow-resource-stopped': 'x' } }, { readyReplicas: 1, conditions: [], containerState: {} }), [], now).message, 'Notebook Server is stopping.');
    assert.equal(processStatus(nb({ deletionTimestamp: '2026-01-01T00:00:59Z' }, { readyReplicas: 1, conditions: [], containerState: {} }), [], now).phase, 'terminating');
    assert.deepEqual(processStatus(nb({}, { readyReplicas: 1, conditions: [], containerState: { running: {} } }), [], now), { phase: 'ready', message: 'Running', state: '' });
    assert.equal(processStatus(nb({}, { readyReplicas: 0, conditions: [], containerState: { waiting: { reason: 'ContainerCreating' } } }), [], now).message, 'ContainerCreating: No available message for container state.');
    assert.equal(processStatus(nb({}, { readyReplicas: 0, conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' }], containerState: {} }), [], now).message, 'Unschedulable: 0/1 nodes');
    const events = [
      { apiVersion: 'v1', kind: 'Event', metadata: { creationTimestamp: '2025-12-31T00:00:00Z' }, type: 'Warning', message: 'before the notebook' },
      { apiVersion: 'v1', kind: 'Event', metadata: { creationTimestamp: '2026-01-01T00:00:10Z' }, type: 'Warning', message: 'FailedCreate' },
      { apiVersion: 'v1', kind: 'Event', metadata: { creationTimestamp: '2026-01-01T00:00:20Z' }, type: 'Normal', message: 'newer but normal' },
    ];
    assert.equal(processStatus(nb({}, { readyReplicas: 0, conditions: [{ type: 'Ready', status: 'False' }], containerState: {} }), events, now).message, 'FailedCreate');
    assert.equal(processStatus(nb({}, { readyReplicas: 0, conditions: [{ type: 'Ready', status: 'False' }], containerState: {} }), [], now).message, "Couldn't find any information for the status of this notebook.");
    assert.equal(stopTimestamp(new Date('2026-03-04T05:06:07.891Z')), '2026-03-04T05:06:07Z');
  });
});
