// Integration: a real Floe and Kubelet running Pods as real processes: phases, restarts, signals, memory, env, volumes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { waitFor } from '../../test/helpers/wait.js';
import { nodeCommand, podManifest, startHarness, type Harness } from '../../test/helpers/kubelet-harness.js';
import { groupHasMembers, isAlive } from './proc.js';
import { NodeRef, PodRef, type Node, type Pod } from './types.js';

async function logText(h: Harness, ns: string, name: string, container?: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.kubelet.logs(ns, name, container ? { container } : {})) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function pod(h: Harness, ns: string, name: string): Promise<Pod> {
  return h.client.get<Pod>(PodRef, name, ns);
}

async function until(h: Harness, ns: string, name: string, what: string, check: (p: Pod) => boolean, timeoutMs = 15_000): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await waitFor(async () => {
      last = await pod(h, ns, name);
      return check(last) ? last : undefined;
    }, { timeoutMs, what });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

async function gone(h: Harness, ns: string, name: string): Promise<boolean> {
  try {
    await pod(h, ns, name);
    return false;
  } catch (err) {
    if (err instanceof FloeError && err.reason === 'NotFound') return true;
    throw err;
  }
}

async function events(h: Harness, ns: string, podName: string): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await h.client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
  return list.items
    .filter((e: KubeObject) => (e.involvedObject as { name?: string }).name === podName)
    .map((e) => ({ reason: String(e.reason), message: String(e.message), type: String(e.type) }));
}

function pidOf(p: Pod, container = 'main'): number {
  const id = p.status?.containerStatuses?.find((c) => c.name === container)?.containerID ?? '';
  return Number(id.replace('floe://', ''));
}

/** Whether any live (non-zombie) process remains in the group. */
function groupAlive(pgid: number): boolean {
  return groupHasMembers(pgid);
}

