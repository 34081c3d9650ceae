// Image benchmark: pull + unpack throughput from a real registry on loopback (the distribution registry built by
// tools/registry.mjs) and rootfs assembly time (copy vs hard links), beside `skopeo copy` + `umoci unpack` of the same
// image when those are installed. Prints JSON and writes bench/results/images-bench.json.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildImage, pushBuiltImage, type LayerEntry } from '../src/images/image-builder.js';
import { normalizeReference } from '../src/images/reference.js';
import { RegistryClient } from '../src/images/registry-client.js';
import { ImageStore } from '../src/images/store.js';
import { baseLayer, haveBusybox } from '../src/images/test-images.js';
import { arg } from './common.js';

const reps = arg('reps', 5);
/** Payload sizes in MB, one image and one run each: `--payload-mb 8,40`. */
const payloadSizes = (() => {
  const i = process.argv.indexOf('--payload-mb');
  return (i >= 0 ? process.argv[i + 1] ?? '' : '8,40').split(',').map(Number).filter((x) => x > 0);
})();
const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * A payload layer like an application's: many small text files (source, metadata) that compress well, and a few
 * larger ones of random bytes (compiled objects, weights) that do not; deterministic for a given size.
 */
function payloadLayer(totalBytes: number): LayerEntry[] {
  const entries: LayerEntry[] = [{ path: 'opt/app/', type: 'dir' }];
  let seed = createHash('sha256').update('floe images bench').digest();
  const bytes = (n: number): Buffer => {
    const chunks: Buffer[] = [];
    let have = 0;
    while (have < n) {
      seed = createHash('sha256').update(seed).digest();
      chunks.push(seed);
      have += seed.length;
    }
    return Buffer.concat(chunks).subarray(0, n);
  };
  const words = ['import', 'numpy', 'torch', 'def', 'return', 'self', 'class', 'model', 'tensor', 'layer', 'config', 'value', 'train', 'batch', 'loss'];
  let written = 0;
  let i = 0;
  // Two thirds in small text files, one third in incompressible 1 MB-ish files.
  while (written < (totalBytes * 2) / 3) {
    const size = 1024 + (bytes(2).readUInt16LE(0) % 24_000);
    const rnd = bytes(size);
    let text = '';
    for (let j = 0; text.length < size; j++) text += `${words[rnd[j % rnd.length]! % words.length]}${j % 12 === 11 ? '\n' : ' '}`;
    entries.push({ path: `opt/app/pkg${i % 20}/module${i}.py`, content: text.slice(0, size) });
    written += size;
    i++;
  }
  for (let k = 0; written < totalBytes; k++) {
    const size = Math.min(1_000_000, totalBytes - written);
    entries.push({ path: `opt/app/data/blob${k}.bin`, content: bytes(size) });
    written += size;
  }
  return entries;
}

