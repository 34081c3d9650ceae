// Integration: the local runtime against an attacker and a careless user: loopback-only Pod ports, Pods stopped with
// Floe, Secret file modes, paths built from user-supplied names, and names that look like numbers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { Client } from '../client/client.js';
import { KubeClient } from '../client/kube-client.js';
import { waitFor } from '../../test/helpers/wait.js';
import type { KubeletConfig } from './config.js';
import { Kubelet } from './kubelet.js';
import { groupHasMembers, isAlive } from './proc.js';
import { HostPortsAnnotation } from './services.js';
import { nodeCommand, podManifest, silentLogger, startHarness, testTiming, type Harness } from '../../test/helpers/kubelet-harness.js';
import { containedPath } from './paths.js';
import { ConfigMapRef, EndpointsRef, PodRef, SecretRef, ServiceRef, type Pod, type Service } from './types.js';

async function until(client: Client, ns: string, name: string, what: string, check: (p: Pod) => boolean, timeoutMs = 15_000): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await waitFor(async () => {
      last = await client.get<Pod>(PodRef, name, ns);
      return check(last) ? last : undefined;
    }, { timeoutMs, what });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

const running = (p: Pod): boolean => Boolean(p.status?.containerStatuses?.every((c) => c.state.running) && p.status.containerStatuses.length > 0);

function waitingReason(p: Pod): string | undefined {
  return (p.status?.containerStatuses?.[0]?.state as { waiting?: { reason?: string } } | undefined)?.waiting?.reason;
}

async function eventMessages(client: Client, ns: string, podName: string): Promise<string[]> {
  const list = await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns });
  return list.items.filter((e: KubeObject) => (e.involvedObject as { name?: string }).name === podName).map((e) => String(e.message));
}

function pidOf(p: Pod, container = 'main'): number {
  return Number((p.status?.containerStatuses?.find((c) => c.name === container)?.containerID ?? '').replace('floe://', ''));
}

async function logText(h: Harness, ns: string, name: string, container?: string, previous = false): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of h.kubelet.logs(ns, name, { ...(container ? { container } : {}), previous })) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function hostPortsOf(client: Client, ns: string, name: string): Promise<Record<string, number>> {
  const svc = await waitFor(async () => {
    const s = await client.get<Service>(ServiceRef, name, ns);
    return s.metadata.annotations?.[HostPortsAnnotation] ? s : undefined;
  }, { what: `host ports on ${name}` });
  return JSON.parse(svc.metadata.annotations?.[HostPortsAnnotation] ?? '{}') as Record<string, number>;
}

/** What a TCP connection to host:port answers, or the error code (ECONNREFUSED…) when it cannot connect. */
function dial(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(`data:${Buffer.concat(chunks).toString()}`));
    socket.on('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** The non-loopback addresses of this machine (link-local ones aside), to dial the way another machine would. */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80')))
    .map((a) => a.address);
}

