// Integration: container Pods (real runc, a real busybox image) run as root inside a user namespace whose ids are an
// unprivileged host range — by default, and with `hostUsers: false` — over an idmapped image tree (no copy); their
// volumes work, host files stay the host's, Floe's data directory stays 0700, and deletion leaves nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerSkipReason, floeImageLoad, writeTestImage } from '../../test/helpers/container-image.js';
import { rejectsWith } from '../../test/helpers/expect.js';
import { type Harness, podGone, podManifest, silentLogger, startHarness, testTiming } from '../../test/helpers/kubelet-harness.js';
import { waitFor } from '../../test/helpers/wait.js';
import { mountTable } from '../images/index.js';
import { idmapHelperPath } from './idmap.js';
import { Kubelet } from './kubelet.js';
import { PodPaths, readContainerRecords } from './pod-state.js';
import { isAlive } from './proc.js';
import { PodRef, type Pod } from './types.js';
import { releaseMapping, removePodStages, userNamespaceChoice, UsernsSize } from './userns.js';

const usernsRoot = '/run/floe-userns';

/** Why user namespaces cannot be tested here: no runc or root (containers), or a kernel that refuses them. */
function skipReason(): string | false {
  const containers = containerSkipReason();
  if (containers) return containers;
  const r = spawnSync('unshare', ['--user', '--map-root-user', 'true'], { encoding: 'utf8' });
  if (r.status !== 0) return `this kernel refuses user namespaces (unshare --user: ${(r.stderr || String(r.error ?? r.status)).trim()})`;
  return false;
}

const skip = skipReason();
if (skip) process.stderr.write(`[userns.test] skipped: ${skip}\n`);
const image = 'floe.test/userns:v1';

function hostIds(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  const gid = Number(/^Gid:\s+(\d+)/m.exec(status)?.[1]);
  return { uid, gid };
}

async function logText(h: Harness, ns: string, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.kubelet.logs(ns, name, {})) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The mountinfo lines of this mount namespace whose mount point is `point`. */
function mountinfoAt(point: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.split(' ')[4] === point);
}

/** Waits for the Pod's only container to finish, failing with its own words when it cannot be created. */
async function terminated(h: Harness, ns: string, name: string): Promise<{ exitCode: number }> {
  return waitFor(async () => {
    const p = await h.client.get<Pod>(PodRef, name, ns);
    const cs = p.status?.containerStatuses?.[0];
    if (cs?.state.waiting && cs.state.waiting.reason !== 'ContainerCreating') assert.fail(`the Pod did not run: ${JSON.stringify(cs)}`);
    return cs?.state.terminated;
  }, { what: `${name} to finish`, timeoutMs: 60_000 });
}

describe('which Pods get a user namespace (Floe\'s default for container Pods)', () => {
  const pod = (spec: Record<string, unknown>, sc?: Record<string, unknown>): Pod => podManifest('ns', 'p', [{ image, command: ['true'], ...(sc ? { securityContext: sc } : {}) }], spec);
  test('unset hostUsers: a user namespace; hostUsers: false requires one', () => {
    assert.deepEqual(userNamespaceChoice(pod({})), { userns: true, required: false });
    assert.deepEqual(userNamespaceChoice(pod({}, { runAsUser: 1000, capabilities: { add: ['SYS_PTRACE'], drop: ['ALL'] } })), { userns: true, required: false });
    assert.deepEqual(userNamespaceChoice(pod({ hostUsers: false })), { userns: true, required: true });
  });
  test('hostUsers: true, host namespaces, privileged, host-only capabilities and unmappable ids keep the host\'s users', () => {
    const host = (p: Pod): string => {
      const c = userNamespaceChoice(p);
      assert.equal(c.userns, false);
      return 'host' in c ? c.host : '';
    };
    assert.match(host(pod({ hostUsers: true })), /hostUsers is true/);
    assert.match(host(pod({ hostNetwork: true })), /hostNetwork/);
    assert.match(host(pod({ hostPID: true })), /hostPID/);
    assert.match(host(pod({ hostIPC: true })), /hostIPC/);
    assert.match(host(pod({}, { privileged: true })), /privileged/);
    assert.match(host(pod({}, { capabilities: { add: ['NET_ADMIN'] } })), /CAP_NET_ADMIN/);
    assert.match(host(pod({}, { capabilities: { add: ['cap_sys_admin'] } })), /CAP_SYS_ADMIN/);
    assert.match(host(pod({ securityContext: { runAsUser: 70_000 } })), /above the 65536/);
  });
});

