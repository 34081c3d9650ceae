// PodDefaults (kubeflow.org/v1alpha1) against an embedded Floe running Pods: a matching Pod gets the env, volume and
// mount a PodDefault carries (and its process sees them), a Pod the selector does not match, an excluded one and one in
// a namespace that is not a profile's are left alone, and conflicts are refused as upstream's webhook refuses them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PodRef, type Pod } from '../src/api/core-v1.js';
import { FloeError } from '../src/api/errors.js';
import type { KubeObject } from '../src/api/meta.js';
import { applyPodDefaults, podDefaultConflicts, type PodDefault } from '../src/controllers/notebooks/poddefault-merge.js';
import { PodDefaultRef, PodDefaultWebhookName } from '../src/controllers/notebooks/poddefaults.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { podManifest } from './helpers/kubelet-harness.js';
import { waitFor } from './helpers/wait.js';

const ns = 'team-pd';
const plainNs = 'plain-pd';

function podDefault(name: string, namespace: string, spec: Record<string, unknown>): PodDefault {
  return { apiVersion: 'kubeflow.org/v1alpha1', kind: 'PodDefault', metadata: { name, namespace }, spec: spec as unknown as PodDefault['spec'] };
}

const shell = (script: string): string[] => ['/bin/sh', '-c', script];

