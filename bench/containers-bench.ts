// Container Pods against process Pods and `podman run` of the same image: create → Running and create → exit
// latency, and the memory a running container costs while idle. Runs `floe up` as a subprocess with the image loaded
// by `floe image load`; prints JSON and writes bench/results/containers-bench.json. Needs root and runc.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerSkipReason, floeImageLoad, writeTestImage } from '../test/helpers/container-image.js';
import { cgroupMembers } from '../src/kubelet/cgroups.js';
import { ContainerRuntime, removePodCgroupFolders } from '../src/kubelet/container-runtime.js';
import { ociSpec } from '../src/kubelet/oci-spec.js';
import { runtimeDefaultProfile } from '../src/kubelet/seccomp.js';
import { ImageStore, mountOverlay, overlayUnavailable, removeUnmounted } from '../src/images/index.js';
import { arg, httpCall, percentile, sleep, startFloeUp } from './common.js';

const reps = arg('reps', 10);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const progress = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};
const image = 'floe.test/hello:v1';
const round = (n: number): number => Math.round(n * 10) / 10;
const median = (xs: number[]): number => round(percentile([...xs].sort((a, b) => a - b), 50));

type Mode = 'process' | 'container' | 'podman';

/**
 * runc alone on a ready bundle (the rootfs copied once): what the OCI runtime itself costs per `runc run`, below
 * Floe's API, scheduling, rootfs copy and status writes. Milliseconds per run of `true`.
 */
async function runcAlone(dataDir: string, count: number): Promise<{ runMs: number[]; rootfsCopyMs: number[]; rootfsOverlayMs: number[]; flattenMs: number | undefined }> {
  const runc = ContainerRuntime.findRunc();
  if (!('path' in runc)) return { runMs: [], rootfsCopyMs: [], rootfsOverlayMs: [], flattenMs: undefined };
  let flattenMs: number | undefined;
  const store = new ImageStore({ root: join(dataDir, 'images') });
  const bundle = join(dataDir, 'runc-bench');
  const rootfsCopyMs: number[] = [];
  for (let i = 0; i < count; i++) {
    rmSync(join(bundle, 'rootfs'), { recursive: true, force: true });
    const t0 = performance.now();
    await store.rootfs(image, join(bundle, 'rootfs'), { mode: 'copy' });
    rootfsCopyMs.push(performance.now() - t0);
  }
  // The overlay a container run gets instead (the image's flattened tree is built by the first run, then shared).
  const rootfsOverlayMs: number[] = [];
  const overlayWhy = overlayUnavailable(join(dataDir, 'images', 'tmp'));
  if (!overlayWhy) {
    const flattenT0 = performance.now();
    await store.flattened(image);
    flattenMs = performance.now() - flattenT0;
    for (let i = 0; i < count; i++) {
      const scratch = join(dataDir, 'overlay-bench', String(i));
      const t0 = performance.now();
      mountOverlay((await store.flattened(image)).dir, scratch, join(scratch, 'rootfs'));
      rootfsOverlayMs.push(performance.now() - t0);
      removeUnmounted(scratch);
    }
  }
  const group = `bench-${process.pid}`;
  const runMs: number[] = [];
  for (let i = 0; i < count; i++) {
    const spec = ociSpec({
      argv: ['true'], env: { PATH: '/bin' }, cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, hostname: 'bench', root: 'rootfs',
      security: { supplementalGroups: [], privileged: false, readOnlyRootFilesystem: false, capabilities: { add: [], drop: [] }, seccomp: { type: 'RuntimeDefault' } }, binds: [], cgroupsPath: `floe/${group}/run-${i}`,
      seccomp: runtimeDefaultProfile(),
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const t0 = performance.now();
    const r = spawnSync(runc.path, ['--root', join(dataDir, 'runc-bench-state'), 'run', '--bundle', bundle, `bench-${i}`], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`runc run failed (${r.status ?? r.signal})`);
    runMs.push(performance.now() - t0);
  }
  removePodCgroupFolders(group);
  return { runMs, rootfsCopyMs, rootfsOverlayMs, flattenMs: flattenMs === undefined ? undefined : round(flattenMs) };
}

/** Proportional (PSS) and resident (RSS) memory of a process in KiB, from smaps_rollup. */
function memoryOf(pid: number): { pss: number; rss: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { pss: Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0), rss: Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0) };
  } catch {
    return { pss: 0, rss: 0 };
  }
}