describe('user namespaces', { skip }, () => {
  let h: Harness;
  let scratch: string;

  before(async () => {
    h = await startHarness();
    scratch = mkdtempSync(join(tmpdir(), 'floe-userns-'));
    await writeTestImage(join(scratch, 'layout'), image);
    floeImageLoad(h.config.dataDir, join(scratch, 'layout'));
  });

  after(async () => {
    // Pods a failed test left running: stop() kills them and removes the data dir, not their stages (a restarted Floe
    // would re-adopt those).
    const uids = existsSync(join(h.config.dataDir, 'pods')) ? readdirSync(join(h.config.dataDir, 'pods')) : [];
    await h.stop();
    for (const uid of uids) {
      removePodStages(usernsRoot, uid);
      releaseMapping(uid, join(usernsRoot, 'ranges'));
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  test('root inside is an unprivileged host range; emptyDir, ConfigMap and Secret volumes work; deletion leaves nothing', async () => {
    const ns = await h.namespace('userns');
    await h.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: ns }, data: { greeting: 'from-configmap' } });
    await h.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: ns }, data: { token: Buffer.from('from-secret').toString('base64') } });
    const script = [
      'echo uid=$(id -u) gid=$(id -g)',
      'echo map=$(cat /proc/self/uid_map)',
      'echo cm=$(cat /etc/cfg/greeting) secret=$(cat /etc/sec/token)',
      'echo made > /data/made && echo write=ok',
      'echo ready',
      'exec sleep 3600',
    ].join('; ');
    await h.client.create(podManifest(ns, 'mapped', [{
      image,
      command: ['sh', '-c', script],
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg' }, { name: 'sec', mountPath: '/etc/sec' }],
      // An exec probe runs through `runc exec`, in the same user namespace.
      readinessProbe: { exec: { command: ['sh', '-c', 'test "$(id -u)" = 0 && cat /data/made'] }, periodSeconds: 1 },
    }], {
      hostUsers: false,
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 'sec' } }],
    }));
    const log = await waitFor(async () => {
      const text = await logText(h, ns, 'mapped').catch(() => '');
      if (text.includes('ready')) return text;
      const p = await h.client.get<Pod>(PodRef, 'mapped', ns);
      const cs = p.status?.containerStatuses?.[0];
      // A run that ended or a container that cannot be created fails here with its own words, not a timeout.
      if (cs?.state.terminated || cs?.lastState.terminated || (cs?.state.waiting && cs.state.waiting.reason !== 'ContainerCreating')) assert.fail(`the Pod did not run: ${JSON.stringify(cs)}\n${text}`);
      return undefined;
    }, { what: 'the userns Pod to be ready', timeoutMs: 60_000 });
    const pod = await h.client.get<Pod>(PodRef, 'mapped', ns);
    const uid = pod.metadata.uid ?? '';
    const paths = new PodPaths({ dataDir: h.config.dataDir, uid });
    const mapping = JSON.parse(readFileSync(join(paths.root, 'userns.json'), 'utf8')) as { hostID: number; size: number };
    assert.ok(mapping.hostID >= UsernsSize && mapping.hostID % UsernsSize === 0, `an aligned range above the host's ids: ${mapping.hostID}`);
    assert.equal(mapping.size, UsernsSize);

    assert.match(log, /^uid=0 gid=0$/m, 'root inside');
    assert.match(log, new RegExp(`^map=\\s*0 ${mapping.hostID} ${UsernsSize}$`, 'm'), `/proc/self/uid_map shows the mapping:\n${log}`);
    assert.match(log, /^cm=from-configmap secret=from-secret$/m);
    assert.match(log, /^write=ok$/m);

    // On the host, the container's pid 1 runs as the range's first id, not as root.
    const run = readContainerRecords(paths).get('main')?.running;
    assert.ok(run?.containerId, 'a container run is recorded');
    const state = spawnSync('runc', ['--root', join(h.config.dataDir, 'runc'), 'state', run.containerId], { encoding: 'utf8' });
    const pid = (JSON.parse(state.stdout) as { pid: number }).pid;
    assert.deepEqual(hostIds(pid), { uid: mapping.hostID, gid: mapping.hostID });
    const made = statSync(join(paths.root, 'volumes', 'data', 'made'));
    assert.equal(made.uid, mapping.hostID, 'a file the container made is owned by the mapped uid on the host');
    assert.equal(statSync(h.dataDir).mode & 0o777, 0o700, "Floe's data directory (the kubelet's is in it) stays 0700");
    const stage = join(usernsRoot, run.containerId);
    assert.equal(statSync(usernsRoot).mode & 0o777, 0o711, 'stages are only traversable');
    assert.ok(mountTable().some((m) => m.mountPoint.startsWith(`${stage}/`)), 'the stage holds the rootfs and volume mounts');

    await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'mapped', ns);
      return p.status?.containerStatuses?.[0]?.ready === true ? p : undefined;
    }, { what: 'the exec readiness probe to pass', timeoutMs: 30_000 });

    await h.client.delete(PodRef, 'mapped', ns);
    await podGone(h.client, ns, 'mapped');
    await waitFor(() => !existsSync(paths.root) || undefined, { what: "the Pod's folder to go", timeoutMs: 20_000 });
    await waitFor(() => (readdirSync(usernsRoot).every((n) => !n.startsWith(`${uid}-`)) ? true : undefined), { what: 'the stages to go', timeoutMs: 20_000 });
    assert.deepEqual(mountTable().filter((m) => m.mountPoint.includes(uid)).map((m) => m.mountPoint), [], 'no mount of the Pod remains');
    const ranges = readdirSync(join(usernsRoot, 'ranges')).map((n) => readFileSync(join(usernsRoot, 'ranges', n), 'utf8').split('\n')[0]);
    assert.ok(!ranges.includes(uid), "the Pod's range is given back");
  });

  test('attack: a default container Pod\'s root cannot write or chmod host-root files through a hostPath volume', async () => {
    const ns = await h.namespace('userns-hostpath');
    const hostDir = mkdtempSync(join(tmpdir(), 'floe-userns-hostpath-'));
    chmodSync(hostDir, 0o755);
    writeFileSync(join(hostDir, 'owned'), 'host-secret\n', { mode: 0o644 });
    try {
      const script = [
        'echo uid=$(id -u)',
        '(echo pwned >> /host/owned) 2>/dev/null && echo append=ok || echo append=denied',
        '(echo x > /host/new) 2>/dev/null && echo create=ok || echo create=denied',
        'chmod 666 /host/owned 2>/dev/null && echo chmod=ok || echo chmod=denied',
        'echo owner=$(stat -c %u /host/owned)',
      ].join('; ');
      await h.client.create(podManifest(ns, 'attacker', [{ image, command: ['sh', '-c', script], volumeMounts: [{ name: 'host', mountPath: '/host' }] }], {
        restartPolicy: 'Never',
        volumes: [{ name: 'host', hostPath: { path: hostDir } }],
      }));
      await terminated(h, ns, 'attacker');
      const log = await logText(h, ns, 'attacker');
      assert.match(log, /^uid=0$/m, `root inside:\n${log}`);
      assert.match(log, /^append=denied$/m, `a host-root file is not writable:\n${log}`);
      assert.match(log, /^create=denied$/m, `a host-root folder takes no new files:\n${log}`);
      assert.match(log, /^chmod=denied$/m, `a host-root file's mode cannot be changed:\n${log}`);
      assert.match(log, /^owner=65534$/m, 'host root is unmapped inside (the overflow uid)');
      assert.equal(readFileSync(join(hostDir, 'owned'), 'utf8'), 'host-secret\n');
      assert.equal(statSync(join(hostDir, 'owned')).mode & 0o777, 0o644);
      assert.ok(!existsSync(join(hostDir, 'new')));
      await h.client.delete(PodRef, 'attacker', ns);
      await podGone(h.client, ns, 'attacker');
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
  });

  test('by default: root inside is an unprivileged host range over an idmapped image tree (no copy); PVC files keep host owners', async () => {
    const ns = await h.namespace('userns-default');
    const claim = join(h.config.dataDir, 'volumes', ns, 'claim');
    mkdirSync(claim, { recursive: true });
    writeFileSync(join(claim, 'from-host'), 'host\n', { mode: 0o644 });
    const script = [
      'echo uid=$(id -u)',
      'echo map=$(cat /proc/self/uid_map)',
      'echo pvc-owner=$(stat -c %u:%g /pvc/from-host)',
      'echo appended >> /pvc/from-host && echo append=ok',
      'echo made > /pvc/made && echo write=ok',
      'echo made > /etc/rootfs-write && echo rootfs=ok',
      'echo ready',
      'exec sleep 3600',
    ].join('; ');
    await h.client.create(podManifest(ns, 'default', [{ image, command: ['sh', '-c', script], volumeMounts: [{ name: 'pvc', mountPath: '/pvc' }] }], {
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'pvc', persistentVolumeClaim: { claimName: 'claim' } }],
    }));
    const log = await waitFor(async () => {
      const text = await logText(h, ns, 'default').catch(() => '');
      if (text.includes('ready')) return text;
      const cs = (await h.client.get<Pod>(PodRef, 'default', ns)).status?.containerStatuses?.[0];
      if (cs?.state.terminated || (cs?.state.waiting && cs.state.waiting.reason !== 'ContainerCreating')) assert.fail(`the Pod did not run: ${JSON.stringify(cs)}\n${text}`);
      return undefined;
    }, { what: 'the default Pod to be ready', timeoutMs: 60_000 });
    const pod = await h.client.get<Pod>(PodRef, 'default', ns);
    const uid = pod.metadata.uid ?? '';
    const paths = new PodPaths({ dataDir: h.config.dataDir, uid });
    const mapping = JSON.parse(readFileSync(join(paths.root, 'userns.json'), 'utf8')) as { hostID: number; size: number };
    assert.match(log, /^uid=0$/m);
    assert.match(log, new RegExp(`^map=\\s*0 ${mapping.hostID} ${UsernsSize}$`, 'm'), log);
    assert.match(log, /^pvc-owner=0:0$/m, `a host-root PVC file is root's inside (idmapped):\n${log}`);
    assert.match(log, /^append=ok$/m);
    assert.match(log, /^write=ok$/m);
    assert.match(log, /^rootfs=ok$/m, 'the image tree is writable through the overlay');
    assert.equal(readFileSync(join(claim, 'from-host'), 'utf8'), 'host\nappended\n');
    const made = statSync(join(claim, 'made'));
    assert.deepEqual([made.uid, made.gid], [0, 0], 'what container root writes to a PVC is stored with host id 0 (not the range)');

    const run = readContainerRecords(paths).get('main')?.running;
    assert.ok(run?.containerId);
    const state = spawnSync('runc', ['--root', join(h.config.dataDir, 'runc'), 'state', run.containerId], { encoding: 'utf8' });
    assert.deepEqual(hostIds((JSON.parse(state.stdout) as { pid: number }).pid), { uid: mapping.hostID, gid: mapping.hostID }, 'an unprivileged uid on the host');

    // No per-Pod copy: the rootfs is an overlay over the image's shared tree, mounted idmapped in the stage.
    const stage = join(usernsRoot, run.containerId);
    const [lower] = mountinfoAt(join(stage, 'lower'));
    assert.ok(lower, `the idmapped lower is mounted:\n${readFileSync('/proc/self/mountinfo', 'utf8')}`);
    assert.match(lower.split(' - ')[0]!, /\bidmapped\b/, lower);
    assert.match(lower.split(' ')[3]!, /\/images\/rootfs\/[0-9a-f]{64}$/, `the lower is the shared flattened tree: ${lower}`);
    const [overlay] = mountinfoAt(join(stage, 'rootfs'));
    assert.match(overlay ?? '', new RegExp(`lowerdir=${join(stage, 'lower')}[,\\s]`), overlay);
    assert.ok(!existsSync(join(paths.root, 'userns-rootfs')), 'no shifted copy of the image');
    const [volume] = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(join(stage, 'volumes')));
    assert.match(volume ?? '', /\bidmapped\b/, `the PVC is mounted idmapped: ${volume}`);

    await h.client.delete(PodRef, 'default', ns);
    await podGone(h.client, ns, 'default');
    await waitFor(() => (readdirSync(usernsRoot).every((n) => !n.startsWith(`${uid}-`)) && !mountTable().some((m) => m.mountPoint.includes(uid)) ? true : undefined), { what: 'the stages and mounts to go', timeoutMs: 20_000 });
  });

  test('hostUsers: true opts out: root inside is the host\'s root', async () => {
    const ns = await h.namespace('userns-optout');
    await h.client.create(podManifest(ns, 'host', [{ image, command: ['sh', '-c', 'echo uid=$(id -u); echo map=$(cat /proc/self/uid_map)'] }], { hostUsers: true, restartPolicy: 'Never' }));
    assert.equal((await terminated(h, ns, 'host')).exitCode, 0);
    const log = await logText(h, ns, 'host');
    assert.match(log, /^uid=0$/m);
    assert.match(log, /^map=\s*0\s+0\s+4294967295$/m, `the host's (initial) user namespace:\n${log}`);
    const pod = await h.client.get<Pod>(PodRef, 'host', ns);
    assert.ok(!existsSync(join(new PodPaths({ dataDir: h.config.dataDir, uid: pod.metadata.uid ?? '' }).root, 'userns.json')), 'no range is claimed');
    await h.client.delete(PodRef, 'host', ns);
    await podGone(h.client, ns, 'host');
  });

  test('a restarted Floe re-adopts a default (user-namespaced) container; its restart keeps the range; deletion cleans up', async () => {
    const restart = async (keepPodsOnStop: boolean): Promise<void> => {
      await h.kubelet.stop();
      h.kubelet = new Kubelet({ client: h.client, config: { ...h.config, keepPodsOnStop }, logger: silentLogger(), timing: testTiming });
      await h.kubelet.start();
    };
    await restart(true);
    const ns = await h.namespace('userns-kept');
    await h.client.create(podManifest(ns, 'kept', [{ image, command: ['sh', '-c', 'echo map=$(cat /proc/self/uid_map); exec sleep 3600'] }], { terminationGracePeriodSeconds: 0 }));
    const pod = await h.client.get<Pod>(PodRef, 'kept', ns);
    const uid = pod.metadata.uid ?? '';
    const paths = new PodPaths({ dataDir: h.config.dataDir, uid });
    const statePid = async (attempt: number): Promise<number> => waitFor(() => {
      const run = readContainerRecords(paths).get('main')?.running;
      if (run?.attempt !== attempt || !run.containerId) return undefined;
      const state = spawnSync('runc', ['--root', join(h.config.dataDir, 'runc'), 'state', run.containerId], { encoding: 'utf8' });
      if (state.status !== 0) return undefined;
      const parsed = JSON.parse(state.stdout) as { pid: number; status: string };
      return parsed.status === 'running' ? parsed.pid : undefined;
    }, { what: `run ${attempt} of kept to be running`, timeoutMs: 30_000 });
    const pid = await statePid(0);
    const mapping = JSON.parse(readFileSync(join(paths.root, 'userns.json'), 'utf8')) as { hostID: number };
    assert.equal(hostIds(pid).uid, mapping.hostID);

    await restart(false);
    assert.ok(isAlive(pid, undefined), 'the container outlives the Kubelet');
    const adopted = await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'kept', ns);
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state.running && cs.restartCount === 0 ? p : undefined;
    }, { what: 'kept to be re-adopted', timeoutMs: 30_000 });
    assert.ok(adopted);

    // The container's pid 1 dies: the restart is a new run, in the same range, with a new stage.
    process.kill(pid, 'SIGKILL');
    const pid1 = await statePid(1);
    assert.equal(hostIds(pid1).uid, mapping.hostID, 'the restarted container keeps the Pod\'s range');
    const stages = readdirSync(usernsRoot).filter((n) => n.startsWith(`${uid}-`));
    assert.deepEqual(stages, [`${uid}-main-1`], "only the current run's stage is left");

    await h.client.delete(PodRef, 'kept', ns);
    await podGone(h.client, ns, 'kept');
    await waitFor(() => (readdirSync(usernsRoot).every((n) => !n.startsWith(`${uid}-`)) && !mountTable().some((m) => m.mountPoint.includes(uid)) ? true : undefined), { what: 'the stages and mounts to go', timeoutMs: 20_000 });
  });

  test('a host namespace with hostUsers: false is refused as kube-apiserver refuses it; process mode is never used', async () => {
    const ns = await h.namespace('userns-refused');
    const err = await rejectsWith(h.client.create(podManifest(ns, 'hostnet', [{ image, command: ['true'] }], { hostUsers: false, hostNetwork: true, hostPID: true })), 'Invalid');
    assert.match(err.message, /spec\.securityContext\.hostNetwork: Forbidden: when `pod\.Spec\.HostUsers` is false/);
    assert.match(err.message, /spec\.securityContext\.HostPID: Forbidden: when `pod\.Spec\.HostUsers` is false/);

    await h.client.create(podManifest(ns, 'process', [{ image, command: ['true'] }], { hostUsers: false, restartPolicy: 'Never' }, { annotations: { 'floe.dev/runtime': 'process' } }));
    const waiting = await waitFor(async () => {
      const p = await h.client.get<Pod>(PodRef, 'process', ns);
      const w = p.status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerError' ? w : undefined;
    }, { what: 'the process-mode Pod to be refused', timeoutMs: 20_000 });
    assert.match(waiting.message ?? '', /hostUsers: false, which needs a container/);
  });

  test('where idmapped mounts fail, the image is copied per Pod with shifted owners (the fallback) and the Pod runs', async () => {
    const helper = idmapHelperPath(join(h.config.dataDir, 'lib'));
    assert.ok(existsSync(helper), 'the helper was built by the earlier runs');
    renameSync(helper, `${helper}.saved`);
    // Where Floe looks for the built helper, one that fails as a kernel without idmapped mounts would.
    writeFileSync(helper, '#!/bin/sh\necho "mount_setattr MOUNT_ATTR_IDMAP: Invalid argument" >&2\nexit 1\n', { mode: 0o700 });
    try {
      const ns = await h.namespace('userns-fallback');
      await h.client.create(podManifest(ns, 'copied', [{ image, command: ['sh', '-c', 'echo uid=$(id -u) owner=$(stat -c %u /bin/busybox); exec sleep 3600'] }], { terminationGracePeriodSeconds: 0 }));
      const log = await waitFor(async () => {
        const text = await logText(h, ns, 'copied').catch(() => '');
        return text.includes('uid=') ? text : undefined;
      }, { what: 'the fallback Pod to run', timeoutMs: 60_000 });
      assert.match(log, /^uid=0 owner=0$/m, `root inside, the image's files root's:\n${log}`);
      const pod = await h.client.get<Pod>(PodRef, 'copied', ns);
      const uid = pod.metadata.uid ?? '';
      const root = new PodPaths({ dataDir: h.config.dataDir, uid }).root;
      const copies = readdirSync(join(root, 'userns-rootfs'));
      assert.equal(copies.length, 1, 'one shifted copy of the image for the Pod');
      const mapping = JSON.parse(readFileSync(join(root, 'userns.json'), 'utf8')) as { hostID: number };
      assert.equal(statSync(join(root, 'userns-rootfs', copies[0]!, 'bin', 'busybox')).uid, mapping.hostID, 'its owners are shifted into the range');
      const run = readContainerRecords(new PodPaths({ dataDir: h.config.dataDir, uid })).get('main')?.running;
      assert.deepEqual(mountinfoAt(join(usernsRoot, run?.containerId ?? '-', 'lower')), [], 'no idmapped lower');
      await h.client.delete(PodRef, 'copied', ns);
      await podGone(h.client, ns, 'copied');
    } finally {
      rmSync(helper, { force: true });
      renameSync(`${helper}.saved`, helper);
    }
  });
});