describe('local runtime', () => {
  let h: Harness;
  let scratch: string;

  before(async () => {
    h = await startHarness();
    scratch = mkdtempSync(join(tmpdir(), 'floe-runtime-scratch-'));
  });

  after(async () => {
    await h.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('registers a Ready node with capacity, labels and kubelet version', async () => {
    const node = await h.client.get<Node>(NodeRef, 'floe-test');
    assert.equal(node.status?.capacity?.cpu, '4');
    assert.equal(node.status?.capacity?.memory, '8Gi');
    assert.equal(node.status?.capacity?.pods, '110');
    assert.equal(node.status?.capacity?.['nvidia.com/gpu'], '0');
    assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'floe-test');
    assert.equal(node.metadata.labels?.['node-role.kubernetes.io/control-plane'], '');
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal((node.status?.nodeInfo as { kubeletVersion?: string }).kubeletVersion, 'v1.32.0-floe');
    const first = ready?.lastHeartbeatTime;
    await waitFor(async () => (await h.client.get<Node>(NodeRef, 'floe-test')).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime !== first, { timeoutMs: 5000, what: 'a heartbeat' });
  });

  test('exit 0 → Succeeded with a Completed container', async () => {
    const ns = await h.namespace('ok');
    await h.client.create(podManifest(ns, 'ok', [{ command: nodeCommand('console.log("hello from a pod")') }], { restartPolicy: 'Never' }));
    const p = await until(h, ns, 'ok', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const cs = p.status?.containerStatuses?.[0];
    assert.equal(cs?.state.terminated?.exitCode, 0);
    assert.equal(cs?.state.terminated?.reason, 'Completed');
    assert.equal(p.status?.podIP, '127.0.0.1');
    assert.equal(p.status?.hostIP, '127.0.0.1');
    assert.ok(p.status?.startTime);
    assert.equal(p.spec.nodeName, 'floe-test');
    assert.deepEqual(
      p.status?.conditions?.filter((c) => ['PodScheduled', 'Initialized', 'Ready'].includes(c.type)).map((c) => [c.type, c.status, c.reason ?? '']),
      [['Initialized', 'True', ''], ['Ready', 'False', 'PodCompleted'], ['PodScheduled', 'True', '']],
    );
    assert.equal(await logText(h, ns, 'ok'), 'hello from a pod\n');
    const reasons = (await events(h, ns, 'ok')).map((e) => e.reason);
    for (const r of ['Scheduled', 'Created', 'Started']) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(',')}`);
  });

  test('exit 1 with restartPolicy Never → Failed with an Error container', async () => {
    const ns = await h.namespace('fail');
    await h.client.create(podManifest(ns, 'fail', [{ command: nodeCommand('process.exit(1)') }], { restartPolicy: 'Never' }));
    const p = await until(h, ns, 'fail', 'Failed', (p) => p.status?.phase === 'Failed');
    const t = p.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(t?.exitCode, 1);
    assert.equal(t?.reason, 'Error');
    assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 0);
  });

  test('exit 1 with OnFailure restarts with a growing restartCount and CrashLoopBackOff', async () => {
    const ns = await h.namespace('crash');
    await h.client.create(podManifest(ns, 'crash', [{ command: nodeCommand('console.log("attempt"); process.exit(3)') }], { restartPolicy: 'OnFailure' }));
    const looping = await until(h, ns, 'crash', 'CrashLoopBackOff', (p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff');
    assert.equal(looping.status?.phase, 'Running');
    assert.equal(looping.status?.containerStatuses?.[0]?.lastState.terminated?.exitCode, 3);
    await until(h, ns, 'crash', 'restartCount >= 3', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3);
    await waitFor(async () => (await events(h, ns, 'crash')).some((e) => e.reason === 'BackOff' && e.type === 'Warning'), { what: 'a BackOff event' });
  });

  test('OnFailure stops after a successful run', async () => {
    const marker = join(scratch, 'second-run');
    const script = `const fs = require("fs"); if (fs.existsSync(${JSON.stringify(marker)})) process.exit(0); fs.writeFileSync(${JSON.stringify(marker)}, "x"); process.exit(2);`;
    const ns = await h.namespace('recover');
    await h.client.create(podManifest(ns, 'recover', [{ command: nodeCommand(script) }], { restartPolicy: 'OnFailure' }));
    const p = await until(h, ns, 'recover', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    assert.equal(p.status?.containerStatuses?.[0]?.restartCount, 1);
  });

  test('deleting a running Pod sends SIGTERM to its process, then the Pod is gone', async () => {
    const marker = join(scratch, 'sigterm');
    const script = `process.on("SIGTERM", () => { require("fs").writeFileSync(${JSON.stringify(marker)}, "got SIGTERM"); process.exit(0); }); setInterval(() => {}, 1000); console.log("up");`;
    const ns = await h.namespace('term');
    await h.client.create(podManifest(ns, 'term', [{ command: nodeCommand(script) }], { terminationGracePeriodSeconds: 30 }));
    const running = await until(h, ns, 'term', 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
    await waitFor(async () => (await logText(h, ns, 'term')).includes('up'), { what: 'the process to be up' });
    const pgid = pidOf(running);
    assert.ok(groupAlive(pgid));
    await h.client.delete(PodRef, 'term', ns);
    await waitFor(() => gone(h, ns, 'term'), { what: 'the pod to be gone' });
    assert.equal(readFileSync(marker, 'utf8'), 'got SIGTERM');
    await waitFor(() => !groupAlive(pgid), { what: 'the process group to be gone' });
    assert.ok((await events(h, ns, 'term')).some((e) => e.reason === 'Killing'));
  });

  test('a process that ignores SIGTERM is killed after the grace period', async () => {
    const script = 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); setInterval(() => {}, 1000); console.log("up");';
    const ns = await h.namespace('stubborn');
    await h.client.create(podManifest(ns, 'stubborn', [{ command: nodeCommand(script) }], { terminationGracePeriodSeconds: 1 }));
    const running = await until(h, ns, 'stubborn', 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
    await waitFor(async () => (await logText(h, ns, 'stubborn')).includes('up'), { what: 'the process to be up' });
    const pgid = pidOf(running);
    await h.client.delete(PodRef, 'stubborn', ns);
    const terminating = await pod(h, ns, 'stubborn');
    assert.ok(terminating.metadata.deletionTimestamp, 'a running pod is deleted gracefully');
    await waitFor(async () => (await logText(h, ns, 'stubborn').catch(() => '')).includes('ignoring SIGTERM'), { what: 'the process to see SIGTERM' });
    assert.ok(groupAlive(pgid), 'still alive within the grace period');
    await waitFor(() => gone(h, ns, 'stubborn'), { what: 'the pod to be gone' });
    await waitFor(() => !groupAlive(pgid), { what: 'the process group to be gone' });
  });

  test('exceeding the memory limit → OOMKilled', async () => {
    const script = 'const b = Buffer.alloc(256 * 1024 * 1024, 1); console.log("allocated", b.length); setInterval(() => {}, 1000);';
    const ns = await h.namespace('oom');
    await h.client.create(podManifest(ns, 'oom', [{ command: nodeCommand(script), resources: { limits: { memory: '128Mi' } } }], { restartPolicy: 'Never' }));
    const p = await until(h, ns, 'oom', 'Failed', (p) => p.status?.phase === 'Failed');
    const t = p.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(t?.reason, 'OOMKilled');
    assert.equal(t?.exitCode, 137);
  });

  test('env from fieldRef, ConfigMap, Secret and envFrom with a prefix; no GPUs means CUDA_VISIBLE_DEVICES is empty', async () => {
    const ns = await h.namespace('env');
    await h.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { mode: 'fast', level: '3' } });
    await h.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, data: { token: Buffer.from('s3cr3t').toString('base64') } });
    const env = [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
      { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'absent', optional: true } } },
      { name: 'GREETING', value: 'mode is $(MODE)' },
    ];
    const envFrom = [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }];
    await h.client.create(podManifest(ns, 'env', [{ command: nodeCommand('console.log(JSON.stringify(process.env))'), env, envFrom }], { restartPolicy: 'Never' }, { labels: { app: 'demo' } }));
    const p = await until(h, ns, 'env', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const seen = JSON.parse(await logText(h, ns, 'env')) as Record<string, string>;
    assert.equal(seen.POD_NAME, 'env');
    assert.equal(seen.POD_NAMESPACE, ns);
    assert.equal(seen.POD_UID, p.metadata.uid);
    assert.equal(seen.APP, 'demo');
    assert.equal(seen.POD_IP, '127.0.0.1');
    assert.equal(seen.NODE, 'floe-test');
    assert.equal(seen.MODE, 'fast');
    assert.equal(seen.TOKEN, 's3cr3t');
    assert.equal(seen.MAYBE, undefined);
    assert.equal(seen.GREETING, 'mode is fast');
    assert.equal(seen.CFG_mode, 'fast');
    assert.equal(seen.CFG_level, '3');
    assert.equal(seen.CUDA_VISIBLE_DEVICES, '');
    assert.equal(seen.HOSTNAME, 'env');
  });

  test('a missing ConfigMap holds the container in CreateContainerConfigError until it exists', async () => {
    const ns = await h.namespace('late');
    const env = [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'later', key: 'v' } } }];
    await h.client.create(podManifest(ns, 'late', [{ command: nodeCommand('console.log(process.env.V)'), env }], { restartPolicy: 'Never' }));
    const waiting = await until(h, ns, 'late', 'CreateContainerConfigError', (p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerConfigError');
    assert.equal(waiting.status?.containerStatuses?.[0]?.state.waiting?.message, 'configmap "later" not found');
    assert.equal(waiting.status?.phase, 'Pending');
    await h.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: ns }, data: { v: 'arrived' } });
    await until(h, ns, 'late', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    assert.equal(await logText(h, ns, 'late'), 'arrived\n');
  });

  test('init containers run in order before containers; ConfigMap volumes and emptyDirs are directories', async () => {
    const ns = await h.namespace('init');
    await h.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'files', namespace: ns }, data: { 'app.conf': 'answer=42\n', other: 'x' } });
    const append = (text: string): string[] => nodeCommand(`require("fs").appendFileSync("/work/order.txt", ${JSON.stringify(text)})`);
    const volumes = [
      { name: 'work', emptyDir: {} },
      { name: 'config', configMap: { name: 'files', items: [{ key: 'app.conf', path: 'conf/app.conf' }] } },
    ];
    const workMount = [{ name: 'work', mountPath: '/work' }];
    const main = {
      command: ['sh', '-c', 'cat /work/order.txt; echo; cat /etc/app/conf/app.conf; test -e /etc/app/other || echo "no other"; echo "$FLOE_VOLUME_CONFIG" "$DATA"'],
      volumeMounts: [...workMount, { name: 'config', mountPath: '/etc/app' }],
      env: [{ name: 'DATA', value: '/work/order.txt' }],
    };
    await h.client.create(
      podManifest(ns, 'init', [main], {
        restartPolicy: 'Never',
        volumes,
        initContainers: [
          { name: 'first', image: 'node:20', command: append('a'), volumeMounts: workMount },
          { name: 'second', image: 'node:20', command: append('b'), volumeMounts: workMount },
        ],
      }),
    );
    const p = await until(h, ns, 'init', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    assert.deepEqual(p.status?.initContainerStatuses?.map((s) => [s.name, s.state.terminated?.reason]), [['first', 'Completed'], ['second', 'Completed']]);
    const lines = (await logText(h, ns, 'init')).split('\n');
    assert.equal(lines[0], 'ab');
    assert.equal(lines[1], 'answer=42');
    assert.equal(lines[2], 'no other');
    const [configDir, data] = (lines[3] ?? '').split(' ');
    assert.equal(configDir, join(h.config.dataDir, 'pods', p.metadata.uid ?? '', 'volumes', 'config'));
    assert.equal(data, join(h.config.dataDir, 'pods', p.metadata.uid ?? '', 'volumes', 'work', 'order.txt'), 'env values have mount paths mapped');
  });

  test('a failing init container with Never fails the Pod and containers never start', async () => {
    const ns = await h.namespace('initfail');
    await h.client.create(podManifest(ns, 'initfail', [{ command: nodeCommand('console.log("should not run")') }], { restartPolicy: 'Never', initContainers: [{ name: 'boom', image: 'node:20', command: nodeCommand('process.exit(4)') }] }));
    const p = await until(h, ns, 'initfail', 'Failed', (p) => p.status?.phase === 'Failed');
    assert.equal(p.status?.initContainerStatuses?.[0]?.state.terminated?.exitCode, 4);
    assert.equal(p.status?.containerStatuses?.[0]?.state.waiting?.reason, 'PodInitializing');
  });

  test('persistentVolumeClaim volumes live under <dataDir>/volumes/<namespace>/<claim> and outlive the Pod', async () => {
    const ns = await h.namespace('pvc');
    await h.client.create(
      podManifest(ns, 'writer', [{ command: ['sh', '-c', 'echo kept > /data/file'], volumeMounts: [{ name: 'store', mountPath: '/data' }] }], {
        restartPolicy: 'Never',
        volumes: [{ name: 'store', persistentVolumeClaim: { claimName: 'claim' } }],
      }),
    );
    await until(h, ns, 'writer', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    await h.client.delete(PodRef, 'writer', ns);
    await waitFor(() => gone(h, ns, 'writer'), { what: 'the pod to be gone' });
    assert.equal(readFileSync(join(h.config.dataDir, 'volumes', ns, 'claim', 'file'), 'utf8'), 'kept\n');
  });

  test('a container without a command waits with CreateContainerError and a plain Warning event', async () => {
    const ns = await h.namespace('nocmd');
    const manifest = podManifest(ns, 'nocmd', [{ command: [] }]);
    delete manifest.spec.containers[0]!.command;
    await h.client.create(manifest);
    const p = await until(h, ns, 'nocmd', 'CreateContainerError', (p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CreateContainerError');
    assert.match(p.status?.containerStatuses?.[0]?.state.waiting?.message ?? '', /cannot run the entrypoint of image "node:20"; set command/);
    await waitFor(async () => (await events(h, ns, 'nocmd')).some((e) => e.type === 'Warning' && e.reason === 'Failed' && e.message.includes('has no command')), { what: 'a Warning event' });
  });

  test('a command that does not exist terminates with StartError', async () => {
    const ns = await h.namespace('nobin');
    await h.client.create(podManifest(ns, 'nobin', [{ command: ['floe-no-such-binary'] }], { restartPolicy: 'Never' }));
    const p = await until(h, ns, 'nobin', 'Failed', (p) => p.status?.phase === 'Failed');
    const t = p.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(t?.reason, 'StartError');
    assert.equal(t?.exitCode, 128);
    assert.match(t?.message ?? '', /executable file not found in \$PATH/);
  });

  test('deleting a Pod removes its state folder and leaves no process', async () => {
    const ns = await h.namespace('cleanup');
    await h.client.create(podManifest(ns, 'sleeper', [{ command: ['sleep', '300'] }], { terminationGracePeriodSeconds: 2 }));
    const p = await until(h, ns, 'sleeper', 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
    const dir = join(h.config.dataDir, 'pods', p.metadata.uid ?? '');
    assert.ok(existsSync(dir));
    const pgid = pidOf(p);
    assert.ok(isAlive(pgid, undefined));
    await h.client.delete(PodRef, 'sleeper', ns);
    await waitFor(() => gone(h, ns, 'sleeper'), { what: 'the pod to be gone' });
    await waitFor(() => !existsSync(dir), { what: 'the state folder to be removed' });
    await waitFor(() => !groupAlive(pgid), { what: 'the process group to be gone' });
  });
});

describe('GPUs', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ config: { gpus: 2 } });
  });

  after(async () => {
    await h.stop();
  });

  test('each GPU Pod gets its own CUDA_VISIBLE_DEVICES, and a Pod wanting more than is free waits', async () => {
    const ns = await h.namespace('gpu');
    const node = await h.client.get<Node>(NodeRef, 'floe-test');
    assert.equal(node.status?.capacity?.['nvidia.com/gpu'], '2');
    const gpuPod = (name: string, count: number): Pod =>
      podManifest(ns, name, [{ command: ['sh', '-c', 'echo "gpus=$CUDA_VISIBLE_DEVICES"; sleep 300'], resources: { limits: { 'nvidia.com/gpu': String(count) } } }], { terminationGracePeriodSeconds: 1 });
    await h.client.create(gpuPod('a', 1));
    await h.client.create(gpuPod('b', 1));
    const seen = new Set<string>();
    for (const name of ['a', 'b']) {
      await until(h, ns, name, 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
      seen.add(await waitFor(async () => /gpus=(\S*)/.exec(await logText(h, ns, name))?.[1], { what: `${name} to print its GPUs` }));
    }
    assert.deepEqual([...seen].sort(), ['0', '1']);
    await h.client.create(gpuPod('c', 1));
    await until(h, ns, 'c', 'Unschedulable', (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.message === '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.') ?? false);
    await h.client.delete(PodRef, 'a', ns);
    await until(h, ns, 'c', 'Running', (p) => p.status?.containerStatuses?.[0]?.state.running !== undefined);
    const cGpu = await waitFor(async () => /gpus=(\S+)/.exec(await logText(h, ns, 'c'))?.[1], { what: 'c to print its GPU' });
    const bGpu = /gpus=(\S+)/.exec(await logText(h, ns, 'b'))?.[1];
    assert.notEqual(cGpu, bGpu, 'the freed GPU, not the one b holds');
  });
});