describe('PodDefault admission (embedded)', () => {
  let h: EmbeddedFloe;
  before(async () => {
    h = await startEmbeddedFloe('floe-poddefaults-');
    const client = h.floe.client;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/part-of': 'kubeflow-profile' } } });
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: plainNs } });
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'creds', namespace: ns }, data: { token: 'secret-from-poddefault' } });
    for (const namespace of [ns, plainNs]) {
      await client.create(
        podDefault('add-creds', namespace, {
          desc: 'Mount credentials',
          selector: { matchLabels: { 'add-creds': 'true' } },
          env: [{ name: 'CREDS_MODE', value: 'poddefault' }],
          volumes: [{ name: 'creds', configMap: { name: 'creds' } }],
          volumeMounts: [{ name: 'creds', mountPath: '/etc/creds' }],
          annotations: { 'example.org/injected': 'yes' },
          labels: { injected: 'true' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'notebooks', effect: 'NoSchedule' }],
        }),
      );
    }
  });
  after(async () => {
    await h.stop();
  });

  test('a matching Pod gets the env, the volume and its mount; its process sees both; the applied annotation names the PodDefault', async () => {
    const client = h.floe.client;
    const pd = await client.get<PodDefault>(PodDefaultRef, 'add-creds', ns);
    const created = await client.create<Pod>(
      podManifest(ns, 'matching', [{ command: shell('echo "mode=$CREDS_MODE"; cat /etc/creds/token; echo; sleep 30') }], {}, { labels: { 'add-creds': 'true' } }),
    );
    const c = created.spec.containers[0]!;
    assert.deepEqual(c.env?.find((e) => e.name === 'CREDS_MODE'), { name: 'CREDS_MODE', value: 'poddefault' });
    assert.deepEqual(c.volumeMounts?.find((m) => m.name === 'creds')?.mountPath, '/etc/creds');
    assert.equal(created.spec.volumes?.find((v) => v.name === 'creds')?.configMap?.name, 'creds');
    assert.equal(created.metadata.annotations?.['poddefault.admission.kubeflow.org/poddefault-add-creds'], pd.metadata.resourceVersion);
    assert.equal(created.metadata.annotations?.['example.org/injected'], 'yes');
    assert.equal(created.metadata.labels?.injected, 'true');
    assert.ok(created.spec.tolerations?.some((t) => t.key === 'dedicated' && t.value === 'notebooks'));
    // The process sees what was injected.
    const log = await waitFor(async () => {
      const res = await fetch(`${h.floe.url}/api/v1/namespaces/${ns}/pods/matching/log`);
      const text = await res.text();
      return res.ok && text.includes('secret-from-poddefault') ? text : undefined;
    }, { what: 'the Pod to print its injected env and file', timeoutMs: 30_000 });
    assert.match(log, /mode=poddefault/);
    await client.delete(PodRef, 'matching', ns, { gracePeriodSeconds: 0 });
  });

  test('a Pod the selector does not match, an excluded Pod, and a Pod outside profile namespaces are left alone', async () => {
    const client = h.floe.client;
    const cases: [string, string, Record<string, string>, Record<string, string>][] = [
      ['unmatched', ns, { other: 'true' }, {}],
      ['excluded', ns, { 'add-creds': 'true' }, { 'poddefault.admission.kubeflow.org/exclude': 'true' }],
      ['not-a-profile', plainNs, { 'add-creds': 'true' }, {}],
    ];
    for (const [name, namespace, labels, annotations] of cases) {
      const created = await client.create<Pod>(podManifest(namespace, name, [{ command: shell('sleep 1') }], {}, { labels, annotations }));
      assert.equal(created.spec.containers[0]?.env?.some((e) => e.name === 'CREDS_MODE') ?? false, false, name);
      assert.equal(created.spec.volumes?.some((v) => v.name === 'creds') ?? false, false, name);
      assert.equal(Object.keys(created.metadata.annotations ?? {}).some((k) => k.startsWith('poddefault.admission.kubeflow.org/poddefault-')), false, name);
      await client.delete(PodRef, name, namespace, { gracePeriodSeconds: 0 });
    }
  });

  test('conflicts are refused as the webhook refuses them: a Pod env var with another value, two PodDefaults disagreeing', async () => {
    const client = h.floe.client;
    // The Pod sets CREDS_MODE itself, differently.
    const refused = await client
      .create<Pod>(podManifest(ns, 'conflicting', [{ command: shell('sleep 1'), env: [{ name: 'CREDS_MODE', value: 'mine' }] }], {}, { labels: { 'add-creds': 'true' } }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    assert.ok(refused instanceof FloeError, 'the Pod is refused');
    assert.equal(refused.code, 400);
    assert.match(refused.message, new RegExp(`^admission webhook "${PodDefaultWebhookName.replaceAll('.', '\\.')}" denied the request: conflict occurred while applying poddefaults: add-creds on pod: conflicting err: merging env for add-creds has a conflict on CREDS_MODE`));
    await assert.rejects(client.get(PodRef, 'conflicting', ns), (err: unknown) => err instanceof FloeError && err.reason === 'NotFound');
    // Another PodDefault with the same volume name and other content: both select the Pod, which is refused.
    await client.create(podDefault('other-creds', ns, { selector: { matchLabels: { 'add-creds': 'true' } }, volumes: [{ name: 'creds', emptyDir: {} }] }));
    const both = await client
      .create<Pod>(podManifest(ns, 'both', [{ command: shell('sleep 1') }], {}, { labels: { 'add-creds': 'true' } }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    assert.ok(both instanceof FloeError);
    assert.match(both.message, /conflict occurred while applying poddefaults: add-creds,other-creds on pod: both err: merging volumes for other-creds has a conflict on creds/);
    await client.delete(PodDefaultRef, 'other-creds', ns);
    // Once the PodDefault is gone (the cache follows the watch), the same Pod is admitted.
    const admitted = await waitFor(
      () => client.create<Pod>(podManifest(ns, 'both', [{ command: shell('sleep 1') }], {}, { labels: { 'add-creds': 'true' } })),
      { what: 'the Pod to be admitted once the conflicting PodDefault is gone' },
    );
    assert.equal(admitted.spec.volumes?.find((v) => v.name === 'creds')?.configMap?.name, 'creds');
    await client.delete(PodRef, 'both', ns, { gracePeriodSeconds: 0 });
  });

  test('command and args only where the container has none; sidecars and init containers appended; the service account replaced', async () => {
    const client = h.floe.client;
    await client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner', namespace: ns } });
    await client.create(
      podDefault('sidecar', ns, {
        selector: { matchExpressions: [{ key: 'sidecar', operator: 'Exists' }] },
        args: ['--from-poddefault'],
        serviceAccountName: 'runner',
        sidecars: [{ name: 'helper', image: 'node:20', command: ['/bin/sh', '-c', 'sleep 30'] }],
        initContainers: [{ name: 'prepare', image: 'node:20', command: ['/bin/sh', '-c', 'true'] }],
      }),
    );
    const created = await client.create<Pod>(podManifest(ns, 'with-sidecar', [{ command: shell('sleep 1'), args: ['own'] }, { name: 'second', command: shell('sleep 1') }], {}, { labels: { sidecar: '' } }));
    assert.deepEqual(created.spec.containers.map((c) => c.name), ['main', 'second', 'helper']);
    assert.deepEqual(created.spec.containers[0]?.args, ['own']);
    assert.deepEqual(created.spec.containers[1]?.args, ['--from-poddefault']);
    assert.deepEqual(created.spec.initContainers?.map((c) => c.name), ['prepare']);
    assert.equal(created.spec.serviceAccountName, 'runner');
    // What admission added was defaulted as the Pod's own containers are (kube decodes a webhook's patch so).
    assert.equal((created.spec.containers[2] as unknown as Record<string, unknown>).terminationMessagePath, (created.spec.containers[0] as unknown as Record<string, unknown>).terminationMessagePath);
    await client.delete(PodRef, 'with-sidecar', ns, { gracePeriodSeconds: 0 });
    await client.delete(PodDefaultRef, 'sidecar', ns);
  });

  test('the merge itself: envFrom appended, identical entries kept once, labels conflicting, istio-proxy keeps its command', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', labels: { team: 'a' } },
      spec: { containers: [{ name: 'main', env: [{ name: 'A', value: '1' }] }, { name: 'istio-proxy' }], volumes: [{ name: 'v', emptyDir: {} }] },
    };
    const pd = (name: string, spec: Record<string, unknown>): PodDefault => ({ ...podDefault(name, 'n', { selector: {}, ...spec }), metadata: { name, namespace: 'n', resourceVersion: '7' } });
    const same = pd('same', { env: [{ name: 'A', value: '1' }], volumes: [{ name: 'v', emptyDir: {} }], envFrom: [{ configMapRef: { name: 'x' } }], command: ['run'] });
    assert.equal(podDefaultConflicts(pod, [same]), undefined);
    applyPodDefaults(pod, [same]);
    const spec = pod.spec as { containers: { name: string; env?: unknown[]; envFrom?: unknown[]; command?: string[] }[]; volumes: unknown[] };
    assert.equal(spec.containers[0]?.env?.length, 1);
    assert.equal(spec.volumes.length, 1);
    assert.deepEqual(spec.containers[0]?.envFrom, [{ configMapRef: { name: 'x' } }]);
    assert.deepEqual(spec.containers[0]?.command, ['run']);
    assert.equal(spec.containers[1]?.command, undefined);
    assert.equal(pod.metadata.annotations?.['poddefault.admission.kubeflow.org/poddefault-same'], '7');
    assert.match(podDefaultConflicts(pod, [pd('labels', { labels: { team: 'b' } })]) ?? '', /merging has conflict on team/);
  });
});
