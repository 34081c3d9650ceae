// A real Kubernetes control plane on loopback, Floe's yardstick: etcd (Debian's etcd-server); kube-apiserver,
// kube-scheduler, kube-controller-manager and kwok built from their Go modules at the versions pinned in
// tools/control-plane/go.mod (cached by the hash of go.mod and go.sum); kwok runs a fake node and moves Pods along.
//
//   node tools/control-plane.mjs build            build (or find cached) binaries; prints their paths as JSON
//   node tools/control-plane.mjs up [--dir DIR]   start etcd, kube-apiserver and kwok; write DIR/kubeconfig; print
//                                                 one JSON line {"ready":true,...}; stop everything on SIGINT/SIGTERM
//
// Needs the Go toolchain (go 1.23+) and root for `apt-get install etcd-server` when etcd is missing.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = join(root, 'tools', 'control-plane');
const cacheRoot = process.env.FLOE_CACHE_DIR ?? join(homedir(), '.cache', 'floe');
const log = (msg) => process.stderr.write(`[control-plane] ${msg}\n`);

const haveGo = () => spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0;

function goEnv() {
  return { ...process.env, GOMODCACHE: join(cacheRoot, 'go', 'mod'), GOCACHE: join(cacheRoot, 'go', 'build'), GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
}

/** Builds kube-apiserver and kwok once per go.mod + go.sum; installs etcd-server when etcd is missing. */
export function build() {
  const hasher = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'kwok/go.mod', 'kwok/go.sum']) hasher.update(readFileSync(join(moduleDir, f)));
  const hash = hasher.digest('hex').slice(0, 16);
  const bin = join(cacheRoot, 'control-plane', hash, 'bin');
  const binaries = {
    kubeApiserver: join(bin, 'kube-apiserver'),
    kubeScheduler: join(bin, 'kube-scheduler'),
    kubeControllerManager: join(bin, 'kube-controller-manager'),
    kwok: join(bin, 'kwok'),
    etcd: '/usr/bin/etcd',
    /** kwok's own Pod stage files, copied out of its module (set-up empties Go's module cache once the build is done). */
    kwokStages: join(bin, '..', 'kwok-stages'),
  };
  const targets = [
    ['kube-apiserver', 'k8s.io/kubernetes/cmd/kube-apiserver'],
    ['kube-scheduler', 'k8s.io/kubernetes/cmd/kube-scheduler'],
    ['kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-controller-manager'],
    ['kwok', 'sigs.k8s.io/kwok/cmd/kwok', 'kwok'],
  ];
  for (const [name, pkg, sub] of targets) {
    const out = join(bin, name);
    if (existsSync(out)) continue;
    if (!haveGo()) throw new Error('the Go toolchain is not on the PATH: it builds kube-apiserver and kwok');
    mkdirSync(bin, { recursive: true });
    log(`building ${name} from ${pkg} (first time: minutes; cached in ${bin})`);
    const started = Date.now();
    const r = spawnSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', `${out}.tmp`, pkg], { cwd: sub ? join(moduleDir, sub) : moduleDir, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`go build ${pkg} failed (exit ${r.status ?? r.signal})`);
    execFileSync('mv', [`${out}.tmp`, out]);
    log(`built ${name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  if (!existsSync(join(binaries.kwokStages, kwokStageFiles.at(-1)))) {
    if (!haveGo()) throw new Error("the Go toolchain is not on the PATH: it fetches kwok's stage files");
    const version = /sigs\.k8s\.io\/kwok v(\S+)/.exec(readFileSync(join(moduleDir, 'kwok', 'go.mod'), 'utf8'))?.[1];
    const r = spawnSync('go', ['mod', 'download', '-json', `sigs.k8s.io/kwok@v${version}`], { cwd: join(moduleDir, 'kwok'), env: goEnv(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`go mod download sigs.k8s.io/kwok@v${version} failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
    const source = join(JSON.parse(r.stdout).Dir, 'kustomize', 'stage', 'pod', 'fast');
    const tmp = `${binaries.kwokStages}.${process.pid}.tmp`;
    mkdirSync(tmp, { recursive: true });
    for (const f of kwokStageFiles) writeFileSync(join(tmp, f), readFileSync(join(source, f)));
    rmSync(binaries.kwokStages, { recursive: true, force: true });
    renameSync(tmp, binaries.kwokStages);
  }
  if (!existsSync(binaries.etcd)) {
    log('etcd is missing: installing Debian etcd-server');
    const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server'], { stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(binaries.etcd)) throw new Error('could not install etcd-server');
  }
  return binaries;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url, options, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, options);
      if (res.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * kwok's own Pod stages (ready, complete for Jobs, delete; read from its module), plus one that completes a Running Pod
 * annotated `kwok.floe.dev/complete: Succeeded`, as training replicas that exit 0 would.
 */
function kwokStages(dir) {
  const defaults = kwokStageFiles.map((f) => readFileSync(join(dir, f), 'utf8'));
  return [...defaults, completeOnRequest].join('\n---\n');
}

/** kwok's stages for Pods that Floe's tests use (kustomize/stage/pod/fast in its module). */
const kwokStageFiles = ['pod-ready.yaml', 'pod-complete.yaml', 'pod-delete.yaml'];

const completeOnRequest = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete-on-request
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: '.metadata.annotations["kwok.floe.dev/complete"]'
        operator: 'In'
        values: ['Succeeded']
      - key: '.status.phase'
        operator: 'In'
        values: ['Running']
  delay:
    durationMilliseconds: 500
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Succeeded
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            reason: Completed
            finishedAt: {{ $now | Quote }}
            startedAt: {{ $now | Quote }}
      {{ end }}
`;

export async function up(dir) {
  const bins = build();
  mkdirSync(dir, { recursive: true });
  const [etcdPort, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const children = [];
  const stop = async () => {
    for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  };
  const start = (name, cmd, args) => {
    const out = join(dir, `${name}.log`);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => writeFileSync(out, d, { flag: 'a' }));
    child.once('exit', (code, signal) => log(`${name} exited (${code ?? signal}); its log: ${out}`));
    children.push(child);
    return child;
  };
  try {
    start('etcd', bins.etcd, [
      '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `default=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync', '--log-level', 'warn',
    ]);
    await waitHttp(`http://127.0.0.1:${etcdPort}/health`, {}, 'etcd');

    // Certificates: a CA and serving certificate (the same code Floe uses), a service-account key pair, a token.
    const { ensureServingCertificate } = await import(join(root, 'dist', 'src', 'server', 'tls.js'));
    const cert = ensureServingCertificate(dir, ['127.0.0.1', 'localhost']);
    const pki = join(dir, 'pki');
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    writeFileSync(join(pki, 'sa.pub'), publicKey);
    writeFileSync(join(pki, 'sa.key'), privateKey, { mode: 0o600 });
    const token = createHash('sha256').update(privateKey).digest('hex').slice(0, 32);
    writeFileSync(join(pki, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });

    start('kube-apiserver', bins.kubeApiserver, [
      '--etcd-servers', `http://127.0.0.1:${etcdPort}`,
      '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', '--secure-port', String(apiPort),
      '--tls-cert-file', join(pki, 'server.crt'), '--tls-private-key-file', join(pki, 'server.key'), '--client-ca-file', join(pki, 'ca.crt'),
      '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local', '--service-account-key-file', join(pki, 'sa.pub'),
      '--service-account-signing-key-file', join(pki, 'sa.key'), '--token-auth-file', join(pki, 'tokens.csv'),
      '--authorization-mode', 'Node,RBAC', '--service-cluster-ip-range', '10.96.0.0/16', '--allow-privileged=true',
      '--enable-priority-and-fairness=false', '--cert-dir', join(dir, 'certs'), '--v', '0',
    ]);
    const url = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: real',
      'clusters:', '- name: real', '  cluster:', `    server: ${url}`, `    certificate-authority-data: ${Buffer.from(cert.caPem).toString('base64')}`,
      'users:', '- name: admin', '  user:', `    token: ${token}`,
      'contexts:', '- name: real', '  context: {cluster: real, user: admin, namespace: default}', '',
    ].join('\n'), { mode: 0o600 });
    await waitApi(url, token, cert.caPem);

    start('kube-scheduler', bins.kubeScheduler, ['--kubeconfig', kubeconfig, '--leader-elect=false', '--bind-address', '127.0.0.1', '--secure-port', '0', '--v', '0']);
    start('kube-controller-manager', bins.kubeControllerManager, [
      '--kubeconfig', kubeconfig, '--leader-elect=false', '--bind-address', '127.0.0.1', '--secure-port', '0',
      '--service-account-private-key-file', join(pki, 'sa.key'), '--root-ca-file', join(pki, 'ca.crt'),
      '--use-service-account-credentials=false', '--controllers', '*,-nodeipam,-serviceaccount-token', '--v', '0',
    ]);
    writeFileSync(join(dir, 'kwok-stages.yaml'), kwokStages(bins.kwokStages));
    start('kwok', bins.kwok, [
      '--kubeconfig', kubeconfig, '--manage-all-nodes=false', '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--cidr=10.0.0.1/24', '--node-ip=10.0.0.1', `--config=${join(dir, 'kwok-stages.yaml')}`,
    ]);
    await createFakeNode(url, token, cert.caPem);
    return { url, kubeconfig, token, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One Node that kwok keeps Ready: Pods scheduled there are moved along by kwok's stages. */
async function createFakeNode(url, token, caPem) {
  const { request } = await import('node:https');
  const node = {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'kwok-node-0', annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { type: 'kwok', 'kubernetes.io/hostname': 'kwok-node-0', 'kubernetes.io/os': 'linux' } },
    status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
  };
  const body = JSON.stringify(node);
  await new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/nodes`, { method: 'POST', ca: caPem, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 201 || res.statusCode === 409 ? resolve() : reject(new Error(`creating the kwok node: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** kube-apiserver's /readyz over its own CA with the admin token. */
async function waitApi(url, token, caPem) {
  const { request } = await import('node:https');
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const req = request(`${url}/readyz`, { ca: caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`kube-apiserver did not become ready at ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command] = process.argv.slice(2);
  const dirArg = process.argv.indexOf('--dir');
  if (command === 'build') {
    process.stdout.write(`${JSON.stringify(build())}\n`);
  } else if (command === 'up') {
    const dir = dirArg >= 0 ? process.argv[dirArg + 1] : mkdtempSync(join(tmpdir(), 'floe-control-plane-'));
    const plane = await up(dir);
    process.stdout.write(`${JSON.stringify({ ready: true, url: plane.url, kubeconfig: plane.kubeconfig, dir })}\n`);
    const shutdown = () => plane.stop().then(() => {
      if (dirArg < 0) rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } else {
    process.stderr.write('usage: node tools/control-plane.mjs build | up [--dir DIR]\n');
    process.exit(2);
  }
}
