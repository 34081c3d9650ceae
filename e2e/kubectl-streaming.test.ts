// The real kubectl drives exec, attach, cp and port-forward against a running `floe up`: WebSocket first (what kubectl
// 1.32 sends), the SPDY fallback too, for host-process Pods and (where runc works) container Pods.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSkipReason, floeImageLoad, writeTestImage } from '../test/helpers/container-image.js';
import { runProcess, type ProcessResult } from '../test/helpers/run-process.js';
import { kubectl, removeDir, startFloeProcess, waitFor, type RunningFloe } from './harness.js';

/** kubectl with extra environment (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false turns its WebSocket attempt off). */
function kubectlWith(floe: RunningFloe, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ProcessResult> {
  return runProcess('kubectl', ['--kubeconfig', floe.kubeconfig, '--cache-dir', join(floe.dataDir, 'kubectl-cache'), ...args], options);
}

/** A long-running kubectl (port-forward, attach): its output so far, input to it, and stop. */
function kubectlLong(floe: RunningFloe, args: string[], env: NodeJS.ProcessEnv = {}): { output: () => string; write: (text: string) => void; exited: Promise<number>; stop: () => Promise<void> } {
  const child = spawn('kubectl', ['--kubeconfig', floe.kubeconfig, '--cache-dir', join(floe.dataDir, 'kubectl-cache'), ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    output: () => out,
    write: (text) => child.stdin.write(text),
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** kubectl under a pseudo-terminal (util-linux `script`), for `exec -it`; stdin stays open until kubectl ends. */
function kubectlInTerminal(floe: RunningFloe, command: string): Promise<{ code: number; output: string }> {
  const line = `stty cols 91 rows 33; kubectl --kubeconfig ${floe.kubeconfig} --cache-dir ${join(floe.dataDir, 'kubectl-cache')} ${command}`;
  const child = spawn('script', ['-qec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve) => child.once('exit', (code) => {
    child.stdin.end();
    resolve({ code: code ?? -1, output });
  }));
}

/**
 * An interactive kubectl under a pseudo-terminal of 91x33 (util-linux `script`), for `run -it` and `attach -it`: its
 * output so far, keystrokes into its terminal, its exit code, and stop (SIGTERM, as closing the terminal would).
 */
function kubectlTerminalSession(floe: RunningFloe, command: string): { output: () => string; type: (text: string) => void; exited: Promise<number>; stop: () => Promise<void> } {
  const line = `stty cols 91 rows 33; exec kubectl --kubeconfig ${floe.kubeconfig} --cache-dir ${join(floe.dataDir, 'kubectl-cache')} ${command}`;
  const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    output: () => out,
    type: (text) => child.stdin.write(text),
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function ok(floe: RunningFloe, args: string[], input?: string): Promise<string> {
  const r = await kubectl(floe, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function running(floe: RunningFloe, ns: string, pod: string): Promise<void> {
  await waitFor(async () => (await kubectl(floe, ['-n', ns, 'get', 'pod', pod, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', { what: `pod ${ns}/${pod} Running`, timeoutMs: 60_000 });
}

/** The local port kubectl port-forward chose (`Forwarding from 127.0.0.1:41234 -> 8080`). */
async function forwardedPort(output: () => string): Promise<number> {
  return waitFor(() => Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(output())?.[1] ?? 0), { what: 'kubectl port-forward to listen', timeoutMs: 30_000 });
}

const noWebSockets = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };
const hasScript = spawnSync('script', ['--version']).status === 0;

describe('kubectl exec, attach, cp and port-forward into host-process Pods', () => {
  let floe: RunningFloe;
  let scratch: string;
  let webPort: number;
  const ns = 'streams';

  before(async () => {
    floe = await startFloeProcess();
    scratch = mkdtempSync(join(tmpdir(), 'floe-streams-'));
    webPort = await freePort();
    await ok(floe, ['create', 'namespace', ns]);
    const server = `require('http').createServer((q, s) => s.end('pong ' + q.url)).listen(${webPort}, '127.0.0.1')`;
    const pods = [
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shell', namespace: ns, annotations: { 'floe.dev/runtime': 'process' } },
        spec: {
          containers: [{
            name: 'main', image: 'busybox', command: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'],
            env: [{ name: 'GREETING', value: 'from-the-pod-spec' }], volumeMounts: [{ name: 'scratch', mountPath: '/data' }],
          }],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        },
      },
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: ns, annotations: { 'floe.dev/runtime': 'process' } },
        spec: { containers: [{ name: 'web', image: 'node:20', command: [process.execPath, '-e', server], ports: [{ containerPort: webPort }] }] },
      },
    ];
    await ok(floe, ['apply', '-f', '-'], pods.map((p) => JSON.stringify(p)).join('\n'));
    await running(floe, ns, 'shell');
    await running(floe, ns, 'web');
  });

  after(async () => {
    await floe.stop();
    removeDir(floe.dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  for (const [transport, env] of [['WebSocket (v5.channel.k8s.io)', {}], ['SPDY (the fallback)', noWebSockets]] as const) {
    test(`exec over ${transport}: stdout and stderr apart, the exit code is kubectl's`, async () => {
      const r = await kubectlWith(floe, ['-n', ns, 'exec', 'shell', '--', 'sh', '-c', 'echo hi; echo err >&2; exit 3'], { env });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'hi\n');
      assert.match(r.stderr, /^err\n/);
      assert.match(r.stderr, /command terminated with exit code 3/);
    });

    test(`exec -i over ${transport}: stdin piped through, ended by the client`, async () => {
      const input = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\n';
      const r = await kubectlWith(floe, ['-n', ns, 'exec', '-i', 'shell', '--', 'cat'], { env, input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, input);
    });
  }

  test("exec runs in the container's environment, working directory and mapped volume paths", async () => {
    const r = await kubectlWith(floe, ['-n', ns, 'exec', 'shell', '--', 'sh', '-c', 'echo $GREETING $HOSTNAME; echo x > /data/probe && cat "$FLOE_VOLUME_SCRATCH/probe"']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-the-pod-spec shell\nx\n');
  });

  test('a command that is not there fails with the runtime\'s message; an unknown container is refused before the upgrade', async () => {
    const missing = await kubectlWith(floe, ['-n', ns, 'exec', 'shell', '--', 'no-such-command-here']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /executable file not found in \$PATH/);
    const unknown = await kubectlWith(floe, ['-n', ns, 'exec', 'shell', '-c', 'nope', '--', 'true']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /container nope is not valid for pod shell/);
  });

  test('exec -it gets a terminal of the size kubectl reports', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
    const r = await kubectlInTerminal(floe, `-n ${ns} exec -it shell -- sh -c 'tty; stty size; exit 4'`);
    assert.equal(r.code, 4, r.output);
    assert.match(r.output, /\/dev\/pts\/\d+/);
    assert.match(r.output, /33 91/);
  });

  test('kubectl cp copies a file into an emptyDir and back, and a folder out', async () => {
    const source = join(scratch, 'in.txt');
    const content = `payload ${Date.now()}\n${'x'.repeat(100_000)}\n`;
    writeFileSync(source, content);
    await ok(floe, ['cp', source, `${ns}/shell:/data/in.txt`]);
    assert.equal(await ok(floe, ['-n', ns, 'exec', 'shell', '--', 'cat', '/data/in.txt']), content);
    const back = join(scratch, 'back.txt');
    await ok(floe, ['cp', `${ns}/shell:/data/in.txt`, back]);
    assert.equal(readFileSync(back, 'utf8'), content);
    await ok(floe, ['-n', ns, 'exec', 'shell', '--', 'sh', '-c', 'mkdir -p /data/dir/sub && echo deep > /data/dir/sub/f']);
    await ok(floe, ['cp', `${ns}/shell:/data/dir`, join(scratch, 'dir')]);
    assert.equal(readFileSync(join(scratch, 'dir', 'sub', 'f'), 'utf8'), 'deep\n');
  });

  test("an exec'd command runs in the container's cgroups, dies when its client goes away, and dies with the Pod", async () => {
    await ok(floe, ['-n', ns, 'run', 'victim', '--image=busybox', '--annotations=floe.dev/runtime=process', '--command', '--', 'sleep', '3600']);
    await running(floe, ns, 'victim');
    const uid = await ok(floe, ['-n', ns, 'get', 'pod', 'victim', '-o', 'jsonpath={.metadata.uid}']);
    const alive = (pid: number): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const start = async (): Promise<{ session: ReturnType<typeof kubectlLong>; pid: number }> => {
      const session = kubectlLong(floe, ['-n', ns, 'exec', 'victim', '--', 'sh', '-c', 'echo pid=$$; exec sleep 3601']);
      const pid = await waitFor(() => Number(/pid=(\d+)/.exec(session.output())?.[1] ?? 0), { what: 'the exec\'d pid' });
      return { session, pid };
    };
    const first = await start();
    const cgroups = readFileSync(`/proc/${first.pid}/cgroup`, 'utf8');
    const environ = readFileSync(`/proc/${first.pid}/environ`, 'utf8');
    // With cgroups the command is in the run's (`…/floe/<uid>/victim.<n>`); without, it carries the run's marker.
    assert.ok(cgroups.includes(`/floe/${uid}/victim.`) || environ.includes(`FLOE_CONTAINER_RUN=${uid}/victim/`), cgroups);
    await first.session.stop();
    await waitFor(() => !alive(first.pid), { what: 'the command to end after its client', timeoutMs: 10_000 });
    const second = await start();
    await ok(floe, ['-n', ns, 'delete', 'pod', 'victim', '--grace-period=1']);
    await waitFor(() => !alive(second.pid), { what: 'the command to end with its Pod', timeoutMs: 20_000 });
    assert.notEqual(await second.session.exited, 0);
  });

  test('attach streams the container\'s output as it is written', async () => {
    const attach = kubectlLong(floe, ['-n', ns, 'attach', 'shell']);
    try {
      await waitFor(() => (attach.output().match(/tick/g) ?? []).length >= 3, { what: 'ticks through kubectl attach', timeoutMs: 30_000 });
    } finally {
      await attach.stop();
    }
  });

  test("attach -i writes the container's stdin: stdinOnce ends it with the first attach; without it the stream stays open", async () => {
    const pod = (name: string, once: boolean, script: string): object => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, annotations: { 'floe.dev/runtime': 'process' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', stdin: true, stdinOnce: once, command: ['sh', '-c', script] }] },
    });
    await ok(floe, ['apply', '-f', '-'], [pod('once', true, 'while read l; do echo got=$l; done; echo eof'), pod('open', false, 'while read l; do echo got=$l; done; echo eof')].map((p) => JSON.stringify(p)).join('\n'));
    await running(floe, ns, 'once');
    await running(floe, ns, 'open');
    const first = await kubectlWith(floe, ['-n', ns, 'attach', '-i', 'once'], { input: 'hello\nworld\n' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /got=hello\ngot=world\neof/);
    await waitFor(async () => (await kubectl(floe, ['-n', ns, 'get', 'pod', 'once', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded', { what: 'the stdinOnce Pod to end', timeoutMs: 30_000 });
    // Two attaches to a stdin without stdinOnce: both inputs arrive, and the container keeps reading.
    for (const word of ['one', 'two']) {
      const attach = kubectlLong(floe, ['-n', ns, 'attach', '-i', 'open']);
      try {
        // kubectl holds what it reads until its stream is open.
        attach.write(`${word}\n`);
        await waitFor(async () => (await ok(floe, ['-n', ns, 'logs', 'open'])).includes(`got=${word}`), { what: `${word} through attach`, timeoutMs: 30_000 });
      } finally {
        await attach.stop();
      }
    }
    assert.equal((await kubectl(floe, ['-n', ns, 'get', 'pod', 'open', '-o', 'jsonpath={.status.phase}'])).stdout, 'Running');
    assert.doesNotMatch(await ok(floe, ['-n', ns, 'logs', 'open']), /eof/);
  });

  for (const [transport, env] of [['SPDY in a WebSocket (SPDY/3.1+portforward.k8s.io)', {}], ['SPDY (the fallback)', noWebSockets]] as const) {
    test(`port-forward over ${transport} reaches the Pod's server`, async () => {
      const forward = kubectlLong(floe, ['-n', ns, 'port-forward', 'pod/web', `:${webPort}`], env);
      try {
        const local = await forwardedPort(forward.output);
        for (const path of ['/a', '/b']) {
          const res = await fetch(`http://127.0.0.1:${local}${path}`);
          assert.equal(await res.text(), `pong ${path}`);
        }
      } finally {
        await forward.stop();
      }
    });
  }

  test("port-forward reaches only the Pod's own listeners: Floe's port, on this machine, is not one", async () => {
    const floePort = Number(new URL(floe.url).port);
    const forward = kubectlLong(floe, ['-n', ns, 'port-forward', 'pod/web', `:${floePort}`]);
    try {
      const local = await forwardedPort(forward.output);
      await fetch(`http://127.0.0.1:${local}/version`).then((r) => r.text()).catch(() => undefined);
      await waitFor(() => /no process of pod web listens on port/.test(forward.output()), { what: 'the refusal in kubectl\'s output', timeoutMs: 15_000 });
    } finally {
      await forward.stop();
    }
  });
});

describe('kubectl exec against a Floe with a token', () => {
  test('without the token the upgrade is refused with 401; with it, exec works', async () => {
    const guarded = await startFloeProcess(['--token', 'sesame-0123456789']);
    try {
      await ok(guarded, ['run', 'sh', '--image=busybox', '--annotations=floe.dev/runtime=process', '--command', '--', 'sleep', '300']);
      await running(guarded, 'default', 'sh');
      const allowed = await kubectlWith(guarded, ['exec', 'sh', '--', 'echo', 'inside']);
      assert.equal(allowed.stdout, 'inside\n', allowed.stderr);
      const refused = await kubectlWith(guarded, ['--token', 'not-the-token', 'exec', 'sh', '--', 'echo', 'inside']);
      assert.notEqual(refused.code, 0);
      assert.equal(refused.stdout, '');
      assert.match(refused.stderr, /Unauthorized|logged in/);
      // The Pod token (what Pods present to report Katib metrics) authenticates, but may not exec: the upgrade kubectl
      // sends is refused with 403 before anything runs (kubectl itself stops earlier, at its GET of the Pod).
      const podToken = readFileSync(join(guarded.dataDir, 'pod-token'), 'utf8').trim();
      const ca = readFileSync(join(guarded.dataDir, 'pki', 'ca.crt'), 'utf8');
      const upgrade = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(`${guarded.url}/api/v1/namespaces/default/pods/sh/exec?command=id&stdout=true`, {
          ca,
          headers: { authorization: `Bearer ${podToken}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'v5.channel.k8s.io' },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => { body += d.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('upgrade', () => reject(new Error('the Pod token was let through to exec')));
        req.on('error', reject);
        req.end();
      });
      assert.equal(upgrade.status, 403, upgrade.body);
      assert.match((JSON.parse(upgrade.body) as { message: string }).message, /cannot create resource "pods\/exec"/);
    } finally {
      await guarded.stop();
      removeDir(guarded.dataDir);
    }
  });
});

const containerSkip = containerSkipReason();

describe('kubectl exec, cp and port-forward into container Pods (runc)', { skip: containerSkip }, () => {
  let floe: RunningFloe;
  let scratch: string;
  let httpPort: number;
  const ns = 'boxes';
  const image = 'floe.test/streams:1';

  before(async () => {
    floe = await startFloeProcess();
    httpPort = await freePort();
    scratch = mkdtempSync(join(tmpdir(), 'floe-streams-ctr-'));
    await writeTestImage(join(scratch, 'layout'), image);
    floeImageLoad(floe.dataDir, join(scratch, 'layout'));
    await ok(floe, ['create', 'namespace', ns]);
    await ok(floe, ['-n', ns, 'run', 'box', `--image=${image}`, '--image-pull-policy=Never', '--command', '--', 'sh', '-c', `httpd -f -p 127.0.0.1:${httpPort} -h /app & sleep 3600`]);
    await running(floe, ns, 'box');
  });

  after(async () => {
    await floe.stop();
    removeDir(floe.dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('exec runs inside the container (runc exec): its hostname and files, both streams, the exit code', async () => {
    const r = await kubectlWith(floe, ['-n', ns, 'exec', 'box', '--', 'sh', '-c', 'hostname; cat /app/hello.sh | head -1; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'box\n#!/bin/sh\n');
    assert.match(r.stderr, /^err\n/);
    const cat = await kubectlWith(floe, ['-n', ns, 'exec', '-i', 'box', '--', 'cat'], { input: 'through runc\n' });
    assert.equal(cat.stdout, 'through runc\n', cat.stderr);
  });

  test('exec -it gives a terminal inside the container', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
    // runc sets up the container's terminal (its size, ONLCR) while the command starts: the command waits a moment.
    const r = await kubectlInTerminal(floe, `-n ${ns} exec -it box -- sh -c 'sleep 0.3; tty; stty size; exit 5'`);
    assert.equal(r.code, 5, r.output);
    assert.match(r.output, /\/dev\/pts\/\d+/);
    assert.match(r.output, /33 91/);
  });

  test('kubectl run -i: the input reaches the container\'s stdin and its end is the container\'s (stdinOnce)', async () => {
    const r = await kubectlWith(floe, ['-n', ns, 'run', 'reader', `--image=${image}`, '--image-pull-policy=Never', '-i', '--restart=Never', '--command', '--', 'sh', '-c', 'while read l; do echo got=$l; done; echo eof'], { input: 'one\ntwo\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /got=one\ngot=two\neof/);
    assert.equal(await ok(floe, ['-n', ns, 'logs', 'reader']), 'got=one\ngot=two\neof\n');
  });

  test('kubectl run -it: the container gets its own terminal (tty: true), sized as kubectl\'s, and its exit code is kubectl\'s', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
    const session = kubectlTerminalSession(floe, `-n ${ns} run shell-tty --image=${image} --image-pull-policy=Never -it --restart=Never --command -- sh`);
    try {
      await waitFor(() => /If you don't see a command prompt/.test(session.output()), { what: 'kubectl run -it to attach', timeoutMs: 60_000 });
      // kubectl prints that line before it puts its own terminal in raw mode: a command typed at once can be echoed by
      // the local terminal too. As its message says, press enter; a prompt after the line means the attach is live.
      session.type('\r');
      await waitFor(() => /If you don't see a command prompt[\s\S]*\/app # /.test(session.output()), { what: 'the shell\'s prompt through the attach', timeoutMs: 60_000 });
      // The shell reads a terminal: it echoes what is typed, and `stty size` is kubectl's terminal's, sent over the
      // resize channel, relayed to runc and by runc to the container's terminal. kubectl first sends the size plus one
      // (to make a re-attached screen redraw), then the size itself: the command waits a moment for the second.
      session.type('sleep 1; tty; stty size; echo "sum=$((40 + 2))"; exit 7\r');
      assert.equal(await session.exited, 7, session.output());
    } finally {
      await session.stop();
    }
    const output = session.output();
    assert.match(output, /\/dev\/pts\/\d+/, output);
    assert.match(output, /33 91/, output);
    assert.match(output, /sum=42/, output);
    // One echo of what was typed: the container's terminal echoes, runc's own terminal (the relay's) is raw.
    assert.equal(output.split('echo "sum=').length - 1, 1, output);
    const spec = JSON.parse(await ok(floe, ['-n', ns, 'get', 'pod', 'shell-tty', '-o', 'json'])) as { spec: { containers: { tty?: boolean; stdin?: boolean; stdinOnce?: boolean }[] } };
    assert.deepEqual([spec.spec.containers[0]?.tty, spec.spec.containers[0]?.stdin, spec.spec.containers[0]?.stdinOnce], [true, true, true]);
  });

  test('kubectl attach -it to a tty container: its terminal, its log, and a second attach after the first one left', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
    await ok(floe, ['-n', ns, 'apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'console' },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, imagePullPolicy: 'Never', stdin: true, tty: true, command: ['sh'] }] },
    }));
    await running(floe, ns, 'console');
    const first = kubectlTerminalSession(floe, `-n ${ns} attach -it console`);
    try {
      await waitFor(() => /If you don't see a command prompt/.test(first.output()), { what: 'kubectl attach -it to attach', timeoutMs: 60_000 });
      first.type('sleep 1; stty size; echo "first-$((1 + 1))"\r');
      await waitFor(() => /first-2/.test(first.output()) && /33 91/.test(first.output()), { what: "the shell's answer", timeoutMs: 30_000 });
    } finally {
      await first.stop();
    }
    // The terminal's output is the container's log (as the kubelet logs a tty container), and the shell lives on.
    assert.match(await ok(floe, ['-n', ns, 'logs', 'console']), /first-2/);
    assert.equal((await kubectl(floe, ['-n', ns, 'get', 'pod', 'console', '-o', 'jsonpath={.status.phase}'])).stdout, 'Running');
    const second = kubectlTerminalSession(floe, `-n ${ns} attach -it console`);
    try {
      await waitFor(() => /If you don't see a command prompt/.test(second.output()), { what: 'the second attach', timeoutMs: 60_000 });
      second.type('exit 3\r');
      await second.exited;
    } finally {
      await second.stop();
    }
    await waitFor(async () => (await kubectl(floe, ['-n', ns, 'get', 'pod', 'console', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}'])).stdout === '3', { what: 'the shell to exit with 3', timeoutMs: 30_000 });
  });

  test('kubectl cp into the container and back', async () => {
    const source = join(scratch, 'in.txt');
    writeFileSync(source, 'into the image\n');
    await ok(floe, ['cp', source, `${ns}/box:/tmp/in.txt`]);
    await ok(floe, ['cp', `${ns}/box:/tmp/in.txt`, join(scratch, 'back.txt')]);
    assert.equal(readFileSync(join(scratch, 'back.txt'), 'utf8'), 'into the image\n');
  });

  test("port-forward reaches a server inside the container", async () => {
    const forward = kubectlLong(floe, ['-n', ns, 'port-forward', 'pod/box', `:${httpPort}`]);
    try {
      const local = await forwardedPort(forward.output);
      const res = await fetch(`http://127.0.0.1:${local}/hello.sh`);
      assert.match(await res.text(), /hello from the image/);
    } finally {
      await forward.stop();
    }
  });
});

describe('a tty container across a Floe restart (runc)', { skip: containerSkip || (hasScript ? false : 'util-linux script is not installed') }, () => {
  let floe: RunningFloe;
  let scratch: string;
  const ns = 'consoles';
  const image = 'floe.test/streams:1';

  before(async () => {
    floe = await startFloeProcess();
    scratch = mkdtempSync(join(tmpdir(), 'floe-streams-tty-'));
    await writeTestImage(join(scratch, 'layout'), image);
    floeImageLoad(floe.dataDir, join(scratch, 'layout'));
    await ok(floe, ['create', 'namespace', ns]);
  });

  after(async () => {
    await floe.stop();
    removeDir(floe.dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('kill -9 of Floe, then a restart: the shell keeps its terminal, and the next attach -it sizes and drives it', async () => {
    await ok(floe, ['-n', ns, 'apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'console' },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, imagePullPolicy: 'Never', stdin: true, tty: true, command: ['sh'] }] },
    }));
    await running(floe, ns, 'console');
    const dataDir = floe.dataDir;
    const exited = new Promise((resolve) => floe.process.once('exit', resolve));
    floe.process.kill('SIGKILL');
    await exited;
    floe = await startFloeProcess([], dataDir);
    await running(floe, ns, 'console');
    const session = kubectlTerminalSession(floe, `-n ${ns} attach -it console`);
    try {
      await waitFor(() => /If you don't see a command prompt/.test(session.output()), { what: 'kubectl attach -it to attach', timeoutMs: 60_000 });
      session.type('sleep 1; stty size; echo "after-$((2 + 2))"; exit 4\r');
      await session.exited;
    } finally {
      await session.stop();
    }
    assert.match(session.output(), /33 91\r\nafter-4/, session.output());
    await waitFor(async () => (await kubectl(floe, ['-n', ns, 'get', 'pod', 'console', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}'])).stdout === '4', { what: 'the shell to exit with 4', timeoutMs: 30_000 });
    assert.equal((await kubectl(floe, ['-n', ns, 'get', 'pod', 'console', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout, '0', 'the same shell ran on: re-adopted, not restarted');
  });
});
