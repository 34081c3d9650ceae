// The real kubectl drives Deployments on a running `floe up`: create, rollout status/history/undo/restart,
// pause/resume, scale, and an HPA that scales a Deployment up under CPU load read from metrics.k8s.io and back down.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlOk, removeDir, type RunningFloe, startFloeProcess, waitFor } from './harness.js';

let floe: RunningFloe;
before(async () => { floe = await startFloeProcess(); });
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(floe, args, input);

const json = async <T = Record<string, unknown>>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '-o', 'json'])) as T;

interface Rs { metadata: { name: string; annotations?: Record<string, string> }; spec: { replicas: number }; status?: { replicas?: number } }

describe('Deployments with kubectl', () => {
  const ns = 'shop';
  before(async () => { await ok(['create', 'namespace', ns]); });

  test('create deployment --replicas=3, rollout status, set image, history, undo, restart, pause/resume, scale', async () => {
    await ok(['-n', ns, 'create', 'deployment', 'web', '--image=busybox', '--replicas=3', '--', 'sleep', '3600']);
    const status = await ok(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s']);
    assert.match(status, /deployment "web" successfully rolled out/);
    const d1 = await json<{ metadata: { annotations: Record<string, string> }; status: { readyReplicas: number; availableReplicas: number } }>(['-n', ns, 'get', 'deployment', 'web']);
    assert.equal(d1.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.equal(d1.status.availableReplicas, 3);
    const pods = await ok(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}']);
    assert.equal(pods.trim().split('\n').filter((l) => / Running$/.test(l)).length, 3, pods);
    const rs1 = (await json<{ items: Rs[] }>(['-n', ns, 'get', 'rs', '-l', 'app=web'])).items;
    assert.equal(rs1.length, 1);
    assert.match(rs1[0]!.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);

    // A new image: a second ReplicaSet, revision 2; the change cause shows in history.
    await ok(['-n', ns, 'set', 'image', 'deployment/web', 'busybox=busybox:1.36']);
    await ok(['-n', ns, 'annotate', 'deployment/web', 'kubernetes.io/change-cause=image 1.36']);
    assert.match(await ok(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s']), /successfully rolled out/);
    const history = await ok(['-n', ns, 'rollout', 'history', 'deployment/web']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE/);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+image 1\.36$/m);
    const rev2 = await ok(['-n', ns, 'rollout', 'history', 'deployment/web', '--revision=2']);
    assert.match(rev2, /Image:\s+busybox:1\.36/);

    // undo: kubectl patches the template back from revision 1's ReplicaSet; the controller makes it revision 3.
    assert.match(await ok(['-n', ns, 'rollout', 'undo', 'deployment/web']), /deployment.apps\/web rolled back/);
    assert.match(await ok(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s']), /successfully rolled out/);
    const image = await ok(['-n', ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}']);
    assert.equal(image, 'busybox 3');
    const afterUndo = await ok(['-n', ns, 'rollout', 'history', 'deployment/web']);
    assert.match(afterUndo, /^2\s+image 1\.36$/m);
    assert.match(afterUndo, /^3\s+/m);
    assert.doesNotMatch(afterUndo, /^1\s+/m);
    const undoAgain = await kubectl(floe, ['-n', ns, 'rollout', 'undo', 'deployment/web', '--to-revision=7']);
    assert.notEqual(undoAgain.code, 0);
    assert.match(undoAgain.stderr, /unable to find specified revision 7 in history/);

    // restart: a restartedAt annotation in the template rolls every Pod.
    const before = new Set((await ok(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n'));
    assert.match(await ok(['-n', ns, 'rollout', 'restart', 'deployment/web']), /restarted/);
    assert.match(await ok(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s']), /successfully rolled out/);
    const restarted = await ok(['-n', ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}']);
    assert.match(restarted, /^\d{4}-\d\d-\d\dT/);
    const afterRestart = await waitFor(async () => {
      const names = (await ok(['-n', ns, 'get', 'pods', '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'name'])).trim().split('\n').filter(Boolean);
      return names.length === 3 && names.every((n) => !before.has(n)) ? names : undefined;
    }, { what: 'three new Pods', timeoutMs: 120_000 });
    assert.equal(afterRestart.length, 3);

    // pause: a template change waits; restart is refused; resume rolls it out.
    await ok(['-n', ns, 'rollout', 'pause', 'deployment/web']);
    await ok(['-n', ns, 'set', 'env', 'deployment/web', 'COLOUR=blue']);
    const refused = await kubectl(floe, ['-n', ns, 'rollout', 'restart', 'deployment/web']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /can't restart paused deployment \(run rollout resume first\)/);
    await waitFor(async () => (await json<{ status: { conditions: { type: string; reason: string }[] } }>(['-n', ns, 'get', 'deployment', 'web'])).status.conditions.some((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused'), { what: 'DeploymentPaused' });
    const rsPaused = (await json<{ items: Rs[] }>(['-n', ns, 'get', 'rs', '-l', 'app=web'])).items.length;
    await ok(['-n', ns, 'rollout', 'resume', 'deployment/web']);
    assert.match(await ok(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=120s']), /successfully rolled out/);
    assert.equal((await json<{ items: Rs[] }>(['-n', ns, 'get', 'rs', '-l', 'app=web'])).items.length, rsPaused + 1);

    // scale through the scale subresource.
    assert.match(await ok(['-n', ns, 'scale', 'deployment/web', '--replicas=1']), /scaled/);
    await waitFor(async () => (await ok(['-n', ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.status.replicas}/{.status.availableReplicas}'])) === '1/1', { what: 'one replica', timeoutMs: 120_000 });
    const ready = await ok(['-n', ns, 'get', 'deployment', 'web']);
    assert.match(ready, /^web\s+1\/1\s+1\s+1\s+/m);
  });

  test('an HPA scales a busy Deployment up from metrics.k8s.io and back down when the load stops', async () => {
    const flagDir = mkdtempSync(join(tmpdir(), 'floe-hpa-'));
    const stop = join(flagDir, 'stop');
    try {
      const manifest = {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'burn', namespace: ns },
        spec: {
          replicas: 1, selector: { matchLabels: { app: 'burn' } },
          template: {
            metadata: { labels: { app: 'burn' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'burn', image: 'busybox', command: ['sh', '-c', `while [ ! -e ${stop} ]; do :; done; exec sleep 3600`], resources: { requests: { cpu: '100m' } } }],
            },
          },
        },
      };
      await ok(['apply', '-f', '-'], JSON.stringify(manifest));
      await ok(['-n', ns, 'rollout', 'status', 'deployment/burn', '--timeout=120s']);
      const hpa = {
        apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'burn', namespace: ns },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burn' }, minReplicas: 1, maxReplicas: 2,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 5 } },
        },
      };
      await ok(['apply', '-f', '-'], JSON.stringify(hpa));
      const up = await waitFor(async () => {
        const h = await json<{ status?: { desiredReplicas?: number; currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[]; conditions?: { type: string; status: string; reason: string }[] } }>(['-n', ns, 'get', 'hpa', 'burn']);
        return h.status?.desiredReplicas === 2 ? h : undefined;
      }, { what: 'the HPA to ask for 2 replicas', timeoutMs: 180_000 });
      assert.ok((up.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization ?? 0) > 50, JSON.stringify(up.status));
      assert.equal(up.status?.conditions?.find((c) => c.type === 'ScalingActive')?.reason, 'ValidMetricFound');
      await waitFor(async () => (await ok(['-n', ns, 'get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}'])) === '2', { what: 'the Deployment at 2', timeoutMs: 60_000 });
      const events = await ok(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
      assert.match(events, /SuccessfulRescale: New size: 2; reason: cpu resource utilization \(percentage of request\) above target/);
      const described = await ok(['-n', ns, 'describe', 'hpa', 'burn']);
      assert.match(described, /ScalingActive\s+True\s+ValidMetricFound/);

      // The load stops: utilization falls, and after the 5 s window the HPA goes back to 1.
      writeFileSync(stop, '');
      await waitFor(async () => (await ok(['-n', ns, 'get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}'])) === '1', { what: 'the Deployment back at 1', timeoutMs: 240_000 });
      const down = await ok(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
      assert.match(down, /SuccessfulRescale: New size: 1; reason: All metrics below target/);
    } finally {
      if (!existsSync(stop)) writeFileSync(stop, '');
      removeDir(flagDir);
    }
  });
});
