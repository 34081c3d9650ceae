// Test support: Python OCI images built from this machine's files (Debian's python3.11 with the shared libraries ldd
// finds and its standard library, distributions from a virtualenv's site-packages as pip installed them, app files),
// written as OCI layouts of uncompressed layers, cached under ~/.cache/floe/images keyed by what went into them, so a
// machine builds each once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { MediaType } from '../../src/images/index.js';

const python = '/usr/bin/python3.11';
const stdlib = '/usr/lib/python3.11';
const busybox = '/usr/bin/busybox';
/** Where the packages go in the image: Debian's python3.11 has it on sys.path, so no PYTHONPATH is needed. */
export const imageSitePackages = '/usr/local/lib/python3.11/dist-packages';
/** Raise it when the way the images are put together changes: older cached layouts are then rebuilt. */
const builderVersion = '2';

export interface PythonImageSpec {
  /** The cache folder's prefix (`<prefix>-<key>`): one layout per prefix is kept. */
  prefix: string;
  /** The image's name in the layout's index.json. */
  name: string;
  /** The site-packages the distributions come from. */
  sitePackages: string;
  /**
   * The distributions the image holds, by normalized name (lower case, `_` for `-` and `.`), or every one installed
   * in `sitePackages`. Every file of each comes in, as pip installed it (their RECORD).
   */
  distributions: readonly string[] | 'all';
  /** Launchers in /usr/bin, as pip writes console scripts: name → `module:function`. */
  scripts?: Readonly<Record<string, string>>;
  /** The app layer: path in the image → content. No files, no app layer. */
  appFiles?: Readonly<Record<string, string>>;
  config: { Cmd: string[]; WorkingDir: string; Env: string[] };
  /**
   * Debian's static busybox in /usr/bin with its applets linked beside it (/bin/sh and the usual tools), except where
   * the runtime already has the name (python3, python).
   */
  busybox?: boolean;
  /**
   * Leave Debian's EXTERNALLY-MANAGED marker out of the standard library, so that `pip install` into the system
   * interpreter works, as in the python:* images.
   */
  pipInstalls?: boolean;
}

export interface PythonImage {
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
/** A cached layout of `prefix` (`<prefix>-<key>`), or one being built (`<prefix>-<key>.<pid>.tmp`). */
const layoutName = (prefix: string): RegExp => new RegExp(`^${prefix.replace(/[^a-z0-9]/gi, '\\$&')}-[0-9a-f]{16}(?:\\.(\\d+)\\.tmp)?$`);

/** Bytes free on the file system of `path`, or of its nearest existing parent. */
function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p)) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

/**
 * Why an image's disk cannot be had here, or false: the layout (unless cached) and its copy unpacked in the test's
 * Floe take the image's size (`bytes`) each, with 3 GB left over for the rest of the suite running beside it.
 */
export function pythonImageDiskSkipReason(image: { title: string; prefix: string; bytes: number }): string | false {
  const cache = imagesCache();
  const cached = existsSync(cache) && readdirSync(cache).some((n) => layoutName(image.prefix).test(n) && existsSync(join(cache, n, 'complete')));
  const need = (cached ? 1 : 2) * image.bytes + 3e9;
  const free = Math.min(freeBytes(cache), freeBytes(tmpdir()));
  if (free >= need) return false;
  return `${image.title} needs ${(need / 1e9).toFixed(1)} GB of free disk (${cached ? 'unpacked in Floe\'s image store' : 'its layout in the cache, then unpacked in Floe\'s image store'}, and room for the rest of the suite); ${(free / 1e9).toFixed(1)} GB are free`;
}

