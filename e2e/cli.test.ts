// The built `floe` CLI as a subprocess against a running `floe up`: apply, get, describe, delete, wait, version, errors.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startFloeProcess, waitFor, type RunningFloe } from './harness.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

let floe: RunningFloe;
let work: string;
before(async () => {
  floe = await startFloeProcess();
  work = mkdtempSync(join(tmpdir(), 'floe-cli-'));
});
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
  removeDir(work);
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface CliOptions {
  input?: string;
  /** Environment on top of a clean one (no KUBECONFIG, an empty FLOE_DATA_DIR). */
  env?: Record<string, string>;
  /** Append `--kubeconfig <the test server's>` (default true). */
  connect?: boolean;
}

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FLOE_DATA_DIR: join(work, 'no-such-data-dir'), ...extra };
  if (!('KUBECONFIG' in extra)) delete env.KUBECONFIG;
  return env;
}

function cliArgs(args: string[], options: CliOptions): string[] {
  return options.connect === false ? args : [...args, '--kubeconfig', floe.kubeconfig];
}

/** Runs `floe …` to completion. */
function run(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...cliArgs(args, options)], { env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Starts a long-running `floe …` (get -w, wait) and collects its output. */
function start(args: string[], options: CliOptions = {}): { output: () => string; done: Promise<CliResult>; stop: () => Promise<void> } {
  const child = spawn(process.execPath, [cli, ...cliArgs(args, options)], { env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return {
    output: () => stdout + stderr,
    done,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await done;
    },
  };
}

async function ok(args: string[], options: CliOptions = {}): Promise<string> {
  const r = await run(args, options);
  assert.equal(r.code, 0, `floe ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function fails(args: string[], code: number, options: CliOptions = {}): Promise<string> {
  const r = await run(args, options);
  assert.equal(r.code, code, `floe ${args.join(' ')} should exit ${code}, exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stderr;
}

function file(relative: string, text: string): string {
  const path = join(work, relative);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

async function api(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response> {
  const init: RequestInit = { method, headers: { 'content-type': contentType } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(`${floe.url}${path}`, init);
}

const app = `
apiVersion: v1
kind: Namespace
metadata:
  name: cli-a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: cli-a
  labels: { app: web, tier: front }
  annotations: { owner: team-a }
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: cli-a
  labels: { app: web }
stringData:
  password: s3cret
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: cli-a
  labels: { app: web, tier: front }
spec:
  selector: { app: web }
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.cli.floe.dev
spec:
  group: cli.floe.dev
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, shortNames: [wd] }
  versions:
  - name: v1
    served: true
    storage: true
    subresources: { status: {} }
    additionalPrinterColumns:
    - { name: Size, type: integer, jsonPath: .spec.size }
    - { name: Color, type: string, jsonPath: .spec.color }
    - { name: Age, type: date, jsonPath: .metadata.creationTimestamp }
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: { type: integer, minimum: 1 }
              color: { type: string, default: blue }
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
---
apiVersion: cli.floe.dev/v1
kind: Widget
metadata:
  name: w1
  namespace: cli-a
spec:
  size: 3
`;

describe('floe up', () => {
  test('reports progress on stderr and its URL on stdout; clients of a stopped server get the hint', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'floe-cli-up-'));
    try {
      const up = start(['up', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], { connect: false });
      const url = await waitFor(() => /serving the Kubernetes API at (\S+)/.exec(up.output())?.[1], { what: 'floe up to print its URL' });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      await up.stop();
      const result = await up.done;
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stderr.includes(`opening store at ${join(dataDir, 'floe.db')}`), result.stderr);
      assert.ok(result.stderr.includes(`serving on ${url}`), result.stderr);
      assert.ok(!result.stdout.includes('opening store'), 'progress belongs on stderr');

      const down = await fails(['get', 'pods', '--data-dir', dataDir], 1, { connect: false });
      assert.match(down, /cannot reach the API server at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(down, /is `floe up` running\? start it with `npm start`/);
      assert.match(down, /point --kubeconfig at a running Floe/);
    } finally {
      removeDir(dataDir);
    }
    const none = await fails(['get', 'pods'], 1, { connect: false });
    assert.match(none, /no kubeconfig at .*no-such-data-dir\/kubeconfig: is `floe up` running\?/);
  });
});

describe('floe apply', () => {
  test('creates every document of a multi-document file in order, waiting for a CRD it created', async () => {
    const out = await ok(['apply', '-f', file('app.yaml', app)]);
    assert.deepEqual(out.trim().split('\n'), [
      'namespace/cli-a created',
      'configmap/web-config created',
      'secret/web-secret created',
      'service/web created',
      'customresourcedefinition.apiextensions.k8s.io/widgets.cli.floe.dev created',
      'widget.cli.floe.dev/w1 created',
    ]);
  });

  test('re-applying is unchanged; a changed document is configured', async () => {
    const again = await ok(['apply', '-f', join(work, 'app.yaml')]);
    assert.deepEqual(again.trim().split('\n').map((l) => l.split(' ')[1]), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    const changed = await ok(['apply', '-f', file('app.yaml', app.replace('greeting: hello', 'greeting: bonjour'))]);
    assert.match(changed, /^configmap\/web-config configured$/m);
    assert.match(changed, /^secret\/web-secret unchanged$/m);
    assert.equal(await ok(['get', 'configmap', 'web-config', '-n', 'cli-a', '-o', 'jsonpath={.data.greeting}']), 'bonjour');
  });

  test('a folder is read recursively in sorted order, Lists expand, and - reads stdin', async () => {
    const cm = (name: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { batch: 'folder' } }, data: { from: name } });
    file('folder/b.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: { batch: folder }\n`);
    file('folder/a/one.json', JSON.stringify(cm('a1'), null, '\t'));
    file('folder/a/two.yml', `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify(cm('a2'))}\n- ${JSON.stringify(cm('a3'))}\n`);
    file('folder/notes.txt', 'not a manifest');
    const out = await ok(['apply', '-f', join(work, 'folder'), '-n', 'cli-a']);
    assert.deepEqual(out.trim().split('\n'), ['configmap/a1 created', 'configmap/a2 created', 'configmap/a3 created', 'configmap/b created']);
    const stdin = await ok(['apply', '-f', '-', '-n', 'cli-a'], { input: `---\n${JSON.stringify(cm('from-stdin'))}\n---\n` });
    assert.equal(stdin.trim(), 'configmap/from-stdin created');
    const names = await ok(['get', 'cm', '-n', 'cli-a', '-l', 'batch=folder', '-o', 'name']);
    assert.deepEqual(names.trim().split('\n'), ['configmap/a1', 'configmap/a2', 'configmap/a3', 'configmap/b', 'configmap/from-stdin']);
  });
});

describe('floe get', () => {
  test('prints tables from the server, NAME first, wide columns only with -o wide', async () => {
    const table = await ok(['get', 'configmaps', '-n', 'cli-a', '-l', 'app=web']);
    assert.match(table, /^NAME\s+DATA\s+AGE$/m);
    assert.match(table, /^web-config\s+1\s+\d+s$/m);
    const services = await ok(['get', 'svc', '-n', 'cli-a']);
    assert.match(services, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    assert.match(services, /^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\S+$/m);
    const wide = await ok(['get', 'service', 'web', '-n', 'cli-a', '-o', 'wide']);
    assert.match(wide, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
    assert.match(wide, /app=web$/m);
    const widgets = await ok(['get', 'wd', '-n', 'cli-a']);
    assert.match(widgets, /^NAME\s+SIZE\s+COLOR\s+AGE$/m);
    assert.match(widgets, /^w1\s+3\s+blue\s+\S+$/m);
    const all = await ok(['get', 'cm', '-A', '-l', 'tier=front']);
    assert.match(all, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
    assert.match(all, /^cli-a\s+web-config\s+1\s+\S+$/m);
    const several = await ok(['get', 'cm,svc', '-n', 'cli-a', '-l', 'tier=front']);
    assert.match(several, /^configmap\/web-config\s+1\s+\S+$/m);
    assert.match(several, /^service\/web\s+ClusterIP/m);
  });

  test('json, yaml, name and jsonpath for objects and lists; kind names resolve like kubectl', async () => {
    const one = JSON.parse(await ok(['get', 'configmap', 'web-config', '-n', 'cli-a', '-o', 'json'])) as { kind: string; data: Record<string, string> };
    assert.equal(one.kind, 'ConfigMap');
    assert.equal(one.data.greeting, 'bonjour');
    const list = JSON.parse(await ok(['get', 'cm', '-n', 'cli-a', '-l', 'app=web', '-o', 'json'])) as { kind: string; items: { kind: string; metadata: { name: string } }[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => `${i.kind}/${i.metadata.name}`), ['ConfigMap/web-config']);
    const yaml = await ok(['get', 'Widget', 'w1', '-n', 'cli-a', '-o', 'yaml']);
    assert.match(yaml, /^kind: Widget$/m);
    assert.match(yaml, /^ {2}size: 3$/m);
    for (const name of ['widgets', 'widget', 'wd', 'Widget', 'widgets.cli.floe.dev', 'widget.v1.cli.floe.dev']) {
      assert.equal((await ok(['get', name, '-n', 'cli-a', '-o', 'name'])).trim(), 'widget.cli.floe.dev/w1', name);
    }
    const labelled = await ok(['get', 'configmaps,secrets,services', '-n', 'cli-a', '-l', 'app=web,tier!=front', '-o', 'name']);
    assert.equal(labelled.trim(), 'secret/web-secret');
    const byField = await ok(['get', 'cm', '-A', '--field-selector', 'metadata.name=web-config', '-o', 'name']);
    assert.equal(byField.trim(), 'configmap/web-config');
    assert.equal(await ok(['get', 'secret/web-secret', '-n', 'cli-a', '-o', 'jsonpath={.type}/{.metadata.labels.app}']), 'Opaque/web');
    const empty = await run(['get', 'cm', '-n', 'cli-a', '-l', 'nothing=here']);
    assert.equal(empty.code, 0);
    assert.match(empty.stderr, /No resources found in cli-a namespace\./);
  });

  test('-w streams rows as objects change', async () => {
    await ok(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cli-w\n' });
    const watch = start(['get', 'configmaps', '-n', 'cli-w', '-w', '--output-watch-events']);
    try {
      await waitFor(() => /^EVENT\s+NAME\s+DATA\s+AGE$/m.test(watch.output()), { what: 'the watch header' });
      await ok(['apply', '-f', '-', '-n', 'cli-w'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w1\ndata: { a: "1" }\n' });
      await waitFor(() => /^ADDED\s+w1\s+1\s+\S+$/m.test(watch.output()), { what: 'ADDED w1' });
      await ok(['apply', '-f', '-', '-n', 'cli-w'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w1\ndata: { a: "1", b: "2" }\n' });
      await waitFor(() => /^MODIFIED\s+w1\s+2\s+\S+$/m.test(watch.output()), { what: 'MODIFIED w1' });
      await ok(['delete', 'cm', 'w1', '-n', 'cli-w']);
      await waitFor(() => /^DELETED\s+w1\s+/m.test(watch.output()), { what: 'DELETED w1' });
    } finally {
      await watch.stop();
    }
  });
});

describe('floe describe', () => {
  test('shows metadata, labels, annotations, data and the events about the object', async () => {
    const uid = await ok(['get', 'cm', 'web-config', '-n', 'cli-a', '-o', 'jsonpath={.metadata.uid}']);
    const now = new Date().toISOString();
    const event = {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-config.checked', namespace: 'cli-a' },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config', namespace: 'cli-a', uid },
      reason: 'Checked', message: 'configmap was checked', type: 'Normal', count: 1,
      source: { component: 'floe-test' }, firstTimestamp: now, lastTimestamp: now,
    };
    assert.equal((await api('POST', '/api/v1/namespaces/cli-a/events', event)).status, 201);
    const other = { ...event, metadata: { name: 'other.checked', namespace: 'cli-a' }, involvedObject: { ...event.involvedObject, name: 'web-secret', kind: 'Secret' }, message: 'not about the configmap' };
    assert.equal((await api('POST', '/api/v1/namespaces/cli-a/events', other)).status, 201);
    const out = await ok(['describe', 'configmap', 'web-config', '-n', 'cli-a']);
    assert.match(out, /^Name:\s+web-config$/m);
    assert.match(out, /^Namespace:\s+cli-a$/m);
    assert.match(out, /^Labels:\s+app=web$/m);
    assert.match(out, /^\s+tier=front$/m);
    assert.match(out, /^Annotations:\s+owner=team-a$/m);
    assert.match(out, /^Data:\n {2}greeting: bonjour$/m);
    assert.match(out, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
    assert.match(out, /^\s+Normal\s+Checked\s+\S+\s+floe-test\s+configmap was checked$/m);
    assert.ok(!out.includes('not about the configmap'), out);
    const secret = await ok(['describe', 'secret/web-secret', '-n', 'cli-a']);
    assert.match(secret, /password: 6 bytes/);
    assert.ok(!secret.includes('s3cret') && !secret.includes(Buffer.from('s3cret').toString('base64')), 'secret values stay hidden');
    const widget = await ok(['describe', 'wd', 'w1', '-n', 'cli-a']);
    assert.match(widget, /^Spec:\n {2}size: 3\n {2}color: blue$/m);
    assert.match(widget, /^Events:\s+<none>$/m);
  });
});

describe('floe wait', () => {
  test('--for=condition follows a watch until a status patched over HTTP says so', async () => {
    const waiter = start(['wait', 'widget/w1', '-n', 'cli-a', '--for=condition=Ready', '--timeout=60s']);
    try {
      const patch = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Built', message: 'all parts in place', lastTransitionTime: new Date().toISOString() }] } };
      const r = await api('PATCH', '/apis/cli.floe.dev/v1/namespaces/cli-a/widgets/w1/status', patch, 'application/merge-patch+json');
      assert.equal(r.status, 200);
      const result = await waiter.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'widget.cli.floe.dev/w1 condition met');
    } finally {
      await waiter.stop();
    }
    const described = await ok(['describe', 'widget', 'w1', '-n', 'cli-a']);
    assert.match(described, /^Conditions:\n\s+Type\s+Status\s+Reason\s+Age\s+Message\n.*\n\s+Ready\s+True\s+Built\s+\S+\s+all parts in place$/m);
    const timedOut = await fails(['wait', 'widgets', 'w1', '-n', 'cli-a', '--for=condition=Ready=False', '--timeout=1s'], 1);
    assert.match(timedOut, /timed out waiting for condition Ready=False on widgets\.cli\.floe\.dev\/w1/);
    const missing = await fails(['wait', 'widget/nope', '-n', 'cli-a', '--for=condition=Ready'], 1);
    assert.match(missing, /Error from server \(NotFound\): widgets\.cli\.floe\.dev "nope" not found/);
  });

  test('--for=delete returns once the object is gone', async () => {
    await ok(['apply', '-f', '-', '-n', 'cli-a'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: doomed\n' });
    const waiter = start(['wait', 'cm/doomed', '-n', 'cli-a', '--for=delete', '--timeout=60s']);
    try {
      await ok(['delete', 'cm', 'doomed', '-n', 'cli-a']);
      const result = await waiter.done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /configmap\/doomed condition met/);
    } finally {
      await waiter.stop();
    }
  });
});

describe('floe delete', () => {
  test('by name, by label and from a file; the objects are gone', async () => {
    assert.equal((await ok(['delete', 'configmap', 'b', '-n', 'cli-a'])).trim(), 'configmap "b" deleted');
    const gone = await fails(['get', 'configmap', 'b', '-n', 'cli-a'], 1);
    assert.match(gone, /Error from server \(NotFound\): configmaps "b" not found/);
    const byLabel = await ok(['delete', 'cm', '-n', 'cli-a', '-l', 'batch=folder', '--wait']);
    assert.deepEqual(byLabel.trim().split('\n').sort(), ['configmap "a1" deleted', 'configmap "a2" deleted', 'configmap "a3" deleted', 'configmap "from-stdin" deleted']);
    const fromFile = await ok(['delete', '-f', file('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: cli-a\n')]);
    assert.equal(fromFile.trim(), 'service "web" deleted');
    assert.equal((await run(['get', 'svc', 'web', '-n', 'cli-a'])).code, 1);
    const twice = await fails(['delete', 'cm', 'b', '-n', 'cli-a'], 1);
    assert.match(twice, /Error from server \(NotFound\): configmaps "b" not found/);
    await ok(['delete', 'cm', 'b', '-n', 'cli-a', '--ignore-not-found']);
  });

  test('--cascade=orphan keeps a dependent, background removes it', async () => {
    for (const parent of ['keeper', 'dropper']) {
      await ok(['apply', '-f', '-', '-n', 'cli-a'], { input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${parent}\n` });
      const uid = await ok(['get', 'cm', parent, '-n', 'cli-a', '-o', 'jsonpath={.metadata.uid}']);
      const child = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${parent}-child`, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: parent, uid }] } };
      await ok(['apply', '-f', '-', '-n', 'cli-a'], { input: JSON.stringify(child) });
    }
    await ok(['delete', 'cm', 'keeper', '-n', 'cli-a', '--cascade=orphan', '--wait']);
    await waitFor(async () => {
      const child = JSON.parse(await ok(['get', 'cm', 'keeper-child', '-n', 'cli-a', '-o', 'json'])) as { metadata: { ownerReferences?: unknown[] } };
      return child.metadata.ownerReferences === undefined;
    }, { what: 'the orphaned child to lose its owner reference' });
    await ok(['delete', 'cm', 'dropper', '-n', 'cli-a', '--cascade', 'background']);
    await waitFor(async () => (await run(['get', 'cm', 'dropper-child', '-n', 'cli-a'])).code === 1, { what: 'background cascade to remove the child' });
    assert.equal((await run(['get', 'cm', 'keeper-child', '-n', 'cli-a'])).code, 0);
  });
});

describe('floe version and finding the server', () => {
  test('version prints the client and the server', async () => {
    const out = await ok(['version']);
    assert.match(out, /^Client Version: v\d+\.\d+\.\d+$/m);
    assert.match(out, /^Server Version: v1\.32\.0-floe/m);
    const json = JSON.parse(await ok(['version', '-o', 'json'])) as { clientVersion: { floeVersion: string }; serverVersion: { gitVersion: string } };
    assert.match(json.serverVersion.gitVersion, /floe/);
  });

  test('the server is found through $KUBECONFIG and --data-dir too', async () => {
    assert.equal((await ok(['get', 'ns', 'default', '-o', 'name'], { connect: false, env: { KUBECONFIG: floe.kubeconfig } })).trim(), 'namespace/default');
    assert.equal((await ok(['get', 'ns', 'default', '-o', 'name', '--data-dir', floe.dataDir], { connect: false })).trim(), 'namespace/default');
    assert.equal((await ok(['get', 'ns', 'default', '-o', 'name'], { connect: false, env: { FLOE_DATA_DIR: floe.dataDir } })).trim(), 'namespace/default');
  });
});

describe('floe against a token-protected server, and kubeconfigs client-node reads', () => {
  test("a token-protected Floe is reached over HTTPS with the kubeconfig's CA and token", async () => {
    const guarded = await startFloeProcess(['--token', 'sesame-0123456789']);
    try {
      assert.match(guarded.url, /^https:/);
      const names = await ok(['get', 'ns', 'default', '-o', 'name'], { connect: false, env: { KUBECONFIG: guarded.kubeconfig } });
      assert.equal(names.trim(), 'namespace/default');
      const wrong = file('wrong-token.kubeconfig', readFileSync(guarded.kubeconfig, 'utf8').replace(/token: .*/, 'token: not-the-token'));
      assert.match(await fails(['get', 'ns', '--kubeconfig', wrong], 1, { connect: false }), /Error from server \(Unauthorized\)/);
    } finally {
      await guarded.stop();
      removeDir(guarded.dataDir);
    }
  });

  test('credentials beyond tokens and certificates go through client-node', async () => {
    const original = readFileSync(floe.kubeconfig, 'utf8');
    const basic = original.replace('  user: {}\n', '  user:\n    username: alice\n    password: wonderland\n');
    assert.notEqual(basic, original);
    // The CLI sends the kubeconfig's basic credentials (through client-node); Floe, like kube-apiserver since 1.19,
    // knows no passwords and refuses credentials it cannot check instead of taking the caller for the local admin.
    assert.match(await fails(['get', 'ns', 'default', '-o', 'name', '--kubeconfig', file('basic.kubeconfig', basic)], 1, { connect: false }), /Error from server \(Unauthorized\)/);
  });
});

describe('bad input gets a clear message and a script-friendly exit code', () => {
  test('unknown kinds, missing files and malformed or invalid manifests exit 1', async () => {
    assert.match(await fails(['get', 'gadgets'], 1), /^error: the server doesn't have a resource type "gadgets"/m);
    const unknown = await fails(['apply', '-f', '-'], 1, { input: 'apiVersion: cli.floe.dev/v1\nkind: Gadget\nmetadata:\n  name: g\n' });
    assert.match(unknown, /no matches for kind "Gadget" in version "cli\.floe\.dev\/v1"/);
    assert.match(await fails(['apply', '-f', join(work, 'missing.yaml')], 1), /the path ".*missing\.yaml" does not exist/);
    assert.match(await fails(['apply', '-f', '-'], 1, { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n' }), /error parsing stdin/);
    assert.match(await fails(['apply', '-f', '-'], 1, { input: 'kind: ConfigMap\nmetadata:\n  name: x\n' }), /apiVersion not set/);
    const invalid = await fails(['apply', '-f', '-', '-n', 'cli-a'], 1, { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_A_Name' } }) });
    assert.match(invalid, /Error from server \(Invalid\): ConfigMap "Not_A_Name" is invalid: metadata\.name/);
    assert.equal((await run(['get', 'cm', 'Not_A_Name', '-n', 'cli-a'])).code, 1);
  });

  test('commands typed wrong exit 2', async () => {
    assert.match(await fails(['get'], 2), /missing required argument/);
    assert.match(await fails(['get', 'cm', '-o', 'bogus'], 2), /output format "bogus"/);
    assert.match(await fails(['wait', 'widget/w1'], 2), /--for/);
    assert.match(await fails(['wait', 'widget/w1', '--for=ready'], 2), /condition=<type>/);
    assert.match(await fails(['delete', 'cm', 'x', '--cascade=sideways'], 2), /--cascade must be/);
    assert.match(await fails(['delete', 'cm'], 2), /-l SELECTOR or --all/);
    assert.match(await fails(['frobnicate'], 2), /unknown command/);
  });

  test('logs of a pod that does not exist', async () => {
    const err = await fails(['logs', 'ghost', '-n', 'cli-a'], 1);
    assert.match(err, /Error from server \(NotFound\): pods "ghost" not found/);
  });
});
