// Integration: Pods whose image is in Floe's image store run in OCI containers (real runc, a real busybox image):
// the image's own code, logs, exit codes, restarts, isolation, securityContext, limits, volumes, Services, re-adoption
// after a kill -9 of Floe, deletion, and a batch/v1 Job through the real controllers.
/* eslint-disable no-restricted-imports -- the Job test is a composition root: it starts the server with its controllers */
import type { KubeObject } from '../api/meta.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../client/client.js';
import { JobRef, type Job } from '../controllers/batch/job-controller.js';
import { defaultConfig } from '../server/config.js';
import { startFloe, type Floe } from '../server/floe.js';
import { createLogger } from '../server/logger.js';
import { containerSkipReason, defaultImageConfig, floeImageLoad, imageLayer, writeTestImage } from '../../test/helpers/container-image.js';
import { buildImage, pushBuiltImage } from '../images/image-builder.js';
import { isOverlayLower, mountTable, normalizeReference, overlayUnavailable, parseDockerConfig, RegistryClient } from '../images/index.js';
import { type Harness, killRecordedProcesses, podGone, podManifest, podRunning, startHarness } from '../../test/helpers/kubelet-harness.js';
import { waitFor } from '../../test/helpers/wait.js';
import { Cgroups, cgroupMembers } from './cgroups.js';
import { ContainerRuntime, PullError } from './container-runtime.js';
import { PodPaths, readContainerRecords } from './pod-state.js';
import { DefaultUsernsRoot } from './userns.js';
import { isAlive } from './proc.js';
import { EventRef, PodRef, ServiceRef, type Pod } from './types.js';
import { killCrashFixture, startCrashFixture } from '../../test/helpers/crash-fixture.js';

const skip = containerSkipReason();
if (skip) process.stderr.write(`[containers.test] skipped: ${skip}\n`);
const cgroups = Cgroups.detect();
const image = 'floe.test/hello:v1';
const mapped = 'floe.test/mapped:v1';

async function phase(client: Client, ns: string, name: string, want: string, timeoutMs = 20_000): Promise<Pod> {
  return waitFor(async () => {
    const p = await client.get<Pod>(PodRef, name, ns);
    return p.status?.phase === want ? p : undefined;
  }, { what: `${name} to be ${want}`, timeoutMs });
}



async function logText(h: Harness, ns: string, name: string, container?: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.kubelet.logs(ns, name, container ? { container } : {})) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function logContains(h: Harness, ns: string, name: string, text: string | RegExp, container?: string): Promise<string> {
  return waitFor(async () => {
    const log = await logText(h, ns, name, container).catch(() => '');
    return (typeof text === 'string' ? log.includes(text) : text.test(log)) ? log : undefined;
  }, { what: `${name}'s log to show ${String(text)}`, timeoutMs: 20_000 });
}