/** Why this machine cannot put a Python image together (Debian's python3.11, the tools the build runs), or false. */
export function pythonImageBuildSkipReason(): string | false {
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

/** The normalized name of a `*.dist-info` folder's distribution. */
const distributionOf = (info: string): string => info.slice(0, info.indexOf('-')).toLowerCase().replace(/[-.]/g, '_');

/** The top-level entries of `sitePackages` that belong to the distribution of `info` (its RECORD's first path components). */
function recordEntries(sitePackages: string, info: string): string[] {
  const record = readFileSync(join(sitePackages, info, 'RECORD'), 'utf8');
  const top = new Set<string>();
  for (const line of record.split('\n')) {
    const path = line.slice(0, line.lastIndexOf(',', line.lastIndexOf(',') - 1));
    const first = path.split('/')[0];
    // Console scripts (`../../../bin/…`) and the shared __pycache__ of single-module distributions stay out.
    if (first && first !== '..' && first !== '__pycache__') top.add(first);
  }
  return [...top];
}

/** The top-level entries of `sitePackages` that the spec's distributions take. */
function distributionEntries(spec: PythonImageSpec): string[] {
  const infos = readdirSync(spec.sitePackages).filter((n) => n.endsWith('.dist-info'));
  const chosen = spec.distributions === 'all' ? infos : spec.distributions.map((dist) => {
    const info = infos.find((n) => distributionOf(n) === dist);
    if (!info) throw new Error(`${dist} is not installed in ${spec.sitePackages}`);
    return info;
  });
  return [...new Set(chosen.flatMap((info) => recordEntries(spec.sitePackages, info)))].sort();
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

/** The spec and every path under the image's inputs with its size and mtime: what the cache key is made of. */
function inputsDigest(spec: PythonImageSpec, entries: readonly string[], libs: readonly string[]): string {
  const hash = createHash('sha256');
  // The spec carries the app files' contents, the scripts and the image config.
  hash.update(`${builderVersion}\n${JSON.stringify(spec)}\n`);
  for (const f of [python, ...libs, ...(spec.busybox ? [busybox] : [])]) {
    const st = statSync(f);
    hash.update(`${f} ${st.size} ${st.mtimeMs}\n`);
  }
  for (const f of walkFiles(stdlib)) {
    const st = lstatSync(f);
    hash.update(`${f} ${st.size} ${st.mtimeMs}\n`);
  }
  for (const e of entries) {
    const p = join(spec.sitePackages, e);
    for (const f of lstatSync(p).isDirectory() ? walkFiles(p) : [p]) {
      const st = lstatSync(f);
      hash.update(`${relative(spec.sitePackages, f)} ${st.size} ${st.mtimeMs}\n`);
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

/** Whether `path` exists, a dangling symlink included. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Layouts of `prefix`, and builds left by processes that are gone: one cached image per prefix. */
function removeOlderLayouts(cacheRoot: string, prefix: string): void {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const old of readdirSync(cacheRoot)) {
    const m = layoutName(prefix).exec(old);
    if (!m) continue;
    // Another process building (the same inputs or newer ones) keeps its work folder.
    if (m[1] && Number(m[1]) !== process.pid && alive(Number(m[1]))) continue;
    rmSync(join(cacheRoot, old), { recursive: true, force: true });
  }
}

/** Links Debian's static busybox and its applets into the runtime tree, leaving every name the runtime has. */
function addBusybox(runtime: string): void {
  place(busybox, join(runtime, 'usr/bin/busybox'));
  const applets = run([busybox, '--list'], 'busybox --list').split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of applets) {
    if (present(join(runtime, 'usr/bin', applet)) || present(join(runtime, 'usr/sbin', applet))) continue;
    run(['ln', '-s', 'busybox', join(runtime, 'usr/bin', applet)], 'ln');
  }
}

const tarOptions = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=2024-01-01 00:00:00Z', '--format=gnu'];

/**
 * The image's OCI layout, built unless the cache has one for the same inputs: up to three uncompressed layers
 * (runtime: python3.11, its libraries and busybox; packages: the distributions and their launchers; app: the app files).
 */
export function ensurePythonImage(spec: PythonImageSpec, options: { cacheDir?: string } = {}): PythonImage {
  const { sitePackages, name } = spec;
  const entries = distributionEntries(spec);
  const soFiles = entries.flatMap((e) => {
    const p = join(sitePackages, e);
    return lstatSync(p).isDirectory() ? walkFiles(p).filter((f) => /\.so(\.|$)/.test(f)) : [];
  });
  const dynload = walkFiles(join(stdlib, 'lib-dynload')).filter((f) => f.endsWith('.so'));
  // Every library the interpreter, its extension modules and the packages' own libraries link against, from this
  // machine (for torch, libcuda and libnvrtc are not found here: it loads them only for GPU work).
  const libs = sharedLibraries([python, ...dynload, ...soFiles], sitePackages);
  const key = inputsDigest(spec, entries, libs);
  const cacheRoot = options.cacheDir ?? imagesCache();
  const layout = join(cacheRoot, `${spec.prefix}-${key}`);
  const layersOf = (): PythonImage['layers'] => {
    const manifest = JSON.parse(readFileSync(join(layout, 'manifest.json'), 'utf8')) as { layers: { digest: string; size: number; annotations?: Record<string, string> }[] };
    return manifest.layers.map((l) => ({ name: l.annotations?.['org.opencontainers.image.title'] ?? l.digest, bytes: l.size }));
  };
  if (existsSync(join(layout, 'complete'))) {
    const layers = layersOf();
    return { layout, name, built: false, bytes: layers.reduce((n, l) => n + l.bytes, 0), layers };
  }
  const started = Date.now();
  mkdirSync(cacheRoot, { recursive: true });
  removeOlderLayouts(cacheRoot, spec.prefix);
  const work = join(cacheRoot, `${spec.prefix}-${key}.${process.pid}.tmp`);
  rmSync(work, { recursive: true, force: true });
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
  if (spec.pipInstalls) rmSync(join(runtime, 'usr/lib/python3.11/EXTERNALLY-MANAGED'), { force: true });
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
  if (spec.busybox) addBusybox(runtime);
  mkdirSync(join(runtime, 'etc'), { recursive: true });
  writeFileSync(join(runtime, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(runtime, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  // Names resolve from /etc/hosts (the Pod's, with the Services) before DNS, as in Debian's images.
  writeFileSync(join(runtime, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  mkdirSync(join(runtime, 'tmp'), { mode: 0o1777 });
  spawnSync('chmod', ['1777', join(runtime, 'tmp')]);
  mkdirSync(join(runtime, 'root'), { mode: 0o700 });
  run(['ldconfig', '-r', runtime], 'ldconfig -r');

  // packages: the distributions' files as pip installed them, and their launchers.
  const packages = join(stage, 'packages');
  for (const e of entries) place(join(sitePackages, e), join(packages, imageSitePackages, e));
  for (const [script, target] of Object.entries(spec.scripts ?? {})) {
    const [module, fn] = target.split(':');
    mkdirSync(join(packages, 'usr/bin'), { recursive: true });
    writeFileSync(join(packages, 'usr/bin', script), `#!/usr/bin/python3\nimport sys\nfrom ${module} import ${fn}\nif __name__ == "__main__":\n    sys.exit(${fn}())\n`, { mode: 0o755 });
  }

  // app: the app files, and nothing else.
  const app = join(stage, 'app');
  for (const [path, content] of Object.entries(spec.appFiles ?? {})) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), content, { mode: 0o644 });
  }

  const layers: { name: string; digest: string; size: number }[] = [];
  for (const layer of ['runtime', 'packages', 'app']) {
    const dir = join(stage, layer);
    if (!existsSync(dir)) continue;
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
    config: spec.config,
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
  // A process building the same inputs beside this one may have finished first: its layout is this one.
  if (existsSync(join(layout, 'complete'))) rmSync(work, { recursive: true, force: true });
  else renameSync(work, layout);
  const result = layers.map((l) => ({ name: l.name, bytes: l.size }));
  return { layout, name, built: true, buildSeconds: (Date.now() - started) / 1000, bytes: result.reduce((n, l) => n + l.bytes, 0), layers: result };
}
