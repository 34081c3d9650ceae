// Test support: a Python + PyTorch OCI image built from this machine's files (Debian's python3.11 with the shared
// libraries ldd finds, its standard library, and the torch distribution with its dependencies from .venvs/torch), with
// a training script at /app/train.py that exists nowhere on the host. Written as an OCI layout of uncompressed layers,
// cached under ~/.cache/floe/images keyed by what went into it, so a machine builds it once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaType } from '../../src/images/index.js';
import { containerSkipReason } from './container-image.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** The environment the image's packages come from (python/envs/torch, built by set-up). */
export const torchVenv = join(root, '.venvs', 'torch');
const sitePackages = join(torchVenv, 'lib', 'python3.11', 'site-packages');
const python = '/usr/bin/python3.11';
const stdlib = '/usr/lib/python3.11';
/** Where the packages go in the image: Debian's python3.11 has it on sys.path, so no PYTHONPATH is needed. */
export const imageSitePackages = '/usr/local/lib/python3.11/dist-packages';
/** Raise it when the way the image is put together changes: older cached layouts are then rebuilt. */
const builderVersion = '1';

/**
 * The distributions the image holds: torch and what `pip install torch` brings along for it on Linux (less triton and
 * the CUDA libraries torch only loads for GPU work or torch.compile, as python/envs/torch leaves them out), and numpy,
 * which torch uses when it is there. Every file of each comes in, as pip installed it (their RECORD).
 */
const distributions = [
  'torch', 'numpy', 'sympy', 'mpmath', 'typing_extensions', 'networkx', 'jinja2', 'markupsafe', 'filelock', 'fsspec',
  'nvidia_cublas_cu12', 'nvidia_cuda_cupti_cu12', 'nvidia_cuda_runtime_cu12', 'nvidia_cudnn_cu12', 'nvidia_cufft_cu12',
  'nvidia_curand_cu12', 'nvidia_cusparse_cu12', 'nvidia_nccl_cu12', 'nvidia_nvjitlink_cu12',
];

/**
 * The image's training script. With torch.distributed over gloo, `init_method='env://'` reads the operator's
 * MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE; every rank adds rank+1 into an all-reduce, so the sum printed shows
 * which ranks took part. It also reports where torch was imported from and whether the host path given as its
 * argument is visible (it must not be: the Pod sees only its image).
 */
export const trainScript = `import os, sys
import torch
import torch.distributed as dist

rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
dist.init_process_group("gloo", init_method="env://")
# One step of data-parallel training by hand: each rank's gradient, averaged with an all-reduce.
model = torch.nn.Linear(4, 1)
torch.manual_seed(rank)
x, y = torch.randn(8, 4), torch.randn(8, 1)
torch.nn.functional.mse_loss(model(x), y).backward()
for p in model.parameters():
    dist.all_reduce(p.grad)
    p.grad /= world
contribution = torch.tensor([float(rank + 1)])
dist.all_reduce(contribution)
host_path = sys.argv[1] if len(sys.argv) > 1 else "/nonexistent"
print(f"rank {rank} of {world}: all_reduce sum={contribution.item():g} backend={dist.get_backend()} "
      f"torch={torch.__version__} from={os.path.dirname(torch.__file__)} host_path_visible={os.path.exists(host_path)}", flush=True)
dist.barrier()
dist.destroy_process_group()
`;

export interface TorchImage {
  /** The OCI layout directory (for `floe image load`). */
  layout: string;
  /** The image's name in the layout's index.json. */
  name: string;
  /** Whether this call built it (false: it came from the cache). */
  built: boolean;
  /** Seconds the build took, when it built. */
  buildSeconds?: number;
  /** Bytes of the layer tars. */
  bytes: number;
  layers: { name: string; bytes: number }[];
}

const imagesCache = (): string => join(process.env.FLOE_CACHE_DIR ?? join(homedir(), '.cache', 'floe'), 'images');
/** Bytes of the image's layer tars (measured: 4.4 GB, nearly all of it torch's CUDA libraries). */
const imageBytes = 4.5e9;

