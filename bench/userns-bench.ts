// User-namespaced container Pods: create → Running and create → exit, and the disk each running Pod adds, for a Pod
// with the host's users, a Pod in a user namespace over an idmapped image tree (Floe's default), and the same with the
// copy fallback (the image copied per Pod with its owners shifted: what `hostUsers: false` cost before idmapped
// mounts). Two `floe up` subprocesses; the second's idmap helper is replaced by one that always fails, so it takes the
// real fallback path. Prints JSON and writes bench/results/userns-bench.json. Needs root, runc and overlay mounts.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LayerEntry } from '../src/images/image-builder.js';
import { idmapHelperPath } from '../src/kubelet/idmap.js';
import { containerSkipReason, floeImageLoad, writeTestImage } from '../test/helpers/container-image.js';
import { arg, httpCall, percentile, sleep, startFloeUp } from './common.js';

const reps = arg('reps', 8);
/** Extra image content, MB, in 64 KiB files (a small Python image's order of size). */
const payloadMb = arg('payload-mb', 40);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const progress = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};
const image = 'floe.test/userns-bench:v1';
const round = (n: number): number => Math.round(n * 10) / 10;
const median = (xs: number[]): number => round(percentile([...xs].sort((a, b) => a - b), 50));

type Mode = 'hostUsers' | 'idmapped' | 'copy';

/** KiB used below `dir` on its own file system (du -x: hard links once, the runs' overlay mounts not entered). */
function diskKiB(dir: string): number {
  const r = spawnSync('du', ['-skx', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0] ?? 0);
}

interface Instance {
  base: string;
  dataDir: string;
  stop: () => Promise<void>;
  seen: Map<string, { running?: number; done?: number; uid?: string }>;
}

