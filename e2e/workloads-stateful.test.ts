// The real kubectl drives StatefulSets (claims that outlive Pods, ordered scaling), a DaemonSet on the node, and a
// CronJob that fires on the wall clock, against a running `floe up`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlOk, removeDir, type RunningFloe, startFloeProcess, waitFor } from './harness.js';

let floe: RunningFloe;
before(async () => { floe = await startFloeProcess(); });
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(floe, args, input);

const podNames = async (ns: string, selector: string): Promise<string[]> =>
  (await ok(['get', 'pods', '-n', ns, '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'])).split('\n').filter(Boolean).sort();

const stateful = (ns: string): string => `
apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ port: 80 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web, namespace: ${ns} }
spec:
  serviceName: web
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "echo $HOSTNAME >> /data/log; sleep 3600"]
        volumeMounts: [{ name: data, mountPath: /data }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec:
      accessModes: [ReadWriteOnce]
      resources: { requests: { storage: 1Gi } }
`;

describe('stateful workloads with kubectl', () => {
  test('a StatefulSet with a volumeClaimTemplate: bound claims, data that outlives a Pod, ordered scaling', async () => {
    const ns = 'sts-e2e';
    await ok(['apply', '-f', '-'], stateful(ns));
    const status = await ok(['rollout', 'status', 'statefulset/web', '-n', ns, '--timeout=120s']);
    // partition defaults to 0, so kubectl reports a partitioned roll out, as it does against kube-apiserver.
    assert.match(status, /partitioned roll out complete: 3 new pods have been updated\.\.\./);
    assert.deepEqual(await podNames(ns, 'app=web'), ['web-0', 'web-1', 'web-2']);
    const claims = await ok(['get', 'pvc', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.storageClassName}{"\\n"}{end}']);
    assert.deepEqual(claims.trim().split('\n').sort(), ['data-web-0 Bound standard', 'data-web-1 Bound standard', 'data-web-2 Bound standard']);
    assert.match(await ok(['get', 'pv']), /pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+Delete\s+Bound\s+sts-e2e\/data-web-1\s+standard/);

    // The Pod goes; its replacement mounts the same claim and appends to the same file.
    const log = join(floe.dataDir, 'volumes', ns, 'data-web-1', 'log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8') === 'web-1\n', { what: 'web-1 wrote its log' });
    // --wait=false: kubectl's wait GETs the Pod, then lists and watches by name; the controller recreates web-1 in
    // between (Floe stops a Pod in milliseconds), so kubectl would wait for a DELETED event that came before its list.
    const uid = await ok(['get', 'pod', 'web-1', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    await ok(['delete', 'pod', 'web-1', '-n', ns, '--wait=false']);
    await waitFor(async () => (await ok(['get', 'pod', 'web-1', '-n', ns, '-o', 'jsonpath={.metadata.uid}'])) !== uid, { what: 'a new web-1', timeoutMs: 60_000 });
    await waitFor(async () => (await ok(['exec', 'web-1', '-n', ns, '--', 'cat', '/data/log'])) === 'web-1\nweb-1\n', { what: 'the recreated web-1 sees the file', timeoutMs: 60_000 });

    // Scale down removes the highest ordinals and keeps their claims; scale up brings them back on them.
    await ok(['scale', 'statefulset/web', '-n', ns, '--replicas=1']);
    await waitFor(async () => (await podNames(ns, 'app=web')).join() === 'web-0', { what: 'one Pod left', timeoutMs: 60_000 });
    assert.equal((await ok(['get', 'pvc', '-n', ns, '-o', 'name'])).trim().split('\n').length, 3);
    await ok(['scale', 'statefulset/web', '-n', ns, '--replicas=3']);
    await ok(['rollout', 'status', 'statefulset/web', '-n', ns, '--timeout=120s']);
    assert.equal(readFileSync(log, 'utf8'), 'web-1\nweb-1\nweb-1\n');
    const events = await ok(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=StatefulSet', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, /SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success/);
    assert.match(events, /SuccessfulDelete: delete Pod web-2 in StatefulSet web successful/);
  });

  test('a DaemonSet runs one Pod on the node and rolls out', async () => {
    await ok(['create', 'namespace', 'ds-e2e']);
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'ds-e2e' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } } },
    }));
    assert.match(await ok(['rollout', 'status', 'daemonset/agent', '-n', 'ds-e2e', '--timeout=120s']), /daemon set "agent" successfully rolled out/);
    const node = (await ok(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    assert.equal((await ok(['get', 'pods', '-n', 'ds-e2e', '-o', 'jsonpath={.items[*].spec.nodeName}'])).trim(), node);
    const row = await ok(['get', 'daemonset', 'agent', '-n', 'ds-e2e', '--no-headers']);
    assert.match(row, /^agent\s+1\s+1\s+1\s+1\s+1\s/);
  });

  test('kubectl create cronjob with * * * * * fires within a minute and its Job completes', async () => {
    await ok(['create', 'namespace', 'cron-e2e']);
    await ok(['create', 'cronjob', 'hello', '-n', 'cron-e2e', '--image=busybox', '--schedule=* * * * *', '--', 'sh', '-c', 'echo hello from cron']);
    const job = await waitFor(async () => (await ok(['get', 'jobs', '-n', 'cron-e2e', '-o', 'jsonpath={.items[0].metadata.name}'])).trim(), { what: 'the first Job', timeoutMs: 75_000, intervalMs: 1000 });
    assert.match(job, /^hello-\d+$/);
    const minute = Number(job.slice('hello-'.length));
    assert.equal(minute * 60_000 <= Date.now(), true, 'named by its schedule minute');
    await ok(['wait', '--for=condition=complete', `job/${job}`, '-n', 'cron-e2e', '--timeout=60s']);
    assert.match(await ok(['logs', `job/${job}`, '-n', 'cron-e2e']), /hello from cron/);
    const annotation = await ok(['get', 'job', job, '-n', 'cron-e2e', '-o', 'jsonpath={.metadata.annotations.batch\\.kubernetes\\.io/cronjob-scheduled-timestamp}']);
    assert.equal(Date.parse(annotation), minute * 60_000);
    const last = await waitFor(async () => (await ok(['get', 'cronjob', 'hello', '-n', 'cron-e2e', '-o', 'jsonpath={.status.lastSuccessfulTime}'])).trim(), { what: 'lastSuccessfulTime', timeoutMs: 75_000, intervalMs: 1000 });
    assert.ok(Date.parse(last) > 0);
  });
});