function python(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const mode = (path: string): number => statSync(path).mode & 0o777;
const octal = (n: number): string => `0${n.toString(8)}`;

describe('kubelet safety', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(async () => {
    await h.stop();
  });

  /** Replaces the harness's Kubelet with a fresh one on the same data dir (a Floe restart, for the runtime). */
  async function restartKubelet(config: Partial<KubeletConfig> = {}): Promise<void> {
    h.kubelet = new Kubelet({ client: h.client, config: { ...h.config, ...config }, logger: silentLogger(), timing: testTiming });
    await h.kubelet.start();
  }

  test('every address Floe gives a Pod is 127.0.0.1: Service links, podIP, hostIP, Endpoints', async () => {
    const ns = await h.namespace('addresses');
    await h.client.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'model', namespace: ns }, spec: { selector: { app: 'm' }, ports: [{ name: 'http', port: 80 }] } });
    await hostPortsOf(h.client, ns, 'model');
    await h.client.create(podManifest(ns, 'env', [{ command: ['sh', '-c', 'env; sleep 30'] }], { terminationGracePeriodSeconds: 0 }, { labels: { app: 'm' } }));
    const p = await until(h.client, ns, 'env', 'env to run', running);
    assert.equal(p.status?.podIP, '127.0.0.1');
    assert.equal(p.status?.hostIP, '127.0.0.1');
    const text = await waitFor(async () => {
      const t = await logText(h, ns, 'env');
      return t.includes('MODEL_SERVICE_HOST') ? t : undefined;
    }, { what: 'the environment in the log' });
    const hosts = text.split('\n').filter((l) => /_SERVICE_HOST=/.test(l));
    assert.ok(hosts.length > 0);
    for (const line of hosts) assert.match(line, /=127\.0\.0\.1$/, line);
    const ep = await waitFor(async () => {
      const e = await h.client.get<KubeObject & { subsets?: { addresses?: { ip: string }[] }[] }>(EndpointsRef, 'model', ns).catch(() => undefined);
      return e?.subsets?.[0]?.addresses?.length ? e : undefined;
    }, { what: 'the endpoints' });
    assert.deepEqual(ep.subsets?.[0]?.addresses?.map((a) => a.ip), ['127.0.0.1']);
    await h.client.delete(PodRef, 'env', ns, { gracePeriodSeconds: 0 });
  });

  test('a predictor-like Pod listening on its Service port (no host, or 0.0.0.0) is reachable on 127.0.0.1 only', async (t) => {
    const external = externalAddresses();
    if (external.length === 0) {
      t.skip('this machine has no non-loopback address to dial');
      return;
    }
    const ns = await h.namespace('loopback');
    await h.client.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'predictor', namespace: ns },
      spec: { selector: { app: 'p' }, ports: [{ name: 'http', port: 80 }, { name: 'any', port: 81 }, { name: 'py', port: 82 }] },
    });
    const ports = await hostPortsOf(h.client, ns, 'predictor');
    // The way servers commonly listen: Node's default host (all interfaces, IPv6 and IPv4), and 0.0.0.0 explicitly.
    const server = nodeCommand(`
      const net = require('net');
      net.createServer((s) => s.end('default')).listen(Number(process.env.PREDICTOR_SERVICE_PORT_HTTP), () => console.log('listening default'));
      net.createServer((s) => s.end('any')).listen(Number(process.env.PREDICTOR_SERVICE_PORT_ANY), '0.0.0.0', () => console.log('listening any'));
    `);
    const containers: { name: string; command: string[] }[] = [{ name: 'main', command: server }];
    const py = python();
    if (py) {
      const script = [
        'import os, socket',
        's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
        "s.bind(('0.0.0.0', int(os.environ['PREDICTOR_SERVICE_PORT_PY']))); s.listen(8)",
        "print('listening py', flush=True)",
        'while True:',
        "    c, _ = s.accept(); c.sendall(b'py'); c.close()",
      ].join('\n');
      containers.push({ name: 'py', command: [py, '-c', script] });
    } else {
      t.diagnostic('no python3 on this machine: only Node listeners are checked');
    }
    await h.client.create(podManifest(ns, 'predictor-0', containers, { terminationGracePeriodSeconds: 0 }, { labels: { app: 'p' } }));
    await until(h.client, ns, 'predictor-0', 'the predictor to run', running);
    await waitFor(async () => (await logText(h, ns, 'predictor-0', 'main')).includes('listening any') && (await logText(h, ns, 'predictor-0', 'main')).includes('listening default'), { what: 'the node listeners' });
    if (py) await waitFor(async () => (await logText(h, ns, 'predictor-0', 'py')).includes('listening py'), { what: 'the python listener', timeoutMs: 20_000 });

    assert.equal(await dial('127.0.0.1', ports.http!), 'data:default');
    assert.equal(await dial('127.0.0.1', ports.any!), 'data:any');
    if (py) assert.equal(await dial('127.0.0.1', ports.py!), 'data:py');
    const checked = py ? (['http', 'any', 'py'] as const) : (['http', 'any'] as const);
    for (const address of external) {
      for (const name of checked) {
        const answer = await dial(address, ports[name]!);
        assert.ok(!answer.startsWith('data:'), `port ${name} (${ports[name]}) answered on ${address}: ${answer}`);
      }
    }
    await h.client.delete(PodRef, 'predictor-0', ns, { gracePeriodSeconds: 0 });
  });

  test('stopping the Kubelet stops its Pods: SIGTERM, then SIGKILL after the grace period; the next start restarts them', async () => {
    const ns = await h.namespace('stop');
    await h.client.create(podManifest(ns, 'polite', [{ command: nodeCommand('console.log("up"); setInterval(() => {}, 1000)') }], { terminationGracePeriodSeconds: 5 }));
    const stubbornScript = 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("up"); setInterval(() => {}, 1000)';
    await h.client.create(podManifest(ns, 'stubborn', [{ command: nodeCommand(stubbornScript) }], { terminationGracePeriodSeconds: 1 }));
    const polite = pidOf(await until(h.client, ns, 'polite', 'polite to run', running));
    const stubborn = pidOf(await until(h.client, ns, 'stubborn', 'stubborn to run', running));
    await waitFor(async () => (await logText(h, ns, 'stubborn')).includes('up'), { what: 'stubborn to install its handler' });

    await h.kubelet.stop();
    assert.ok(!groupHasMembers(polite), 'the polite Pod stopped with the Kubelet');
    assert.ok(!groupHasMembers(stubborn), 'the Pod that ignores SIGTERM was killed after its grace period');

    await restartKubelet();
    const again = await until(h.client, ns, 'stubborn', 'stubborn to be restarted', (p) => running(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    assert.equal(again.status?.containerStatuses?.[0]?.lastState.terminated?.exitCode, 137);
    assert.match(await logText(h, ns, 'stubborn', undefined, true), /ignoring SIGTERM/, 'SIGTERM came first');
    const politeAgain = await until(h.client, ns, 'polite', 'polite to be restarted', (p) => running(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    assert.equal(politeAgain.status?.containerStatuses?.[0]?.lastState.terminated?.exitCode, 143);
    await h.client.delete(PodRef, 'polite', ns, { gracePeriodSeconds: 0 });
    await h.client.delete(PodRef, 'stubborn', ns, { gracePeriodSeconds: 0 });
  });

  test('with keepPodsOnStop the processes outlive stop() and the next Kubelet re-adopts them', async () => {
    await h.kubelet.stop();
    await restartKubelet({ keepPodsOnStop: true });
    const ns = await h.namespace('keep');
    await h.client.create(podManifest(ns, 'kept', [{ command: nodeCommand('setInterval(() => {}, 1000)') }], { terminationGracePeriodSeconds: 0 }));
    const pid = pidOf(await until(h.client, ns, 'kept', 'kept to run', running));
    await h.kubelet.stop();
    assert.ok(isAlive(pid, undefined), 'the process outlives the Kubelet');
    await restartKubelet();
    const adopted = await until(h.client, ns, 'kept', 'kept to be adopted', (p) => running(p) && pidOf(p) === pid);
    assert.equal(adopted.status?.containerStatuses?.[0]?.restartCount, 0);
    await h.client.delete(PodRef, 'kept', ns, { gracePeriodSeconds: 0 });
    await waitFor(() => !groupHasMembers(pid), { what: 'the adopted process to stop with its Pod' });
  });

  test('Secret files are 0600 in a 0700 folder, ConfigMap files 0644; defaultMode and item modes are honoured exactly', async () => {
    const ns = await h.namespace('modes');
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    await h.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, data: { token: b64('s3cret'), other: b64('x') } });
    await h.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { 'app.conf': 'a=1' } });
    const volumes = [
      { name: 'secret', secret: { secretName: 'creds' } },
      { name: 'secret-modes', secret: { secretName: 'creds', defaultMode: 0o440, items: [{ key: 'token', path: 'nested/token', mode: 0o400 }, { key: 'other', path: 'other' }] } },
      { name: 'config', configMap: { name: 'settings' } },
      { name: 'config-mode', configMap: { name: 'settings', defaultMode: 0o600 } },
      { name: 'projected', projected: { sources: [{ secret: { name: 'creds' } }, { configMap: { name: 'settings' } }] } },
      { name: 'projected-mode', projected: { defaultMode: 0o640, sources: [{ secret: { name: 'creds' } }] } },
    ];
    await h.client.create(podManifest(ns, 'reader', [{ command: ['sleep', '30'] }], { terminationGracePeriodSeconds: 0, volumes }));
    const p = await until(h.client, ns, 'reader', 'reader to run', running);
    const dir = (v: string): string => h.kubelet.volumeDir(p, v)!;
    const modes: Record<string, string> = {};
    for (const [label, path] of Object.entries({
      'secret/': dir('secret'),
      'secret/token': join(dir('secret'), 'token'),
      'secret-modes/': dir('secret-modes'),
      'secret-modes/nested/token': join(dir('secret-modes'), 'nested', 'token'),
      'secret-modes/other': join(dir('secret-modes'), 'other'),
      'config/app.conf': join(dir('config'), 'app.conf'),
      'config-mode/app.conf': join(dir('config-mode'), 'app.conf'),
      'projected/': dir('projected'),
      'projected/token': join(dir('projected'), 'token'),
      'projected/app.conf': join(dir('projected'), 'app.conf'),
      'projected-mode/token': join(dir('projected-mode'), 'token'),
    })) {
      modes[label] = octal(mode(path));
    }
    assert.deepEqual(modes, {
      'secret/': '0700',
      'secret/token': '0600',
      'secret-modes/': '0700',
      'secret-modes/nested/token': '0400',
      'secret-modes/other': '0440',
      'config/app.conf': '0644',
      'config-mode/app.conf': '0600',
      'projected/': '0700',
      'projected/token': '0600',
      'projected/app.conf': '0644',
      'projected-mode/token': '0640',
    });
    assert.equal(readFileSync(join(dir('secret'), 'token'), 'utf8'), 's3cret');
    await h.client.delete(PodRef, 'reader', ns, { gracePeriodSeconds: 0 });
    await h.client.delete(SecretRef, 'creds', ns);
    await h.client.delete(ConfigMapRef, 'settings', ns);
  });

  test('a persistentVolumeClaim claimName that leaves its namespace is refused, naming the field', async () => {
    const ns = await h.namespace('claims');
    for (const [i, claimName] of ['../team-a/data', '..', '/etc', 'a/../../b'].entries()) {
      const name = `claim-${i}`;
      const pod = podManifest(ns, name, [{ command: ['sh', '-c', 'touch /data/planted'], volumeMounts: [{ name: 'store', mountPath: '/data' }] }], {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'store', persistentVolumeClaim: { claimName } }],
      });
      try {
        await h.client.create(pod);
      } catch (err) {
        // Refused at admission is as good, as long as the field is named.
        assert.ok(err instanceof FloeError && err.message.includes('claimName'), String(err));
        continue;
      }
      const p = await until(h.client, ns, name, `${name} to be refused`, (x) => waitingReason(x) === 'CreateContainerConfigError');
      assert.equal(p.status?.phase, 'Pending');
      const messages = await waitFor(async () => {
        const m = await eventMessages(h.client, ns, name);
        return m.some((x) => x.includes('spec.volumes[0].persistentVolumeClaim.claimName')) ? m : undefined;
      }, { what: 'an event naming the field' });
      assert.ok(messages.some((x) => x.includes(JSON.stringify(claimName))), messages.join('\n'));
      await h.client.delete(PodRef, name, ns, { gracePeriodSeconds: 0 });
    }
    assert.ok(!existsSync(join(h.config.dataDir, 'volumes', 'team-a')), 'nothing was created in the other namespace');
    assert.ok(!existsSync(join(h.config.dataDir, 'planted')) && !existsSync(join(h.config.dataDir, 'volumes', 'planted')));
  });

  test('subPath may not leave its volume: ../../etc is refused, and so is a symlink planted in the volume', async () => {
    const ns = await h.namespace('subpath');
    const outside = mkdtempSync(join(tmpdir(), 'floe-outside-'));
    try {
      const dotdot = podManifest(ns, 'dotdot', [{ command: ['sh', '-c', 'ls /etc-in-volume'], volumeMounts: [{ name: 'work', mountPath: '/etc-in-volume', subPath: '../../etc' }] }], {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'work', emptyDir: {} }],
      });
      let refusedAtAdmission = false;
      try {
        await h.client.create(dotdot);
      } catch (err) {
        assert.ok(err instanceof FloeError && err.message.includes('subPath'), String(err));
        refusedAtAdmission = true;
      }
      if (!refusedAtAdmission) {
        await until(h.client, ns, 'dotdot', 'dotdot to be refused', (x) => waitingReason(x) === 'CreateContainerConfigError');
        const messages = await waitFor(async () => {
          const m = await eventMessages(h.client, ns, 'dotdot');
          return m.some((x) => x.includes('spec.containers[0].volumeMounts[0].subPath')) ? m : undefined;
        }, { what: 'an event naming the subPath field' });
        assert.ok(messages.length > 0);
        await h.client.delete(PodRef, 'dotdot', ns, { gracePeriodSeconds: 0 });
      }

      // An init container plants symlinks in the emptyDir; the next container mounts them by subPath.
      const plant = `ln -s ${outside} "$FLOE_VOLUME_WORK/link"`;
      const symlinked = podManifest(ns, 'symlinked', [{ command: ['sh', '-c', 'echo planted > /mnt/x/file'], volumeMounts: [{ name: 'work', mountPath: '/mnt/x', subPath: 'link/created' }] }], {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [{ name: 'plant', image: 'busybox', command: ['sh', '-c', plant] }],
      });
      await h.client.create(symlinked);
      await until(h.client, ns, 'symlinked', 'symlinked to be refused', (x) => waitingReason(x) === 'CreateContainerConfigError');
      const messages = await waitFor(async () => {
        const m = await eventMessages(h.client, ns, 'symlinked');
        return m.some((x) => x.includes('spec.containers[0].volumeMounts[0].subPath')) ? m : undefined;
      }, { what: 'an event naming the subPath field' });
      assert.ok(messages.length > 0);
      assert.ok(!existsSync(join(outside, 'created')), 'no folder was made through the symlink');
      await h.client.delete(PodRef, 'symlinked', ns, { gracePeriodSeconds: 0 });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('containedPath resolves a user-supplied path and refuses one that leaves its root', () => {
    const root = mkdtempSync(join(tmpdir(), 'floe-root-'));
    try {
      assert.equal(containedPath(root, 'a/b', 'f'), join(root, 'a', 'b'));
      assert.equal(containedPath(root, 'a/../b', 'f'), join(root, 'b'));
      for (const bad of ['..', '../x', '/etc', 'a/../../x', '', '.']) {
        assert.throws(() => containedPath(root, bad, 'spec.x'), (err: Error) => err.message.startsWith('spec.x: Invalid value'), bad);
      }
      assert.ok(!lstatSync(root).isSymbolicLink());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a Pod named 12 (or 1e3, 0x1f, 012) runs, crash-loops by its policy, logs, and is deleted by name over HTTP', async () => {
    const ns = await h.namespace('numeric');
    const http = KubeClient.fromFile(h.floe.kubeconfigPath);
    // The name as a JSON number is what once stored a Pod as "12.0", which then could not be deleted as 12.
    const numeric = await fetch(`${h.floe.url}/api/v1/namespaces/${ns}/pods`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(podManifest(ns, 'x', [{ command: ['true'] }], {}, { name: 12 as unknown as string })),
    });
    assert.equal(numeric.status, 400, await numeric.text());
    assert.deepEqual((await http.list<Pod>(PodRef, { namespace: ns })).items, []);
    for (const name of ['12', '1e3', '0x1f', '012']) {
      await http.create(podManifest(ns, name, [{ command: ['sh', '-c', `echo "I am $HOSTNAME"; exit 1`] }], { terminationGracePeriodSeconds: 1 }));
      const p = await until(http, ns, name, `${name} to restart`, (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
      assert.equal(p.metadata.name, name);
      assert.equal(typeof p.metadata.name, 'string');
      await waitFor(async () => (await logText(h, ns, name)) === `I am ${name}\n`, { what: `the log of ${name}` });
      await http.delete(PodRef, name, ns);
      await waitFor(async () => {
        try {
          await http.get<Pod>(PodRef, name, ns);
          return false;
        } catch (err) {
          return err instanceof FloeError && err.reason === 'NotFound';
        }
      }, { what: `${name} to be gone`, timeoutMs: 15_000 });
    }
  });
});