async function startInstance(dataDir: string): Promise<Instance> {
  const { child, base } = await startFloeUp(dataDir);
  await httpCall(agent, new URL('/api/v1/namespaces', base), 'POST', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  const list = JSON.parse((await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'GET')).body) as { metadata: { resourceVersion: string } };
  const seen = new Map<string, { running?: number; done?: number; uid?: string }>();
  const watch = request(new URL(`/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, base), { agent: false }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      const now = performance.now();
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string; uid: string }; status?: { phase?: string } } };
        buf = buf.slice(nl + 1);
        const o = ev.object;
        const entry = seen.get(o.metadata.name) ?? {};
        entry.uid = o.metadata.uid;
        if (o.status?.phase === 'Running') entry.running ??= now;
        if (o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed') entry.done ??= now;
        seen.set(o.metadata.name, entry);
      }
    });
  });
  watch.on('error', () => undefined);
  watch.end();
  const stop = async (): Promise<void> => {
    watch.destroy();
    await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'DELETE');
    const gone = Date.now() + 120_000;
    while (Date.now() < gone) {
      const left = JSON.parse((await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', base), 'GET')).body) as { items: unknown[] };
      if (left.items.length === 0) break;
      await sleep(200);
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  return { base, dataDir, stop, seen };
}

async function main(): Promise<void> {
  const skip = containerSkipReason();
  if (skip) {
    process.stdout.write(`${JSON.stringify({ benchmark: 'floe-userns', skipped: skip })}\n`);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'floe-ubench-'));
  const layout = join(scratch, 'layout');
  const files = Math.max(1, Math.round((payloadMb * 1024) / 64));
  const extra: LayerEntry[] = [{ path: 'payload/', type: 'dir' }];
  for (let i = 0; i < files; i++) extra.push({ path: `payload/f${i}.bin`, content: randomBytes(64 * 1024) });
  progress(`building a ${payloadMb} MB image (${files} files)`);
  await writeTestImage(layout, image, { extra });
  const dirs: Record<Exclude<Mode, 'hostUsers'>, string> = { idmapped: join(scratch, 'idmapped'), copy: join(scratch, 'copy') };
  for (const dir of Object.values(dirs)) floeImageLoad(dir, layout);
  // The fallback instance: an idmap helper that always fails, where Floe looks for the built one.
  const failing = idmapHelperPath(join(dirs.copy, 'lib'));
  mkdirSync(join(dirs.copy, 'lib'), { recursive: true, mode: 0o700 });
  writeFileSync(failing, '#!/bin/sh\necho "idmapped mounts disabled for this benchmark" >&2\nexit 1\n');
  chmodSync(failing, 0o700);

  const instances = { idmapped: await startInstance(dirs.idmapped), copy: await startInstance(dirs.copy) };
  const instanceOf = (mode: Mode): Instance => (mode === 'copy' ? instances.copy : instances.idmapped);
  const pod = (name: string, mode: Mode, command: string[], restartPolicy: string): unknown => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 0,
      ...(mode === 'hostUsers' ? { hostUsers: true } : {}),
      containers: [{ name: 'main', image, imagePullPolicy: 'Never', command }],
    },
  });
  const floePod = async (name: string, mode: Mode, command: string[], until: 'running' | 'done'): Promise<number> => {
    const at = instanceOf(mode);
    const t0 = performance.now();
    const r = await httpCall(agent, new URL('/api/v1/namespaces/bench/pods', at.base), 'POST', pod(name, mode, command, until === 'done' ? 'Never' : 'Always'));
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.slice(0, 200)}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const t = at.seen.get(name)?.[until];
      if (t !== undefined) return t - t0;
      if (Date.now() > deadline) throw new Error(`${name} did not reach ${until}`);
      await sleep(2);
    }
  };
  const modes: Mode[] = ['hostUsers', 'idmapped', 'copy'];
  try {
    // Warm-up, not counted: the image is flattened once per instance and the helper built.
    for (const mode of modes) await floePod(`warm-${mode.toLowerCase()}`, mode, ['true'], 'done');
    const toRunning: Record<Mode, number[]> = { hostUsers: [], idmapped: [], copy: [] };
    const toExit: Record<Mode, number[]> = { hostUsers: [], idmapped: [], copy: [] };
    const podsKiB: Partial<Record<Mode, number>> = {};
    for (let i = 0; i < reps; i++) {
      progress(`rep ${i + 1}/${reps}`);
      for (const mode of modes) toExit[mode].push(await floePod(`exit-${mode.toLowerCase()}-${i}`, mode, ['true'], 'done'));
    }
    // Running Pods, one mode at a time, so the disk their folders add is the mode's own.
    for (const mode of modes) {
      const at = instanceOf(mode);
      const before = diskKiB(join(at.dataDir, 'pods'));
      for (let i = 0; i < reps; i++) toRunning[mode].push(await floePod(`run-${mode.toLowerCase()}-${i}`, mode, ['sleep', '3600'], 'running'));
      await sleep(1000);
      podsKiB[mode] = round((diskKiB(join(at.dataDir, 'pods')) - before) / reps);
    }
    const stats = (xs: number[]): { p50: number; min: number; max: number } => ({ p50: median(xs), min: round(Math.min(...xs)), max: round(Math.max(...xs)) });
    const result = {
      benchmark: 'floe-userns',
      machine: { cpus: cpus().length, node: process.version, kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(), runc: spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0], load: spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim() },
      parameters: { reps, image: `${image} (busybox-static + ${payloadMb} MB in ${files} files, loaded with floe image load)` },
      createToRunningMs: Object.fromEntries(modes.map((m) => [m, stats(toRunning[m])])),
      createToExitMs: Object.fromEntries(modes.map((m) => [m, stats(toExit[m])])),
      diskPerRunningPodKiB: podsKiB,
      notes: [
        'hostUsers: spec.hostUsers: true (no user namespace; the overlay sits on the shared flattened tree). idmapped: no hostUsers (Floe\'s default: a user namespace, the overlay over the shared tree mounted idmapped). copy: the same Pod on a Floe whose idmap helper fails, so each Pod copies the image with shifted owners (the fallback, and what hostUsers: false cost before).',
        'Times are API create → the phase seen on a watch (Running: once the wrapper is spawned, after the bundle and its rootfs are ready); medians of alternating reps.',
        'diskPerRunningPodKiB: growth of du -skx <dataDir>/pods per running Pod (its folder: the overlay upper, logs, and in copy mode the shifted copy).',
      ],
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'userns-bench.json'), `${json}\n`);
  } finally {
    await Promise.all([instances.idmapped.stop(), instances.copy.stop()]);
    agent.destroy();
    if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