/** The current run's record of a Pod's container (its runc id and cgroups). */
function runOf(dataDir: string, pod: Pod, container = 'main'): { containerId?: string; cgroups?: string[]; pid?: number } | undefined {
  return readContainerRecords(new PodPaths({ dataDir, uid: pod.metadata.uid ?? '' })).get(container)?.running;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Folders named after a Pod's uid under any cgroup mount (`…/floe/<uid>`). */
function podCgroupDirs(uid: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 6) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name === uid) out.push(join(dir, name));
      else if (name === 'floe' || depth < 4) walk(join(dir, name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out;
}

function pidOf(p: Pod): number {
  return Number((p.status?.containerStatuses?.[0]?.containerID ?? '').replace('floe://', ''));
}

describe('container Pods (runc)', { skip }, () => {
  let h: Harness;
  let scratch: string;

  before(async () => {
    // One image the image table maps to a local environment, as the framework images are.
    h = await startHarness({ config: { podPidsLimit: 64, images: [{ pattern: 'floe.test/mapped:*', run: { env: { MAPPED: 'yes' } } }] } });
    scratch = mkdtempSync(join(tmpdir(), 'floe-containers-'));
    await writeTestImage(join(scratch, 'layout'), image);
    floeImageLoad(h.config.dataDir, join(scratch, 'layout'));
    await writeTestImage(join(scratch, 'mapped'), mapped);
    floeImageLoad(h.config.dataDir, join(scratch, 'mapped'));
  });

  after(async () => {
    await h.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the image's own entrypoint runs; command and args replace it; logs, exit codes and restarts as for processes", async () => {
    const ns = await h.namespace('ctr-run');
    const noCommand = podManifest(ns, 'entry', [{ image, command: [] }], { restartPolicy: 'Never' });
    delete (noCommand.spec.containers[0] as { command?: string[] }).command;
    await h.client.create(noCommand);
    await h.client.create(podManifest(ns, 'args', [{ image, command: undefined as unknown as string[], args: ['one', 'two'], env: [{ name: 'GREETING', value: 'pod-env' }] }], { restartPolicy: 'Never' }));
    await h.client.create(podManifest(ns, 'cmd', [{ image, command: ['/bin/sh', '-c', 'echo "cmd $0 in $(cat /etc/hostname)"; exit 3', '$(WHO)'], env: [{ name: 'WHO', value: 'expanded' }] }], { restartPolicy: 'OnFailure' }));

    const entry = await phase(h.client, ns, 'entry', 'Succeeded');
    assert.equal(entry.status?.containerStatuses?.[0]?.state.terminated?.exitCode, 0);
    const entryLog = await logText(h, ns, 'entry');
    assert.match(entryLog, /hello from the image: greeting=image-env uid=0 gid=0 cwd=\/app host=entry args=from-cmd/);
    assert.ok(runOf(h.config.dataDir, entry) === undefined, 'the run is over');

    await phase(h.client, ns, 'args', 'Succeeded');
    assert.match(await logText(h, ns, 'args'), /greeting=pod-env .* args=one two/, 'args replace Cmd, the Pod env overrides the image env');

    const restarted = await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'cmd', ns);
      const cs = p.status?.containerStatuses?.[0];
      return (cs?.restartCount ?? 0) >= 1 && cs?.lastState.terminated?.exitCode === 3 ? p : undefined;
    }, { what: 'cmd to be restarted after exit 3', timeoutMs: 20_000 });
    assert.equal(restarted.status?.containerStatuses?.[0]?.lastState.terminated?.reason, 'Error');
    await logContains(h, ns, 'cmd', 'cmd expanded in cmd');

    const events = (await h.client.list(EventRef, { namespace: ns })).items as unknown as { reason?: string; message?: string }[];
    assert.ok(events.some((e) => e.reason === 'Pulled' && e.message === `Container image "${image}" already present on machine`), 'a Pulled event');
    await h.client.delete(PodRef, 'cmd', ns);
  });

  test('a command missing from the image ends at once with StartError, exit 128', async () => {
    const ns = await h.namespace('ctr-missing');
    await h.client.create(podManifest(ns, 'missing', [{ image, command: ['train.py'] }], { restartPolicy: 'Never' }));
    const p = await phase(h.client, ns, 'missing', 'Failed');
    const t = p.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(t?.exitCode, 128);
    assert.equal(t?.reason, 'StartError');
    assert.match(t?.message ?? '', /"train.py": executable file not found in \$PATH/);
  });

  test("termination messages: /dev/termination-log, a terminationMessagePath of the Pod's, FallbackToLogsOnError, and a non-root user's", async () => {
    const ns = await h.namespace('ctr-message');
    await h.client.create(podManifest(ns, 'default-path', [{ image, command: ['sh', '-c', 'printf "model file missing" > /dev/termination-log; exit 2'] }], { restartPolicy: 'Never' }));
    await h.client.create(podManifest(ns, 'own-path', [{ image, command: ['sh', '-c', 'mkdir -p /var/run/app; echo "done: 42 rows" > /var/run/app/summary'], terminationMessagePath: '/var/run/app/summary' }], { restartPolicy: 'Never' }));
    await h.client.create(podManifest(ns, 'from-logs', [{ image, command: ['sh', '-c', 'for i in $(seq 1 100); do echo "line $i"; done; exit 1'], terminationMessagePolicy: 'FallbackToLogsOnError' }], { restartPolicy: 'Never' }));
    await h.client.create(podManifest(ns, 'non-root', [{ image, command: ['sh', '-c', 'echo "written as $(id -u)" > /dev/termination-log; exit 1'] }], { restartPolicy: 'Never', securityContext: { runAsUser: 1000 } } as never));
    await h.client.create(podManifest(ns, 'silent', [{ image, command: ['sh', '-c', 'echo to the log only; exit 1'] }], { restartPolicy: 'Never' }));
    const message = async (name: string, want: string): Promise<string | undefined> => (await phase(h.client, ns, name, want)).status?.containerStatuses?.[0]?.state.terminated?.message;
    assert.equal(await message('default-path', 'Failed'), 'model file missing');
    assert.equal(await message('own-path', 'Succeeded'), 'done: 42 rows\n');
    const tail = (await message('from-logs', 'Failed')) ?? '';
    assert.ok(tail.startsWith('line 21\n') && tail.endsWith('line 100'), `the log's last 80 lines: ${tail.slice(0, 40)}…${tail.slice(-20)}`);
    assert.equal(await message('non-root', 'Failed'), 'written as 1000\n');
    assert.equal(await message('silent', 'Failed'), undefined, 'policy File: no message unless the container writes one');
    // On the host the file is the container user's own, 0600, in the run's stage (user namespace) or bundle.
    await h.client.create(podManifest(ns, 'running', [{ image, command: ['sleep', '600'] }], { restartPolicy: 'Never', terminationGracePeriodSeconds: 0 }));
    const running = await phase(h.client, ns, 'running', 'Running');
    const id = ContainerRuntime.containerId(running.metadata.uid ?? '', 'main', 0);
    const file = [join(DefaultUsernsRoot, id, 'termination-log'), join(h.config.dataDir, 'pods', running.metadata.uid ?? '', 'bundles', 'main.0', 'termination-log')].find((f) => existsSync(f));
    assert.ok(file, 'the termination message file is in the run\'s folder');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await h.client.delete(PodRef, 'running', ns);
  });

  test("isolation: no data dir, only its own processes, its own hostname, the Pod's /etc/hosts", async () => {
    const ns = await h.namespace('ctr-iso');
    await h.client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const db = join(h.dataDir, 'floe.db');
    assert.ok(existsSync(db), 'the data dir holds floe.db on the host');
    const script = [
      `cat ${db} >/dev/null 2>&1 && echo db=readable || echo db=unreadable`,
      `ls ${h.config.dataDir} >/dev/null 2>&1 && echo datadir=visible || echo datadir=hidden`,
      'echo procs=$(ls /proc | grep -c "^[0-9]")',
      'echo pid1=$(cat /proc/1/comm)',
      'echo hostname=$(hostname)',
      'grep -q "web.$NS.svc" /etc/hosts && echo hosts=web || echo hosts=none',
      'echo resolv=$(wc -l < /etc/resolv.conf)',
    ].join('; ');
    await h.client.create(podManifest(ns, 'iso', [{ image, command: ['sh', '-c', script], env: [{ name: 'NS', value: ns }] }], { restartPolicy: 'Never' }));
    await phase(h.client, ns, 'iso', 'Succeeded');
    const log = await logText(h, ns, 'iso');
    assert.match(log, /db=unreadable/);
    assert.match(log, /datadir=hidden/);
    // sh, ls and grep of the pipeline at most: no process of the host or of other Pods.
    const procs = Number(/procs=(\d+)/.exec(log)?.[1]);
    assert.ok(procs >= 1 && procs <= 4, `the container sees ${procs} processes`);
    assert.match(log, /pid1=sh/);
    assert.match(log, /hostname=iso/);
    assert.match(log, /hosts=web/);
  });

  test('securityContext: runAsNonRoot refuses a root image, runAsUser runs as that user, readOnlyRootFilesystem, capabilities', async () => {
    const ns = await h.namespace('ctr-sec');
    await h.client.create(podManifest(ns, 'root', [{ image, command: ['true'] }], { restartPolicy: 'Never', securityContext: { runAsNonRoot: true } }));
    const refused = await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'root', ns);
      const w = p.status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, { what: 'the root container to be refused' });
    assert.match(refused.message ?? '', /container has runAsNonRoot and image will run as root \(pod: "root_.*", container: main\)/);

    await h.client.create(podManifest(ns, 'user', [{ image, command: ['sh', '-c', 'echo uid=$(id -u) gid=$(id -g) groups="$(id -G)"; touch /tmp/ok && echo tmp=writable; touch /etc/x 2>/dev/null || echo etc=denied'] }], { restartPolicy: 'Never', securityContext: { runAsNonRoot: true, runAsUser: 1000, supplementalGroups: [4242] } }));
    await phase(h.client, ns, 'user', 'Succeeded');
    const user = await logText(h, ns, 'user');
    assert.match(user, /uid=1000 gid=1000 groups=1000 4242$/m);
    assert.match(user, /tmp=writable/);
    assert.match(user, /etc=denied/);

    await h.client.create(podManifest(ns, 'ro', [{ image, command: ['sh', '-c', 'touch /app/new 2>&1; echo rc=$?; echo shm > /dev/shm/x && echo shm=ok'], securityContext: { readOnlyRootFilesystem: true } }], { restartPolicy: 'Never' }));
    await phase(h.client, ns, 'ro', 'Succeeded');
    const ro = await logText(h, ns, 'ro');
    assert.match(ro, /Read-only file system/);
    assert.match(ro, /rc=1/);
    assert.match(ro, /shm=ok/);

    // CapEff of pid 1: the default set without NET_RAW; dropping ALL leaves none; NET_RAW comes back when added.
    const capsOf = async (name: string, capabilities: Record<string, string[]>): Promise<bigint> => {
      await h.client.create(podManifest(ns, name, [{ image, command: ['sh', '-c', 'grep CapEff /proc/1/status'], securityContext: { capabilities } }], { restartPolicy: 'Never' }));
      await phase(h.client, ns, name, 'Succeeded');
      return BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(await logText(h, ns, name))?.[1] ?? 'x'}`);
    };
    const netRaw = 1n << 13n;
    const sysAdmin = 1n << 21n;
    const chown = 1n << 0n;
    const defaults = await capsOf('caps', {});
    assert.equal(defaults & netRaw, 0n, 'no NET_RAW by default');
    assert.equal(defaults & sysAdmin, 0n, 'no SYS_ADMIN by default');
    assert.notEqual(defaults & chown, 0n, 'CHOWN by default');
    assert.equal(await capsOf('none', { drop: ['ALL'] }), 0n);
    assert.notEqual((await capsOf('raw', { add: ['NET_RAW'] })) & netRaw, 0n);
  });

  test('seccomp: RuntimeDefault filters by default and refuses unshare; Unconfined does not; a Localhost profile from the seccomp folder', async () => {
    const ns = await h.namespace('ctr-seccomp');
    const probe = 'grep Seccomp: /proc/self/status; unshare -U true 2>&1 && echo unshare=ok || echo unshare=refused';
    await h.client.create(podManifest(ns, 'default', [{ image, command: ['sh', '-c', probe] }], { restartPolicy: 'Never' }));
    await h.client.create(podManifest(ns, 'unconfined', [{ image, command: ['sh', '-c', probe], securityContext: { seccompProfile: { type: 'Unconfined' } } }], { restartPolicy: 'Never' }));
    // A Localhost profile that refuses mkdir with EACCES (13): the container sees exactly that.
    mkdirSync(join(h.config.dataDir, 'seccomp'), { recursive: true, mode: 0o700 });
    writeFileSync(join(h.config.dataDir, 'seccomp', 'no-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    await h.client.create(podManifest(ns, 'local', [{ image, command: ['sh', '-c', 'mkdir /tmp/d 2>&1; echo rc=$?'] }], { restartPolicy: 'Never', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'no-mkdir.json' } } }));
    await h.client.create(podManifest(ns, 'missing', [{ image, command: ['true'] }], { restartPolicy: 'Never', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'nowhere.json' } } }));
    await phase(h.client, ns, 'default', 'Succeeded');
    const confined = await logText(h, ns, 'default');
    assert.match(confined, /^Seccomp:\s+2$/m);
    assert.match(confined, /unshare=refused/);
    await phase(h.client, ns, 'unconfined', 'Succeeded');
    assert.match(await logText(h, ns, 'unconfined'), /^Seccomp:\s+0$/m);
    await phase(h.client, ns, 'local', 'Succeeded');
    assert.match(await logText(h, ns, 'local'), /Permission denied[\s\S]*rc=1/);
    const missing = await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'missing', ns);
      const w = p.status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerError' ? w : undefined;
    }, { what: 'the container with a missing profile to fail' });
    assert.match(missing.message ?? '', /failed to load seccomp profile .*nowhere\.json: no such file/);
  });

  test('volumes: an emptyDir shared by two containers, a ConfigMap, readOnly honoured, FLOE_VOLUME_* at the mount path', async () => {
    const ns = await h.namespace('ctr-vol');
    await h.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { 'lr.txt': '0.01\n' } });
    const writer = { name: 'writer', image, command: ['sh', '-c', 'echo from-writer > /shared/note; cat /config/lr.txt > /shared/lr; echo wrote; sleep 600'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'config', mountPath: '/config' }] };
    const reader = {
      name: 'reader',
      image,
      command: ['sh', '-c', 'while [ ! -s /data/lr ]; do sleep 0.1; done; echo "note=$(cat /data/note) lr=$(cat /data/lr) env=$FLOE_VOLUME_SHARED"; touch /data/x 2>/dev/null || echo shared=readonly; touch /config/x 2>/dev/null || echo config=readonly; sleep 600'],
      volumeMounts: [{ name: 'shared', mountPath: '/data', readOnly: true }, { name: 'config', mountPath: '/config' }],
    };
    const init = { name: 'init', image, command: ['sh', '-c', 'echo from-init > /shared/init'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] };
    await h.client.create(podManifest(ns, 'vols', [writer, reader], { terminationGracePeriodSeconds: 0, initContainers: [init], volumes: [{ name: 'shared', emptyDir: {} }, { name: 'config', configMap: { name: 'settings' } }] }));
    const log = await logContains(h, ns, 'vols', 'config=readonly', 'reader');
    assert.match(log, /note=from-writer lr=0.01 env=\/data/);
    assert.match(await logText(h, ns, 'vols', 'reader'), /note=/);
    const vols = await h.client.get<Pod>(PodRef, 'vols', ns);
    const initDir = join(new PodPaths({ dataDir: h.config.dataDir, uid: vols.metadata.uid ?? '' }).volumeDir('shared'), 'init');
    assert.equal(readFileSync(initDir, 'utf8'), 'from-init\n', 'the init container wrote into the emptyDir');
    assert.match(log, /shared=readonly/);
    await h.client.delete(PodRef, 'vols', ns);
    await waitFor(() => podGone(h.client, ns, 'vols'), { what: 'vols to be gone' });
  });

  test("a Service's address from the environment and its name reach a container Pod (the host's network)", async () => {
    const ns = await h.namespace('ctr-svc');
    await h.client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80, name: 'http' }] } });
    await waitFor(async () => (await h.client.get(ServiceRef, 'web', ns)).metadata.annotations?.['floe.dev/host-ports'], { what: 'the Service to get a host port' });
    const serve = 'mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:$WEB_SERVICE_PORT -h /tmp/www';
    await h.client.create(podManifest(ns, 'web', [{ image, command: ['sh', '-c', serve] }], { terminationGracePeriodSeconds: 0 }, { labels: { app: 'web' } }));
    await podRunning(h.client, ns, 'web', 20_000);
    const fetchBoth = 'for i in $(seq 50); do wget -qO- http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/ && break; sleep 0.2; done; wget -qO- "http://web.$NS.svc:$WEB_SERVICE_PORT_HTTP/" | sed s/^/by-name:/';
    await h.client.create(podManifest(ns, 'client', [{ image, command: ['sh', '-c', fetchBoth], env: [{ name: 'NS', value: ns }] }], { restartPolicy: 'Never' }));
    await phase(h.client, ns, 'client', 'Succeeded');
    const log = await logText(h, ns, 'client');
    assert.match(log, /^hello-from-web$/m);
    assert.match(log, /^by-name:hello-from-web$/m);
    await h.client.delete(PodRef, 'web', ns);
  });

  test('limits: limits.cpu holds a busy loop, the Pod pids limit stops a fork loop, limits.memory ends in OOMKilled', async (t) => {
    const ns = await h.namespace('ctr-limits');
    if (cgroups.status.cpu) {
      await h.client.create(podManifest(ns, 'spin', [{ image, command: ['sh', '-c', 'while :; do :; done'], resources: { limits: { cpu: '100m' } } }], { terminationGracePeriodSeconds: 0 }));
      const dirs = runOf(h.config.dataDir, await podRunning(h.client, ns, 'spin', 20_000))?.cgroups ?? [];
      const start = { cpu: cgroups.cpuSeconds(dirs) ?? 0, at: Date.now() };
      await sleep(3000);
      const used = (cgroups.cpuSeconds(dirs) ?? 0) - start.cpu;
      const ratio = used / ((Date.now() - start.at) / 1000);
      process.stderr.write(`[containers.test] limits.cpu 100m in a container: ${ratio.toFixed(3)} CPU/s\n`);
      assert.ok(used > 0, 'the loop ran, and its CPU time counts in the run cgroup');
      assert.ok(ratio <= 0.15, `a 100m container used ${ratio.toFixed(3)} CPU-seconds per second`);
      await h.client.delete(PodRef, 'spin', ns);
    } else t.diagnostic('no cpu controller: limits.cpu part skipped');
    if (cgroups.status.pids) {
      // pid 1 must outlive the fork failures: an inner shell forks until refused, then pid 1 execs (no fork needed).
      const bomb = "sh -c 'for i in $(seq 150); do sleep 600 & done'; echo forks-done; exec sleep 600";
      await h.client.create(podManifest(ns, 'bomb', [{ image, command: ['sh', '-c', bomb] }], { terminationGracePeriodSeconds: 0 }));
      const p = await podRunning(h.client, ns, 'bomb', 20_000);
      const log = await logContains(h, ns, 'bomb', 'forks-done');
      const members = cgroupMembers(runOf(h.config.dataDir, p)?.cgroups ?? []).length;
      process.stderr.write(`[containers.test] 150 forks in a container with podPidsLimit 64: ${members} processes\n`);
      assert.match(log, /can't fork|Resource temporarily unavailable/);
      assert.ok(members <= 64 && members >= 32, `${members} processes in the Pod`);
      await h.client.delete(PodRef, 'bomb', ns);
    } else t.diagnostic('no pids controller: the fork part skipped');
    if (cgroups.status.memory) {
      // The shell (pid 1) reads 80 MB into a variable under a 32 MiB limit: the kernel kills it.
      const hog = 'x=$(head -c 80000000 /dev/zero | tr "\\000" a); echo survived ${#x}';
      await h.client.create(podManifest(ns, 'hog', [{ image, command: ['sh', '-c', hog], resources: { limits: { memory: '32Mi' } } }], { restartPolicy: 'Never' }));
      const p = await phase(h.client, ns, 'hog', 'Failed');
      const term = p.status?.containerStatuses?.[0]?.state.terminated;
      assert.equal(term?.exitCode, 137, JSON.stringify(term));
      assert.equal(term?.reason, 'OOMKilled');
    } else t.diagnostic('no memory controller: the OOM part skipped');
  });

  test('deleting a running container Pod stops its processes and removes its runc state and bundle', async () => {
    const ns = await h.namespace('ctr-del');
    // pid 1 traps SIGTERM (runc passes it on) and leaves its own way: the Pod goes well before the 30 s grace period.
    await h.client.create(podManifest(ns, 'sleeper', [{ image, command: ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & sleep 600 & wait'] }], { terminationGracePeriodSeconds: 30 }));
    const p = await podRunning(h.client, ns, 'sleeper', 20_000);
    const run = runOf(h.config.dataDir, p);
    assert.ok(run?.containerId, 'the run is an OCI container');
    const state = join(h.config.dataDir, 'runc', run.containerId);
    await waitFor(() => existsSync(state), { what: 'runc state' });
    const members = await waitFor(() => {
      const m = cgroupMembers(run.cgroups ?? []).filter((pid) => ['sh', 'sleep'].includes(commOf(pid)));
      return m.length >= 3 ? m : undefined;
    }, { what: "the container's processes in its cgroup" });
    const deleted = Date.now();
    await h.client.delete(PodRef, 'sleeper', ns);
    await waitFor(() => podGone(h.client, ns, 'sleeper'), { what: 'sleeper to be gone', timeoutMs: 15_000 });
    assert.ok(Date.now() - deleted < 10_000, `the container stopped on SIGTERM (${Date.now() - deleted} ms)`);
    await waitFor(() => members.every((pid) => !isAlive(pid, undefined)), { what: "the container's processes to stop" });
    await waitFor(() => !existsSync(state), { what: 'runc state to be removed' });
    await waitFor(() => !existsSync(new PodPaths({ dataDir: h.config.dataDir, uid: p.metadata.uid ?? '' }).root), { what: 'the bundle to go with the Pod' });
    // runc made the container's cgroup in every hierarchy, Floe's limits only some: none of the Pod's is left anywhere.
    await waitFor(() => podCgroupDirs(p.metadata.uid ?? '').length === 0, { what: "the Pod's cgroups to be removed in every hierarchy" });
  });

  test("the root filesystem is an overlay over the image's shared tree: writes stay in their run, no mount outlives the Pod", async (t) => {
    const why = overlayUnavailable(join(h.config.dataDir, 'images', 'tmp'));
    if (why) {
      t.skip(`no overlay mounts here: ${why}`);
      return;
    }
    const ns = await h.namespace('ctr-ovl');
    const writer = ['sh', '-c', 'echo changed > /bin/hello-note; rm /etc/passwd; ls /etc/passwd 2>&1; cat /bin/hello-note; sleep 600'];
    await h.client.create(podManifest(ns, 'writer', [{ image, command: writer }]));
    const first = await podRunning(h.client, ns, 'writer', 20_000);
    await logContains(h, ns, 'writer', 'changed');
    assert.match(await logText(h, ns, 'writer'), /No such file/, 'the container deleted a file of its image');
    const podRoot = new PodPaths({ dataDir: h.config.dataDir, uid: first.metadata.uid ?? '' }).root;
    // A container Pod runs in a user namespace by default: its rootfs is mounted in its stage outside the data directory.
    const stages = join(DefaultUsernsRoot, `${first.metadata.uid ?? ''}-`);
    const rootfsMounts = (): string[] => mountTable().filter((m) => m.fsType === 'overlay' && (m.mountPoint.startsWith(podRoot) || m.mountPoint.startsWith(stages))).map((m) => m.mountPoint);
    assert.equal(rootfsMounts().length, 1, "the run's rootfs is one overlay mount");
    // The store's tree and a second Pod of the same image still have what the first one changed.
    const flat = readdirSync(join(h.config.dataDir, 'images', 'rootfs'));
    assert.ok(flat.length >= 1, 'a flattened tree per image');
    for (const hex of flat) {
      assert.ok(existsSync(join(h.config.dataDir, 'images', 'rootfs', hex, 'etc', 'passwd')), 'the shared tree keeps /etc/passwd');
      assert.ok(!existsSync(join(h.config.dataDir, 'images', 'rootfs', hex, 'bin', 'hello-note')), "the shared tree has none of the run's files");
    }
    await h.client.create(podManifest(ns, 'reader', [{ image, command: ['sh', '-c', 'cat /etc/passwd | head -1; ls /bin/hello-note 2>&1; sleep 600'] }]));
    await podRunning(h.client, ns, 'reader', 20_000);
    const log = await logContains(h, ns, 'reader', 'No such file');
    assert.match(log, /^root:/m, "the second Pod reads the image's /etc/passwd");
    // An image in use cannot lose its tree to image garbage collection.
    assert.ok(isOverlayLower(join(h.config.dataDir, 'images', 'rootfs', flat[0]!)));
    for (const name of ['writer', 'reader']) await h.client.delete(PodRef, name, ns, { gracePeriodSeconds: 0 });
    for (const name of ['writer', 'reader']) await waitFor(() => podGone(h.client, ns, name), { what: `${name} to be gone`, timeoutMs: 15_000 });
    await waitFor(() => rootfsMounts().length === 0 && !existsSync(podRoot), { what: 'the overlay to be unmounted and the Pod folder removed' });
  });

  test('an exec readiness probe runs inside the container (runc exec)', async () => {
    const ns = await h.namespace('ctr-probe');
    const readiness = { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 };
    await h.client.create(podManifest(ns, 'probed', [{ image, command: ['sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 600'], readinessProbe: readiness }], { terminationGracePeriodSeconds: 0 }));
    const notReady = await podRunning(h.client, ns, 'probed', 20_000);
    assert.equal(notReady.status?.containerStatuses?.[0]?.ready, false, 'not ready before the file exists');
    await waitFor(async () => (await h.client.get<Pod>(PodRef, 'probed', ns)).status?.containerStatuses?.[0]?.ready === true, { what: 'the probe to pass inside the container' });
    await h.client.delete(PodRef, 'probed', ns);
  });

  test('an image the image table maps runs as a process (the fast path), in a container when the Pod asks with floe.dev/runtime', async () => {
    const ns = await h.namespace('ctr-mapped');
    const script = `test -e ${join(h.dataDir, 'floe.db')} && echo "host mapped=$MAPPED" || echo "container mapped=$MAPPED"`;
    await h.client.create(podManifest(ns, 'fast', [{ image: mapped, command: ['sh', '-c', script] }], { restartPolicy: 'Never' }));
    await h.client.create(podManifest(ns, 'boxed', [{ image: mapped, command: ['sh', '-c', script] }], { restartPolicy: 'Never' }, { annotations: { 'floe.dev/runtime': 'container' } }));
    await h.client.create(podManifest(ns, 'hosted', [{ image, command: ['sh', '-c', script] }], { restartPolicy: 'Never' }, { annotations: { 'floe.dev/runtime': 'process' } }));
    for (const name of ['fast', 'boxed', 'hosted']) await phase(h.client, ns, name, 'Succeeded');
    assert.match(await logText(h, ns, 'fast'), /^host mapped=yes$/m);
    assert.match(await logText(h, ns, 'boxed'), /^container mapped=$/m);
    assert.match(await logText(h, ns, 'hosted'), /^host mapped=$/m);
  });

  test('pulls: an unreachable registry fails fast with ErrImagePull, then ImagePullBackOff; Never without the image; no fallback when turned off', async () => {
    const ns = await h.namespace('ctr-pull');
    const runtime = new ContainerRuntime({ dataDir: h.config.dataDir, client: h.client, logger: createLogger({ level: 'silent' }), hostProcessFallback: false, backoffInitialMs: 60_000, backoffMaxMs: 300_000 });
    const pod = podManifest(ns, 'p', [{ image: 'docker.io/library/busybox:1.36', command: ['true'] }]);
    pod.metadata.uid = 'uid-pull';
    const events: string[] = [];
    const record = (_t: string, reason: string, message: string): void => {
      events.push(`${reason}: ${message}`);
    };
    const started = Date.now();
    const first = await runtime.decide(pod, pod.spec.containers[0]!, record).catch((e: unknown) => e);
    assert.ok(first instanceof PullError, String(first));
    assert.equal(first.reason, 'ErrImagePull');
    assert.match(first.message, /cannot be reached/);
    assert.ok(Date.now() - started < 5_000, `the pull failed in ${Date.now() - started} ms`);
    const second = await runtime.decide(pod, pod.spec.containers[0]!, record).catch((e: unknown) => e);
    assert.ok(second instanceof PullError && second.reason === 'ImagePullBackOff', String(second));
    assert.equal(second.message, 'Back-off pulling image "docker.io/library/busybox:1.36"');
    assert.ok(events.some((e) => e.startsWith('Failed: Failed to pull image "docker.io/library/busybox:1.36"')), events.join('\n'));
    const never = podManifest(ns, 'n', [{ image: 'floe.test/absent:v1', imagePullPolicy: 'Never', command: ['true'] }]);
    const third = await runtime.decide(never, never.spec.containers[0]!, record).catch((e: unknown) => e);
    assert.ok(third instanceof PullError && third.reason === 'ErrImageNeverPull', String(third));
    // The same images with the fallback on (the default) run their command on the host; a stored one in a container.
    const lenient = new ContainerRuntime({ dataDir: h.config.dataDir, client: h.client, logger: createLogger({ level: 'silent' }), backoffInitialMs: 60_000, backoffMaxMs: 300_000 });
    assert.equal((await lenient.decide(pod, pod.spec.containers[0]!, record)).kind, 'host');
    assert.equal((await lenient.decide(never, never.spec.containers[0]!, record)).kind, 'host');
    const stored = podManifest(ns, 's', [{ image, command: ['true'] }]);
    assert.equal((await lenient.decide(stored, stored.spec.containers[0]!, record)).kind, 'container');

    // Through the Kubelet (fallback on): an unmapped image that is not stored runs on the host, where the data dir is.
    await h.client.create(podManifest(ns, 'hosted', [{ image: 'busybox', command: ['sh', '-c', `test -e ${join(h.dataDir, 'floe.db')} && echo on-the-host`] }], { restartPolicy: 'Never' }));
    await phase(h.client, ns, 'hosted', 'Succeeded');
    assert.match(await logText(h, ns, 'hosted'), /on-the-host/);
  });
});

interface RegistryTool {
  haveGo(): boolean;
  startRegistry(options: { auth?: { user: string; password: string } }): Promise<{ host: string; stop(): Promise<void> }>;
}
const registryTool = (await import(pathToFileURL(fileURLToPath(new URL('../../../tools/registry.mjs', import.meta.url))).href)) as RegistryTool;
const registrySkip = skip || (registryTool.haveGo() ? false : 'the Go toolchain is not installed: it builds the distribution registry this test pulls from');

describe('container Pods from a registry with imagePullSecrets', { skip: registrySkip }, () => {
  let h: Harness;
  let registry: { host: string; stop(): Promise<void> };
  const auth = Buffer.from('floe:s3cret').toString('base64');

  before(async () => {
    h = await startHarness();
    registry = await registryTool.startRegistry({ auth: { user: 'floe', password: 's3cret' } });
    const built = await buildImage({ layers: [imageLayer()], config: defaultImageConfig });
    const pusher = new RegistryClient({ credentials: parseDockerConfig({ auths: { [registry.host]: { auth } } }, 'test') });
    await pushBuiltImage(pusher, normalizeReference(`${registry.host}/team/hello:v1`), [built], 'v1');
  });

  after(async () => {
    await h.stop();
    await registry.stop();
  });

  test('the Pod pulls with its secret (Pulling, Pulled) and runs; without it: ErrImagePull with the registry\'s answer, then ImagePullBackOff', async () => {
    const ns = await h.namespace('ctr-pull-secret');
    const remote = `${registry.host}/team/hello:v1`;
    const dockerconfig = Buffer.from(JSON.stringify({ auths: { [registry.host]: { auth } } })).toString('base64');
    await h.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'regcred', namespace: ns }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerconfig } });
    await h.client.create(podManifest(ns, 'denied', [{ image: remote, command: ['true'] }], { restartPolicy: 'Never' }));
    // ErrImagePull lasts until the back-off starts, so a loaded machine may first see ImagePullBackOff: the registry's
    // answer is in the Failed event the kubelet records with ErrImagePull, whichever state the poll catches.
    const failed = await waitFor(async () => {
      const events = await h.client.list<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
      return events.items.find((e) => e.involvedObject?.name === 'denied' && e.reason === 'Failed' && /ErrImagePull|requires a user name/.test(e.message ?? ''));
    }, { what: 'the Failed event of the pull', timeoutMs: 30_000 });
    assert.match(failed.message ?? '', /requires a user name and password/);
    await waitFor(async () => (await h.client.get<Pod>(PodRef, 'denied', ns)).status?.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff', { what: 'ImagePullBackOff', timeoutMs: 30_000 });

    await h.client.create(podManifest(ns, 'pulled', [{ image: remote, args: ['pulled'], command: undefined as unknown as string[] }], { restartPolicy: 'Never', imagePullSecrets: [{ name: 'regcred' }] }));
    await phase(h.client, ns, 'pulled', 'Succeeded', 30_000);
    assert.match(await logText(h, ns, 'pulled'), /hello from the image: .* args=pulled/);
    const events = (await h.client.list(EventRef, { namespace: ns })).items as unknown as { reason?: string; message?: string; involvedObject?: { name?: string } }[];
    const of = (name: string): string[] => events.filter((e) => e.involvedObject?.name === name).map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
    assert.ok(of('pulled').some((e) => e === `Pulling: Pulling image "${remote}"`), of('pulled').join('\n'));
    assert.ok(of('pulled').some((e) => e.startsWith(`Pulled: Successfully pulled image "${remote}" in `)), of('pulled').join('\n'));
    assert.ok(of('denied').some((e) => e.startsWith(`Failed: Failed to pull image "${remote}": `)), of('denied').join('\n'));
    assert.ok(of('denied').some((e) => e === 'Failed: Error: ErrImagePull'), of('denied').join('\n'));
  });
});

describe('container Pods after a kill -9 of Floe', { skip }, () => {
  let dataDir = '';
  let child: ChildProcess | undefined;

  async function startFixture(): Promise<Client> {
    const started = await startCrashFixture(dataDir);
    child = started.child;
    return started.client;
  }

  async function killHard(): Promise<void> {
    const c = child;
    child = undefined;
    if (c) await killCrashFixture(c);
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'floe-containers-crash-'));
    await writeTestImage(join(dataDir, 'layout'), image);
    // The fixture's Kubelet keeps its state (and image store) in <dataDir>/kubelet.
    floeImageLoad(join(dataDir, 'kubelet'), join(dataDir, 'layout'));
  });

  after(async () => {
    await killHard();
    killRecordedProcesses(join(dataDir, 'kubelet'));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a restarted Floe re-adopts a running container, finishes one that ended while it was down, and deleting stops it', async () => {
    let client = await startFixture();
    const ns = 'ctr-recovery';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.create(podManifest(ns, 'long', [{ image, command: ['sh', '-c', 'echo still here; sleep 600'] }], { terminationGracePeriodSeconds: 1 }));
    await client.create(podManifest(ns, 'ends', [{ image, command: ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done; echo leaving; exit 4'] }], { restartPolicy: 'Never' }));
    const long = await podRunning(client, ns, 'long', 20_000);
    const ends = await podRunning(client, ns, 'ends', 20_000);
    const longRun = runOf(join(dataDir, 'kubelet'), long);
    const endsRun = runOf(join(dataDir, 'kubelet'), ends);
    assert.ok(longRun?.containerId && endsRun?.containerId);
    // runc's own short-lived helpers pass through the cgroup at start: wait for the sleep (sh execs it).
    const longMembers = await waitFor(() => {
      const m = cgroupMembers(longRun.cgroups ?? []).filter((pid) => commOf(pid) === 'sleep');
      return m.length >= 1 ? m : undefined;
    }, { what: "long's processes" });

    await killHard();
    // While Floe is down, one container ends: its rootfs is reached through runc's state (the bundle's rootfs; a
    // user-namespaced run's bundle is its stage).
    const bundle = (JSON.parse(spawnSync('runc', ['--root', join(dataDir, 'kubelet', 'runc'), 'state', endsRun.containerId], { encoding: 'utf8' }).stdout) as { bundle: string }).bundle;
    const rootfs = join(bundle, 'rootfs');
    await waitFor(() => existsSync(join(rootfs, 'tmp')), { what: "ends' rootfs" });
    spawn('sh', ['-c', `touch ${join(rootfs, 'tmp', 'go')}`]);
    await waitFor(() => !isAlive(pidOf(ends), undefined), { what: 'ends to end during the outage' });
    assert.ok(longMembers.every((pid) => isAlive(pid, undefined)), 'the long container outlives Floe');

    client = await startFixture();
    const done = await phase(client, ns, 'ends', 'Failed');
    assert.equal(done.status?.containerStatuses?.[0]?.state.terminated?.exitCode, 4);
    const adopted = await client.get<Pod>(PodRef, 'long', ns);
    assert.equal(adopted.status?.phase, 'Running');
    assert.equal(pidOf(adopted), pidOf(long), 'the same run, not a new one');
    assert.equal(adopted.status?.containerStatuses?.[0]?.restartCount, 0);
    await waitFor(() => !existsSync(join(dataDir, 'kubelet', 'runc', endsRun.containerId!)), { what: "ends' runc state to be cleaned up" });

    await client.delete(PodRef, 'long', ns);
    await waitFor(() => podGone(client, ns, 'long'), { what: 'long to be gone', timeoutMs: 15_000 });
    await waitFor(() => longMembers.every((pid) => !isAlive(pid, undefined)), { what: 'the adopted container to stop' });
    assert.deepEqual(readdirSync(join(dataDir, 'kubelet', 'runc')).filter((n) => n.startsWith(long.metadata.uid ?? '-')), []);
  });
});

describe('a batch/v1 Job whose code is only in its image (real controllers)', { skip }, () => {
  let floe: Floe;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'floe-containers-job-'));
    await writeTestImage(join(dataDir, 'layout'), 'floe.test/trial:v1', { config: { Entrypoint: ['/app/hello.sh'], Env: ['PATH=/bin', 'GREETING=rmse=0.25'], WorkingDir: '/app' } });
    floeImageLoad(dataDir, join(dataDir, 'layout'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, images: [], kubeletTiming: { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 } });
  });

  after(async () => {
    await floe.stop();
    killRecordedProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the Job succeeds and its output is served by the log API', async () => {
    const client = floe.client;
    const ns = 'ctr-job';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'trial', namespace: ns },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'training-container', image: 'floe.test/trial:v1', args: ['--lr=0.01'] }] } } },
    });
    const job = await waitFor(async () => {
      const j = await client.get<Job>(JobRef, 'trial', ns);
      return j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ? j : undefined;
    }, { what: 'the Job to finish', timeoutMs: 30_000 });
    assert.equal(job.status?.succeeded, 1, JSON.stringify(job.status));
    const pod = (await client.list<Pod>(PodRef, { namespace: ns })).items[0]!;
    const res = await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/${pod.metadata.name ?? ''}/log`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /hello from the image: greeting=rmse=0.25 uid=0 gid=0 cwd=\/app host=trial-\w+ args=--lr=0.01/);
  });
});