/** Bytes free on the file system of `path`, or of its nearest existing parent. */
function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p)) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

/**
 * Why the image's disk cannot be had here, or false: the layout (unless cached) and its copy unpacked in the test's
 * Floe take the image's size each, with 3 GB left over for the rest of the suite running beside it.
 */
export function torchImageDiskSkipReason(): string | false {
  const cache = imagesCache();
  const cached = existsSync(cache) && readdirSync(cache).some((n) => n.startsWith('pytorch-') && existsSync(join(cache, n, 'complete')));
  const need = (cached ? 1 : 2) * imageBytes + 3e9;
  const free = Math.min(freeBytes(cache), freeBytes(tmpdir()));
  if (free >= need) return false;
  return `the PyTorch image needs ${(need / 1e9).toFixed(1)} GB of free disk (${cached ? 'unpacked in Floe\'s image store' : 'its layout in the cache, then unpacked in Floe\'s image store'}, and room for the rest of the suite); ${(free / 1e9).toFixed(1)} GB are free`;
}

/** Why the PyTorch image cannot be built or run here, or false when it can. */
export function torchImageSkipReason(): string | false {
  const containers = containerSkipReason();
  if (containers) return containers;
  if (!existsSync(join(sitePackages, 'torch', '__init__.py'))) return `.venvs/torch is not installed (${sitePackages}): tools/setup.mjs --with-training-envs builds it`;
  const disk = torchImageDiskSkipReason();
  if (disk) return disk;
  if (!existsSync(python) || !existsSync(stdlib)) return `${python} and ${stdlib} are needed for the image (apt-get install python3.11)`;
  for (const tool of ['tar', 'ldd', 'sha256sum', 'cp']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is needed to build the image`;
  }
  return false;
}

function run(argv: string[], what: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** The top-level entries of site-packages that belong to `dist` (its RECORD's first path components). */
function distributionEntries(dist: string): string[] {
  const info = readdirSync(sitePackages).find((n) => n.endsWith('.dist-info') && n.slice(0, n.indexOf('-')).toLowerCase().replace(/[-.]/g, '_') === dist);
  if (!info) throw new Error(`${dist} is not installed in ${sitePackages}`);
  const record = readFileSync(join(sitePackages, info, 'RECORD'), 'utf8');
  const top = new Set<string>();
  for (const line of record.split('\n')) {
    const path = line.slice(0, line.lastIndexOf(',', line.lastIndexOf(',') - 1));
    const first = path.split('/')[0];
    // Console scripts (`../../../bin/…`) and the shared __pycache__ of single-module distributions stay out.
    if (first && first !== '..' && first !== '__pycache__') top.add(first);
  }
  return [...top].sort();
}

/** The shared libraries `files` need, as ldd resolves them on this machine, outside `exclude`. */
function sharedLibraries(files: readonly string[], exclude: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < files.length; i += 200) {
    const r = spawnSync('ldd', files.slice(i, i + 200), { encoding: 'utf8', maxBuffer: 1 << 26 });
    for (const line of r.stdout.split('\n')) {
      const m = /(?:=>\s+)?(\/\S+)\s+\(0x/.exec(line);
      if (m && !m[1]!.startsWith(exclude)) out.add(m[1]!);
    }
  }
  return [...out].sort();
}

function walkFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

/** Every path under the image's inputs with its size and mtime: what the cache key is made of. */
function inputsDigest(name: string, entries: readonly string[], libs: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`${builderVersion}\n${name}\n${trainScript}\n`);
  for (const f of [python, ...libs]) {
    const st = statSync(f);
    hash.update(`${f} ${st.size} ${st.mtimeMs}\n`);
  }
  for (const f of walkFiles(stdlib)) {
    const st = lstatSync(f);
    hash.update(`${f} ${st.size} ${st.mtimeMs}\n`);
  }
  for (const e of entries) {
    const p = join(sitePackages, e);
    for (const f of lstatSync(p).isDirectory() ? walkFiles(p) : [p]) {
      const st = lstatSync(f);
      hash.update(`${relative(sitePackages, f)} ${st.size} ${st.mtimeMs}\n`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** `src` hard-linked at `dest` (same file system) or else copied; symlinks are followed for single files. */
function place(src: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  if (spawnSync('cp', ['-a', '--link', src, dest]).status === 0) return;
  run(['cp', '-a', src, dest], `copying ${src}`);
}

const tarOptions = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=2024-01-01 00:00:00Z', '--format=gnu'];

/**
 * The PyTorch image's OCI layout, built unless the cache has one for the same inputs: three uncompressed layers
 * (runtime: python3.11 and its libraries; packages: torch and its dependencies; app: /app/train.py).
 */
export function ensureTorchImage(options: { name?: string; cacheDir?: string } = {}): TorchImage {
  const name = options.name ?? 'floe.test/pytorch-train:v1';
  const entries = [...new Set(distributions.flatMap(distributionEntries))].sort();
  const soFiles = entries.flatMap((e) => {
    const p = join(sitePackages, e);
    return lstatSync(p).isDirectory() ? walkFiles(p).filter((f) => /\.so(\.|$)/.test(f)) : [];
  });
  const dynload = walkFiles(join(stdlib, 'lib-dynload')).filter((f) => f.endsWith('.so'));
  // Every library the interpreter, its extension modules and the packages' own libraries link against, from this
  // machine (libcuda and libnvrtc are not found here: torch loads them only for GPU work).
  const libs = sharedLibraries([python, ...dynload, ...soFiles], sitePackages);
  const key = inputsDigest(name, entries, libs);
  const cacheRoot = options.cacheDir ?? imagesCache();
  const layout = join(cacheRoot, `pytorch-${key}`);
  const layersOf = (): TorchImage['layers'] => {
    const manifest = JSON.parse(readFileSync(join(layout, 'manifest.json'), 'utf8')) as { layers: { digest: string; size: number; annotations?: Record<string, string> }[] };
    return manifest.layers.map((l) => ({ name: l.annotations?.['org.opencontainers.image.title'] ?? l.digest, bytes: l.size }));
  };
  if (existsSync(join(layout, 'complete'))) {
    const layers = layersOf();
    return { layout, name, built: false, bytes: layers.reduce((n, l) => n + l.bytes, 0), layers };
  }
  const started = Date.now();
  mkdirSync(cacheRoot, { recursive: true });
  // One cached image at a time: a layout built from older inputs goes.
  for (const old of readdirSync(cacheRoot)) if (old.startsWith('pytorch-')) rmSync(join(cacheRoot, old), { recursive: true, force: true });
  const work = join(cacheRoot, `pytorch-${key}.${process.pid}.tmp`);
  const stage = join(work, 'stage');
  const blobs = join(work, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });

  // runtime: a merged-/usr Debian tree with python3.11, its standard library and every shared library ldd named.
  const runtime = join(stage, 'runtime');
  mkdirSync(join(runtime, 'usr', 'bin'), { recursive: true });
  place(python, join(runtime, 'usr/bin/python3.11'));
  for (const lib of libs) {
    const real = run(['readlink', '-f', lib], 'readlink').trim();
    const inImage = real.replace(/^\/lib(64)?\//, '/usr/lib$1/');
    mkdirSync(dirname(join(runtime, inImage)), { recursive: true });
    run(['cp', '--link', '-L', real, join(runtime, inImage)], `copying ${real}`);
    const asNamed = lib.replace(/^\/lib(64)?\//, '/usr/lib$1/');
    if (asNamed !== inImage && !existsSync(join(runtime, asNamed))) {
      mkdirSync(dirname(join(runtime, asNamed)), { recursive: true });
      run(['ln', '-s', relative(dirname(asNamed), inImage), join(runtime, asNamed)], 'ln');
    }
  }
  place(stdlib, join(runtime, 'usr/lib/python3.11'));
  // Debian's python3.11 keeps its sitecustomize there (the standard library links to it).
  if (existsSync('/etc/python3.11')) place('/etc/python3.11', join(runtime, 'etc/python3.11'));
  for (const [link, target] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin'], ['usr/bin/python3', 'python3.11'], ['usr/bin/python', 'python3.11']] as const) {
    run(['ln', '-s', target, join(runtime, link)], 'ln');
  }
  if (!existsSync(join(runtime, 'usr/lib64/ld-linux-x86-64.so.2'))) {
    mkdirSync(join(runtime, 'usr/lib64'), { recursive: true });
    run(['ln', '-s', '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(runtime, 'usr/lib64/ld-linux-x86-64.so.2')], 'ln');
  }
  mkdirSync(join(runtime, 'usr/sbin'), { recursive: true });
  mkdirSync(join(runtime, 'etc'), { recursive: true });
  writeFileSync(join(runtime, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(runtime, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  // Names resolve from /etc/hosts (the Pod's, with the Services) before DNS, as in Debian's images.
  writeFileSync(join(runtime, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  mkdirSync(join(runtime, 'tmp'), { mode: 0o1777 });
  spawnSync('chmod', ['1777', join(runtime, 'tmp')]);
  mkdirSync(join(runtime, 'root'), { mode: 0o700 });
  run(['ldconfig', '-r', runtime], 'ldconfig -r');

  // packages: the distributions' files as pip installed them.
  const packages = join(stage, 'packages');
  for (const e of entries) place(join(sitePackages, e), join(packages, imageSitePackages, e));

  // app: the training script, and nothing else.
  const app = join(stage, 'app');
  mkdirSync(join(app, 'app'), { recursive: true });
  writeFileSync(join(app, 'app/train.py'), trainScript, { mode: 0o644 });

  const layers: { name: string; digest: string; size: number }[] = [];
  for (const layer of ['runtime', 'packages', 'app']) {
    const dir = join(stage, layer);
    const tar = join(work, `${layer}.tar`);
    run(['tar', '-C', dir, ...tarOptions, '-cf', tar, ...readdirSync(dir).sort()], `tar of the ${layer} layer`);
    const hex = run(['sha256sum', tar], 'sha256sum').split(' ')[0]!;
    const size = statSync(tar).size;
    renameSync(tar, join(blobs, hex));
    rmSync(dir, { recursive: true, force: true });
    layers.push({ name: layer, digest: `sha256:${hex}`, size });
  }
  rmSync(stage, { recursive: true, force: true });

  const put = (body: string): { digest: string; size: number } => {
    const hex = createHash('sha256').update(body).digest('hex');
    writeFileSync(join(blobs, hex), body);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(body) };
  };
  const created = '2024-01-01T00:00:00Z';
  const config = put(JSON.stringify({
    created,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PYTHONUNBUFFERED=1'], Cmd: ['python3', '/app/train.py'], WorkingDir: '/app' },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    history: layers.map((l) => ({ created, created_by: `floe test image: ${l.name}` })),
  }));
  const manifestBody = JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, ...config },
    layers: layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: l.digest, size: l.size, annotations: { 'org.opencontainers.image.title': l.name } })),
  });
  const manifest = put(manifestBody);
  writeFileSync(join(work, 'manifest.json'), manifestBody);
  writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(work, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [{ mediaType: MediaType.ociManifest, ...manifest, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name } }],
  }));
  writeFileSync(join(work, 'complete'), `${new Date().toISOString()}\n`);
  renameSync(work, layout);
  const result = layers.map((l) => ({ name: l.name, bytes: l.size }));
  return { layout, name, built: true, buildSeconds: (Date.now() - started) / 1000, bytes: result.reduce((n, l) => n + l.bytes, 0), layers: result };
}
