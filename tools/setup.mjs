// Installs what `npm start` / `npm test` need and is missing, then builds. Node built-ins only.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (msg) => console.error(`[floe setup] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    step(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

/** Free space on the file system holding `path`, in GB: set-up prints it around its large steps. */
function freeGB(path) {
  const s = statfsSync(path);
  return (s.bavail * s.bsize) / 1e9;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// 1. npm packages, reinstalled whenever package-lock.json changes.
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.floe-lock-hash');
const lockHash = existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : 'none';
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
  step('installing npm packages (better-sqlite3 compiles from source: about 2 minutes the first time)');
  // onnxruntime-node's postinstall would fetch GPU binaries from a host this machine cannot reach; its CPU binary ships
  // in the package, so the download is skipped.
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund'], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  writeFileSync(stamp, lockHash);
}

// 2. kubectl, which the end-to-end suite drives. Debian's package is the fallback.
if (process.argv.includes('--with-kubectl') || process.env.npm_lifecycle_event === 'pretest') {
  if (!has('kubectl')) {
    step('kubectl is missing: installing Debian kubernetes-client');
    run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client']);
  }
}

// 2b. runc, which runs Pods whose image is in Floe's image store (docs/adr/0010), and for the tests Debian's static
//     busybox, from which they build their images, and Debian's prometheus, which test/prometheus.test.ts starts to
//     scrape Floe's /metrics. apt needs root; without it container Pods say runc is missing.
{
  const forTests = process.env.npm_lifecycle_event === 'pretest';
  const wanted = [
    ...(has('runc') || existsSync('/usr/sbin/runc') ? [] : ['runc']),
    ...(forTests && !existsSync('/usr/bin/busybox') ? ['busybox-static'] : []),
    ...(forTests && !has('prometheus') ? ['prometheus'] : []),
    // Open MPI for MPIJobs (mpirun, orted) and for building mpi4py in python/envs/mpi.
    ...(has('mpirun') && has('mpicc') ? [] : ['openmpi-bin', 'libopenmpi-dev']),
    // Debian's chromium, which the dashboard's browser tests (test/browser) drive through playwright-core.
    ...(forTests && !existsSync('/usr/bin/chromium') ? ['chromium'] : []),
  ];
  if (wanted.length > 0 && process.getuid?.() === 0) {
    step(`installing Debian ${wanted.join(' ')} (container Pods)`);
    run('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${wanted.join(' ')}`]);
  } else if (wanted.length > 0) {
    step(`${wanted.join(' ')} missing and not root: Pods whose image is in the store cannot run in containers (apt-get install ${wanted.join(' ')})`);
  }
}

// 3. A project virtualenv with the pinned Python packages (requirements.txt), rebuilt when that file changes.
if (process.env.npm_lifecycle_event === 'pretest' || process.argv.includes('--with-python')) {
  const venv = join(root, '.venv');
  const python = join(venv, 'bin', 'python');
  const reqs = join(root, 'requirements.txt');
  const reqStamp = join(venv, '.floe-requirements-hash');
  const reqHash = createHash('sha256').update(readFileSync(reqs)).digest('hex');
  if (!existsSync(python)) {
    step('creating the Python virtualenv in .venv');
    const py = has('python3') ? 'python3' : '/usr/bin/python3';
    const r = spawnSync(py, ['-m', 'venv', venv], { stdio: 'inherit' });
    if (r.status !== 0) {
      step('python3 -m venv failed: installing Debian python3-venv');
      run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip']);
      run('/usr/bin/python3', ['-m', 'venv', venv]);
    }
  }
  if (!existsSync(reqStamp) || readFileSync(reqStamp, 'utf8') !== reqHash) {
    step('installing pinned Python packages from requirements.txt');
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', reqs]);
    writeFileSync(reqStamp, reqHash);
  }
}

const lifecycle = process.env.npm_lifecycle_event;

// 4. The real control plane the conformance and cluster suites compare against (tools/control-plane.mjs): built
//    once from Go modules into ~/.cache/floe. Without a Go toolchain those suites say why they skip.
if (lifecycle === 'pretest' && process.env.FLOE_SKIP_CONTROL_PLANE !== '1') {
  if (has('go')) {
    step('building the real control plane (kube-apiserver, kube-scheduler, kube-controller-manager, kwok) if not cached');
    run(process.execPath, [join(root, 'tools', 'control-plane.mjs'), 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } else {
    step('no Go toolchain: the kube-apiserver conformance run and the cluster suite will be skipped');
  }
}

// 4b. The distribution registry the image tests pull from (tools/registry.mjs), built once into ~/.cache/floe, so
//     that test files running in parallel do not each build it. Not for `npm start`: nothing there needs it.
if (lifecycle === 'pretest' && has('go') && process.env.FLOE_SKIP_REGISTRY !== '1') {
  step('building the distribution registry for the image tests (first time: about a minute) if not cached');
  run(process.execPath, [join(root, 'tools', 'registry.mjs'), 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
// 4c. fake-gcs-server for the gs:// storageUri tests (tools/fake-gcs-server.mjs; test/helpers/gcs-server.ts builds it too).
if (lifecycle === 'pretest' && has('go')) run(process.execPath, [join(root, 'tools', 'fake-gcs-server.mjs'), 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
// 4d. Go's build cache (4 GB after kube-apiserver's) and module cache (3 GB) are not needed once the binaries are
//     cached: they go, before the Python environments take their space. A rebuild downloads the modules again.
if (lifecycle === 'pretest') {
  const goCache = join(process.env.FLOE_CACHE_DIR ?? join(homedir(), '.cache', 'floe'), 'go');
  if (existsSync(join(goCache, 'build'))) rmSync(join(goCache, 'build'), { recursive: true, force: true });
  if (existsSync(join(goCache, 'mod'))) {
    // Go writes its module cache read-only; `go clean -modcache` removes it all the same.
    if (!has('go') || spawnSync('go', ['clean', '-modcache'], { env: { ...process.env, GOMODCACHE: join(goCache, 'mod'), GOTOOLCHAIN: 'local', GOFLAGS: '' }, stdio: 'inherit' }).status !== 0) {
      step(`could not empty Go's module cache ${join(goCache, 'mod')}`);
    }
  }
  step(`Go programs built (${freeGB(root).toFixed(1)} GB free on disk)`);
}

// 5. The training frameworks' environments: one virtualenv per folder of python/envs (.venvs/<name>), from its
//    pinned requirements.txt, whose header may say `# python: <interpreter>`, `# pip-args: <args>`, `# apt: <packages>`,
//    `# extends: <env>` (that environment's site-packages comes after this one's on sys.path, through a .pth file, so
//    that torch and its CUDA libraries, 4.4 GB, are installed once). Floe's image table maps framework images to them.
//    pip keeps no cache: the wheels would double the disk these environments take. FLOE_SKIP_TRAINING_ENVS=1 skips this.
if ((lifecycle === 'pretest' || lifecycle === 'prestart' || process.argv.includes('--with-training-envs')) && process.env.FLOE_SKIP_TRAINING_ENVS !== '1') {
  const envsDir = join(root, 'python', 'envs');
  const headerOf = (text, key) => text.split('\n').find((l) => l.startsWith(`# ${key}:`))?.slice(key.length + 3).trim();
  const names = (existsSync(envsDir) ? readdirSync(envsDir).sort() : []).filter((n) => existsSync(join(envsDir, n, 'requirements.txt')));
  const extendsOf = (n) => headerOf(readFileSync(join(envsDir, n, 'requirements.txt'), 'utf8'), 'extends');
  // An environment that others extend comes first (the largest, torch, while the disk is emptiest); those that extend
  // another come last.
  const bases = new Set(names.map(extendsOf).filter(Boolean));
  for (const name of [...names.filter((n) => bases.has(n)), ...names.filter((n) => !bases.has(n) && !extendsOf(n)), ...names.filter((n) => extendsOf(n))]) {
    const reqs = join(envsDir, name, 'requirements.txt');
    const text = readFileSync(reqs, 'utf8');
    const header = (key) => headerOf(text, key);
    const venv = join(root, '.venvs', name);
    const python = join(venv, 'bin', 'python');
    const stampFile = join(venv, '.floe-requirements-hash');
    const hash = createHash('sha256').update(text).digest('hex');
    if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) continue;
    const base = header('extends');
    if (base && !names.includes(base)) {
      step(`python/envs/${name} extends ${base}, which is not an environment here`);
      process.exit(1);
    }
    const apt = header('apt');
    if (apt) {
      const missing = apt.split(/\s+/).filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
      if (missing.length > 0) {
        step(`installing Debian packages for the ${name} environment: ${missing.join(' ')}`);
        run('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`]);
      }
    }
    if (!existsSync(python)) {
      const interpreter = header('python') ?? (has('python3') ? 'python3' : '/usr/bin/python3');
      step(`creating the ${name} training environment in .venvs/${name} (${interpreter})`);
      run(interpreter, ['-m', 'venv', venv]);
    }
    step(`installing the ${name} training environment from python/envs/${name}/requirements.txt (the first time takes minutes: large wheels; ${freeGB(root).toFixed(1)} GB free on disk)`);
    const pipArgs = (header('pip-args') ?? '').split(/\s+/).filter(Boolean);
    run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-cache-dir', '--progress-bar', 'off', ...pipArgs, '-r', reqs]);
    if (base) {
      const sitePackages = (py) => execFileSync(py, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
      writeFileSync(join(sitePackages(python), `_floe_extends_${base}.pth`), `${sitePackages(join(root, '.venvs', base, 'bin', 'python'))}\n`);
    }
    writeFileSync(stampFile, hash);
  }
}

// 6. Build (incremental).
step('building with tsc');
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
try {
  execFileSync('node', ['-e', "require('better-sqlite3')(':memory:').close()"], { cwd: root, stdio: 'ignore' });
} catch {
  step('better-sqlite3 does not load; rebuilding it');
  run('npm', ['rebuild', 'better-sqlite3']);
}
// 6b. The dashboard (web/, its own package; docs/adr/0013): `npm ci` when web/package-lock.json changes, `vite build`
//     into web/dist when its sources change. A failure leaves Floe usable: /ui/ then says the dashboard is not built.
{
  const web = join(root, 'web');
  const hashOf = (paths) => {
    const h = createHash('sha256');
    const walk = (p) => {
      if (!existsSync(p)) return;
      if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
      else h.update(p.slice(web.length)).update(readFileSync(p));
    };
    for (const p of paths) walk(join(web, p));
    return h.digest('hex');
  };
  if (existsSync(join(web, 'package.json'))) {
    const webLockHash = hashOf(['package-lock.json']);
    const webStamp = join(web, 'node_modules', '.floe-lock-hash');
    let ok = true;
    if (!existsSync(webStamp) || readFileSync(webStamp, 'utf8') !== webLockHash) {
      step('installing the dashboard\'s npm packages (web/)');
      ok = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: web, stdio: 'inherit' }).status === 0;
      if (ok) writeFileSync(webStamp, webLockHash);
    }
    const sourceHash = hashOf(['src', 'index.html', 'vite.config.ts', 'package-lock.json']);
    const builtStamp = join(web, 'dist', '.floe-source-hash');
    if (ok && (!existsSync(builtStamp) || readFileSync(builtStamp, 'utf8') !== sourceHash)) {
      step('building the dashboard (vite build → web/dist)');
      ok = spawnSync(process.execPath, [join(web, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' }).status === 0;
      if (ok) writeFileSync(builtStamp, sourceHash);
    }
    if (!ok && lifecycle === 'pretest') {
      // The browser suite would only skip: a test run must not pass over a dashboard that does not build.
      step('the dashboard did not build (cd web && npm ci && npx vite build)');
      process.exit(1);
    }
    if (!ok) step('the dashboard did not build: Floe runs, and /ui/ says so (cd web && npm ci && npx vite build)');
  }
}
step(`ready (${freeGB(root).toFixed(1)} GB free on disk)`);
// The CLI of this checkout: bin/floe runs dist/src/cli/main.js from wherever it is linked.
step(`the floe command: ${join(root, 'bin', 'floe')} (put it on your PATH: ln -s "${join(root, 'bin', 'floe')}" ~/.local/bin/floe)`);