/** Live processes whose process group is `pgid`. */
function groupPids(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

function podman(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('podman', ['--cgroup-manager', 'cgroupfs', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Why `podman run` cannot be measured here, or false. The flags: host network (as Floe's containers), cgroupfs (no
 * systemd), and rlimits no higher than this sandbox's (it lacks CAP_SYS_RESOURCE, and podman raises nofile by default).
 */
function podmanSkip(layout: string): string | false {
  if (spawnSync('podman', ['--version']).status !== 0) return 'podman is not installed (apt-get install --no-install-recommends podman)';
  const pulled = podman(['pull', '-q', `oci:${layout}`]);
  if (!pulled.ok) return `podman cannot load the image: ${pulled.out}`;
  const id = pulled.out.split('\n').pop() ?? '';
  podman(['tag', id, image]);
  // `oci:` pulls are named after their path; keep only the image's own name.
  podman(['rmi', `localhost${layout}:latest`]);
  const probe = podman(['run', '--rm', ...podmanRunFlags, '--entrypoint', '["true"]', image]);
  return probe.ok ? false : `podman run fails here: ${probe.out}`;
}
const podmanRunFlags = ['--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

async function main(): Promise<void> {
  const skip = containerSkipReason();
  if (skip) {
    process.stdout.write(`${JSON.stringify({ benchmark: 'floe-containers', skipped: skip })}\n`);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'floe-cbench-'));
  // podman reads an `oci:` path as an image name too, which must be lower case (mkdtemp's suffix is not).
  const layout = join(tmpdir(), `floe-cbench-layout-${process.pid}`);
  await writeTestImage(layout, image);
  floeImageLoad(dataDir, layout);
  progress('runc alone on a ready bundle');
  const alone = await runcAlone(dataDir, reps);
  const podmanReason = podmanSkip(layout);
  if (podmanReason) progress(`podman column skipped: ${podmanReason}`);
  const modes: Mode[] = podmanReason ? ['process', 'container'] : ['process', 'container', 'podman'];

  const { child, base } = await startFloeUp(dataDir);
  const podmanIds: string[] = [];
  try {
    await httpCall(agent, new URL('/api/v1/namespaces', base), 'POST', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const list = JSON.parse((await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'GET')).body) as { metadata: { resourceVersion: string } };
    const seen = new Map<string, { running?: number; done?: number; pid?: number; uid?: string }>();
    const watch = request(new URL(`/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, base), { agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const now = performance.now();
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string; uid: string }; status?: { phase?: string; containerStatuses?: { containerID?: string }[] } } };
          buf = buf.slice(nl + 1);
          const o = ev.object;
          const entry = seen.get(o.metadata.name) ?? {};
          entry.uid = o.metadata.uid;
          const id = o.status?.containerStatuses?.[0]?.containerID;
          if (id) entry.pid = Number(id.replace('floe://', ''));
          if (o.status?.phase === 'Running') entry.running ??= now;
          if (o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed') entry.done ??= now;
          seen.set(o.metadata.name, entry);
        }
      });
    });
    watch.on('error', () => undefined);
    watch.end();

    const pod = (name: string, mode: Mode, command: string[], restartPolicy: string): unknown => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        restartPolicy,
        terminationGracePeriodSeconds: 0,
        // Process mode: an image no rule maps and the store lacks, with pull policy Never: the host, no network.
        containers: [{ name: 'main', image: mode === 'container' ? image : 'floe.bench/not-stored:v1', imagePullPolicy: mode === 'container' ? 'IfNotPresent' : 'Never', command }],
      },
    });
    const floePod = async (name: string, mode: Mode, command: string[], until: 'running' | 'done'): Promise<number> => {
      const t0 = performance.now();
      const r = await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'POST', pod(name, mode, command, until === 'done' ? 'Never' : 'Always'));
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.slice(0, 200)}`);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const at = seen.get(name)?.[until];
        if (at !== undefined) return at - t0;
        if (Date.now() > deadline) throw new Error(`${name} did not reach ${until}`);
        await sleep(2);
      }
    };
    const podmanRun = (detached: boolean, command: string[]): number => {
      const t0 = performance.now();
      // --entrypoint, as a Pod's `command` replaces the image's Entrypoint (podman's arguments would replace Cmd only).
      const r = podman(['run', ...(detached ? ['-d'] : ['--rm']), ...podmanRunFlags, '--entrypoint', JSON.stringify(command), image]);
      if (!r.ok) throw new Error(`podman run: ${r.out}`);
      if (detached) podmanIds.push(r.out.split('\n').pop() ?? '');
      return performance.now() - t0;
    };

    const toRunning: Record<Mode, number[]> = { process: [], container: [], podman: [] };
    const toExit: Record<Mode, number[]> = { process: [], container: [], podman: [] };
    // Modes alternate rep by rep, so load from other work on the machine falls on each alike.
    for (let i = 0; i < reps; i++) {
      progress(`rep ${i + 1}/${reps}`);
      for (const mode of modes) {
        if (mode === 'podman') {
          toExit.podman.push(podmanRun(false, ['true']));
          toRunning.podman.push(podmanRun(true, ['sleep', '3600']));
          continue;
        }
        toExit[mode].push(await floePod(`exit-${mode}-${i}`, mode, ['true'], 'done'));
        toRunning[mode].push(await floePod(`run-${mode}-${i}`, mode, ['sleep', '3600'], 'running'));
      }
    }
    watch.destroy();

    progress(`idle memory of the ${reps} running containers of each mode`);
    await sleep(2000);
    const idle: Partial<Record<Mode, { pssKiB: number; rssKiB: number; processes: number }>> = {};
    for (const mode of modes) {
      const pids: number[][] = [];
      if (mode === 'podman') {
        for (const id of podmanIds) {
          const [conmon, main] = podman(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', id]).out.split(' ').map(Number);
          pids.push([conmon ?? 0, main ?? 0].filter((p) => p > 0));
        }
      } else {
        for (let i = 0; i < reps; i++) {
          const entry = seen.get(`run-${mode}-${i}`);
          if (!entry?.pid || !entry.uid) continue;
          const record = JSON.parse(readFileSync(join(dataDir, 'pods', entry.uid, 'containers', 'main.json'), 'utf8')) as { running?: { cgroups?: string[] } };
          pids.push([...new Set([...groupPids(entry.pid), ...(mode === 'container' ? cgroupMembers(record.running?.cgroups ?? []) : [])])]);
        }
      }
      const per = pids.map((ps) => ps.map(memoryOf).reduce((a, b) => ({ pss: a.pss + b.pss, rss: a.rss + b.rss }), { pss: 0, rss: 0 }));
      idle[mode] = {
        pssKiB: median(per.map((p) => p.pss)),
        rssKiB: median(per.map((p) => p.rss)),
        processes: median(pids.map((p) => p.length)),
      };
    }
    const stats = (xs: number[]): { p50: number; min: number; max: number } | undefined => (xs.length === 0 ? undefined : { p50: median(xs), min: round(Math.min(...xs)), max: round(Math.max(...xs)) });
    const result = {
      benchmark: 'floe-containers',
      machine: { cpus: cpus().length, node: process.version, runc: spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0], podman: podmanReason ? `skipped: ${podmanReason}` : spawnSync('podman', ['--version'], { encoding: 'utf8' }).stdout.trim() },
      parameters: { reps, image: `${image} (busybox-static, 2 MB, loaded with floe image load)`, podmanFlags: podmanRunFlags.join(' ') },
      createToRunningMs: Object.fromEntries(modes.map((m) => [m, stats(toRunning[m])])),
      createToExitMs: Object.fromEntries(modes.map((m) => [m, stats(toExit[m])])),
      idleMemoryPerContainer: idle,
      runcAlone: { runTrueMs: stats(alone.runMs), rootfsCopyMs: stats(alone.rootfsCopyMs), rootfsOverlayMs: stats(alone.rootfsOverlayMs), flattenOnceMs: alone.flattenMs },
      notes: [
        'process: a Pod whose image no rule maps and the store lacks (imagePullPolicy Never), run on the host (the fallback); container: the same command in an OCI container from the stored image (rootfs: an overlay over the image\'s shared tree).',
        'Floe times are API create → the phase seen on a watch; podman times are the wall time of the `podman run` command (-d: until it returns with the container started; --rm: until it exits, removal included).',
        'runcAlone: `runc run` of `true` on a bundle whose rootfs is already there; rootfsCopyMs: a private copy of that rootfs from the store (what each container run cost before overlays, and still costs where overlay mounts are refused); rootfsOverlayMs: mounting the overlay over the image\'s flattened tree (what each run costs now); flattenOnceMs: building that tree by hard links, once per image.',
        'Idle memory: PSS and RSS of every process a running container keeps (process: the wrapper and sleep; container: the wrapper, `runc run` and the container; podman: conmon and the container), median over the running containers.',
      ],
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'containers-bench.json'), `${json}\n`);
    await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'DELETE');
    const gone = Date.now() + 60_000;
    while (Date.now() < gone) {
      const left = JSON.parse((await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'GET')).body) as { items: unknown[] };
      if (left.items.length === 0) break;
      await sleep(200);
    }
  } finally {
    for (const id of podmanIds) podman(['rm', '-f', '-t', '0', id]);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    agent.destroy();
    for (const dir of [dataDir, layout]) if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