function timed(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const tool = (await import(pathToFileURL(join(repoRoot, 'tools', 'registry.mjs')).href)) as { startRegistry(o: { dir: string }): Promise<{ host: string; stop(): Promise<void> }> };
  const work = mkdtempSync(join(os.tmpdir(), 'floe-images-bench-'));
  const registry = await tool.startRegistry({ dir: join(work, 'registry') });
  try {
    const runs = [];
    for (const mb of payloadSizes) runs.push(await runSize(registry.host, work, mb));
    const result = {
      benchmark: 'floe-images',
      machine: { cpus: os.cpus().length, node: process.version },
      parameters: { reps, payloadMb: payloadSizes, busybox: haveBusybox(), registry: 'distribution v3.1.2 on 127.0.0.1 (plain HTTP, no auth)' },
      runs,
      note: 'Medians over reps, each into a fresh store (Floe) or a fresh OCI layout and bundle (skopeo + umoci); registry, client and peers share this machine. pull = resolve + download + digest checks + unpack into per-layer directories; rootfs = whiteouts applied and files copied (reflink where the file system has it) or hard-linked; coreutilsCpA/CpAl copy or link the same finished tree with cp -a / cp -al, the floor for each mode. skopeo + umoci is the same work: download to an OCI layout, then unpack into a bundle rootfs; its reps alternate with those of Floe. load is the 1/5/15-minute load average at the end of a run (the machine is shared). overlayMountMs mounts the unpacked layers as overlayfs lowerdirs (informational: a runtime could do that instead of assembling).',
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'images-bench.json'), `${json}\n`);
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One image of `payloadMb` MB over busybox, pushed as bench/app-<size>:1, then pulled and unpacked `reps` times. */
async function runSize(host: string, work: string, payloadMb: number): Promise<Record<string, unknown>> {
  progress(`building the image: ${haveBusybox() ? 'busybox' : 'a few files (no busybox-static)'} + ${payloadMb} MB of payload`);
  const image = await buildImage({ layers: [await baseLayer(), payloadLayer(payloadMb * 1_000_000)], config: { Cmd: ['/bin/sh'] } });
  const ref = normalizeReference(`${host}/bench/app-${payloadMb}:1`);
  await pushBuiltImage(new RegistryClient(), ref, [image], '1');
  const compressed = image.layers.reduce((n, l) => n + l.descriptor.size, 0);
  const uncompressed = image.tars.reduce((n, t) => n + t.length, 0);
  const files = image.diffIds.length;
  const imageName = `${host}/bench/app-${payloadMb}:1`;
  progress(`pushed ${ref.path}: ${files} layers, ${round(compressed / 1e6)} MB compressed, ${round(uncompressed / 1e6)} MB of tar`);

  // Floe and the peers alternate, rep by rep, so both see the same load from whatever else runs on the machine.
  // Floe: pull (resolve, download, verify, unpack) into a fresh store each time; then a rootfs both ways.
  // The peers: skopeo copy (download to an OCI layout) + umoci unpack (layout → bundle rootfs).
  const peers = has('skopeo') && has('umoci');
  const pullMs: number[] = [];
  const copyMs: number[] = [];
  const linkMs: number[] = [];
  const cpCopyMs: number[] = [];
  const cpLinkMs: number[] = [];
  const skopeoMs: number[] = [];
  const umociMs: number[] = [];
  let fileCount = 0;
  let store: ImageStore | undefined;
  for (let r = 0; r < reps; r++) {
    const root = join(work, `store-${payloadMb}-${r}`);
    store = new ImageStore({ root });
    const t0 = process.hrtime.bigint();
    await store.pull(imageName);
    pullMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    for (const [mode, out] of [['copy', copyMs], ['hardlink', linkMs]] as const) {
      const target = join(work, `rootfs-${payloadMb}-${mode}-${r}`);
      const t1 = process.hrtime.bigint();
      const { stats } = await store.rootfs(imageName, target, { mode });
      out.push(Number(process.hrtime.bigint() - t1) / 1e6);
      fileCount = stats.files + stats.symlinks + stats.dirs;
      // The same flattened tree copied by coreutils: what a copy (cp -a) or a link farm (cp -al) costs at best.
      const cpTarget = `${target}-cp`;
      (mode === 'copy' ? cpCopyMs : cpLinkMs).push(timed('cp', [mode === 'copy' ? '-a' : '-al', target, cpTarget]));
      rmSync(target, { recursive: true, force: true });
      rmSync(cpTarget, { recursive: true, force: true });
    }
    if (r < reps - 1) rmSync(root, { recursive: true, force: true });
    if (peers) {
      const layout = join(work, `skopeo-${payloadMb}-${r}`);
      skopeoMs.push(timed('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${imageName}`, `oci:${layout}:app`]));
      const bundle = join(work, `bundle-${payloadMb}-${r}`);
      umociMs.push(timed('umoci', ['unpack', ...(process.getuid?.() === 0 ? [] : ['--rootless']), '--image', `${layout}:app`, bundle]));
      rmSync(layout, { recursive: true, force: true });
      rmSync(bundle, { recursive: true, force: true });
    }
  }

  // overlayfs over the unpacked layers (what a runtime could mount instead of assembling): informational.
  let overlayMs: number | undefined;
  if (process.getuid?.() === 0 && store) {
    const lower = (await store.layerDirs(imageName)).reverse().join(':');
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const base = join(work, `ovl-${payloadMb}-${r}`);
      for (const d of ['upper', 'work', 'merged']) mkdirSync(join(base, d), { recursive: true });
      const t0 = process.hrtime.bigint();
      const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(base, 'upper')},workdir=${join(base, 'work')}`, join(base, 'merged')]);
      if (m.status !== 0) break;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      spawnSync('umount', [join(base, 'merged')]);
    }
    if (times.length === reps) overlayMs = median(times);
  }

  let peer: Record<string, unknown> = { skipped: 'skopeo or umoci is not installed (apt-get install skopeo umoci)' };
  if (peers) {
    const total = skopeoMs.map((c, i) => c + umociMs[i]!);
    peer = {
      versions: { skopeo: spawnSync('skopeo', ['--version'], { encoding: 'utf8' }).stdout.trim(), umoci: spawnSync('umoci', ['--version'], { encoding: 'utf8' }).stdout.trim() },
      skopeoCopyMs: round(median(skopeoMs)),
      umociUnpackMs: round(median(umociMs)),
      pullAndUnpackMs: round(median(total)),
      compressedMBps: round(compressed / 1e6 / (median(total) / 1000)),
      unpackedMBps: round(uncompressed / 1e6 / (median(total) / 1000)),
    };
  }

  const pull = median(pullMs);
  return {
    payloadMb,
    image: { layers: files, compressedBytes: compressed, tarBytes: uncompressed, entries: fileCount },
    load: os.loadavg().map((l) => round(l)),
    floe: {
      pullAndUnpackMs: round(pull),
      compressedMBps: round(compressed / 1e6 / (pull / 1000)),
      unpackedMBps: round(uncompressed / 1e6 / (pull / 1000)),
      rootfsCopyMs: round(median(copyMs)),
      rootfsHardlinkMs: round(median(linkMs)),
      firstContainerMs: round(pull + median(copyMs)),
      coreutilsCpAMs: round(median(cpCopyMs)),
      coreutilsCpAlMs: round(median(cpLinkMs)),
      ...(overlayMs !== undefined ? { overlayMountMs: round(overlayMs) } : {}),
    },
    skopeoUmoci: peer,
  };
}

await main();
