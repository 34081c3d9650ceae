// The real kubectl drives a running `floe up`: the verbs users type, and bad input that must store nothing.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, kubectlFails, kubectlOk, kubectlStream, removeDir, type RunningFloe, startFloeProcess, waitFor } from './harness.js';

let floe: RunningFloe;
before(async () => { floe = await startFloeProcess(); });
after(async () => {
  await floe.stop();
  removeDir(floe.dataDir);
});

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(floe, args, input);

/** Creates a namespace from a manifest. */
async function namespace(name: string): Promise<void> {
  await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

async function configMap(name: string, ns: string, data: Record<string, string> = {}): Promise<void> {
  await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data }));
}

const fails = (args: string[], input?: string): Promise<string> => kubectlFails(floe, args, input);

const app = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: { app: web, tier: front }
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: shop
  labels: { app: web }
stringData:
  password: s3cret
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels: { app: web }
spec:
  selector: { app: web }
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  labels: { app: web, tier: front }
spec:
  nodeSelector: { floe.dev/e2e: never-scheduled }
  containers:
  - name: web
    image: python:3.11
    command: ["python", "-m", "http.server", "8080"]
    ports:
    - containerPort: 8080
`;

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.floe.dev
spec:
  group: example.floe.dev
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    - name: Color
      type: string
      jsonPath: .spec.color
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: { type: integer, minimum: 1, maximum: 10 }
              color: { type: string, enum: [red, green, blue], default: blue }
          status:
            type: object
            properties:
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: { type: string }
                    status: { type: string }
`;

describe('kubectl against floe', () => {
  test('version and api-resources come from discovery', async () => {
    const version = await ok(['version', '-o', 'json']);
    assert.match(version, /"gitVersion": "v1\.32\.0-floe/);
    const resources = await ok(['api-resources']);
    for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m]) {
      assert.match(resources, line);
    }
  });

  test('apply -f creates every document of a multi-document YAML, and re-applying is unchanged', async () => {
    const out = await ok(['apply', '-f', '-'], app);
    for (const line of ['namespace/shop created', 'configmap/web-config created', 'secret/web-secret created', 'service/web created', 'pod/web-0 created']) {
      assert.ok(out.includes(line), `missing "${line}" in:\n${out}`);
    }
    const again = await ok(['apply', '-f', '-'], app);
    assert.ok(again.includes('configmap/web-config unchanged'), again);
    const changed = await ok(['apply', '-f', '-'], app.replace('greeting: hello', 'greeting: bonjour'));
    assert.ok(changed.includes('configmap/web-config configured'), changed);
    const data = await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.greeting}']);
    assert.equal(data, 'bonjour');
  });

  test('get prints tables, yaml, json and filters by label', async () => {
    const table = await ok(['get', 'pods', '-n', 'shop']);
    assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(table, /^web-0\s+0\/1\s+Pending\s+0\s+\S+$/m);
    const services = await ok(['get', 'svc', '-n', 'shop']);
    assert.match(services, /^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\S+$/m);
    const yaml = await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'yaml']);
    assert.match(yaml, /^kind: ConfigMap$/m);
    assert.match(yaml, /resourceVersion: "\d+"/);
    const json = JSON.parse(await ok(['get', 'secret', 'web-secret', '-n', 'shop', '-o', 'json'])) as { data: Record<string, string>; type: string };
    assert.equal(Buffer.from(json.data.password ?? '', 'base64').toString(), 's3cret');
    assert.equal(json.type, 'Opaque');
    const labelled = await ok(['get', 'configmaps,pods', '-n', 'shop', '-l', 'tier=front', '-o', 'name']);
    assert.deepEqual(labelled.trim().split('\n').sort(), ['configmap/web-config', 'pod/web-0']);
    const notFront = await ok(['get', 'configmaps,pods,services', '-n', 'shop', '-l', 'app=web,tier!=front', '-o', 'name']);
    assert.deepEqual(notFront.trim().split('\n'), ['service/web']);
    const byField = await ok(['get', 'pods', '-A', '--field-selector', 'status.phase=Pending', '-o', 'name']);
    assert.equal(byField.trim(), 'pod/web-0');
  });

  test('kubectl create sends protobuf for namespaces, configmaps, secrets and service accounts', async () => {
    assert.match(await ok(['create', 'namespace', 'typed']), /namespace\/typed created/);
    assert.match(await ok(['create', 'configmap', 'settings', '-n', 'typed', '--from-literal=mode=fast', '--from-literal=level=3']), /configmap\/settings created/);
    assert.match(await ok(['create', 'secret', 'generic', 'token', '-n', 'typed', '--from-literal=value=abc']), /secret\/token created/);
    assert.match(await ok(['create', 'serviceaccount', 'robot', '-n', 'typed']), /serviceaccount\/robot created/);
    assert.equal(await ok(['get', 'configmap', 'settings', '-n', 'typed', '-o', 'jsonpath={.data.mode}/{.data.level}']), 'fast/3');
    assert.equal(Buffer.from(await ok(['get', 'secret', 'token', '-n', 'typed', '-o', 'jsonpath={.data.value}']), 'base64').toString(), 'abc');
    assert.match(await ok(['get', 'secret', 'token', '-n', 'typed']), /^token\s+Opaque\s+1\s+/m);
  });

  test('get -w streams changes as they happen', async () => {
    await namespace('watching');
    const watch = kubectlStream(floe, ['get', 'configmaps', '-n', 'watching', '-w', '--output-watch-events']);
    try {
      await configMap('w1', 'watching', { a: '1' });
      await waitFor(() => /ADDED\s+w1/.test(watch.output()), { what: 'ADDED w1 in kubectl get -w' });
      await ok(['label', 'configmap', 'w1', '-n', 'watching', 'seen=yes']);
      await waitFor(() => /MODIFIED\s+w1/.test(watch.output()), { what: 'MODIFIED w1' });
      await ok(['delete', 'configmap', 'w1', '-n', 'watching']);
      await waitFor(() => /DELETED\s+w1/.test(watch.output()), { what: 'DELETED w1' });
    } finally {
      await watch.stop();
    }
  });

  test('describe shows an object with its events', async () => {
    const uid = await ok(['get', 'pod', 'web-0', '-n', 'shop', '-o', 'jsonpath={.metadata.uid}']);
    const manifest = JSON.stringify({
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-0.scheduled', namespace: 'shop' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-0', namespace: 'shop', uid },
      reason: 'Scheduled', message: 'assigned shop/web-0 to floe', type: 'Normal', count: 1,
      source: { component: 'floe-scheduler' }, firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(),
    });
    await ok(['create', '-f', '-'], manifest);
    const pod = await ok(['describe', 'pod', 'web-0', '-n', 'shop']);
    assert.match(pod, /^Name:\s+web-0$/m);
    assert.match(pod, /^Namespace:\s+shop$/m);
    assert.match(pod, /^Labels:\s+app=web$/m);
    assert.match(pod, /Image:\s+python:3\.11/);
    assert.match(pod, /Scheduled\s+.*assigned shop\/web-0 to floe/);
    const cm = await ok(['describe', 'configmap', 'web-config', '-n', 'shop']);
    assert.match(cm, /greeting/);
  });

  test('label, annotate, patch (merge and json) and replace', async () => {
    await ok(['label', 'configmap', 'web-config', '-n', 'shop', 'release=stable']);
    await ok(['annotate', 'configmap', 'web-config', '-n', 'shop', 'owner=team-a']);
    await ok(['patch', 'configmap', 'web-config', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"extra":"1"}}']);
    await ok(['patch', 'configmap', 'web-config', '-n', 'shop', '--type', 'json', '-p', '[{"op":"replace","path":"/data/extra","value":"2"}]']);
    await ok(['patch', 'pod', 'web-0', '-n', 'shop', '-p', '{"spec":{"containers":[{"name":"web","image":"python:3.12"}]}}']);
    const cm = JSON.parse(await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; data: Record<string, string> };
    assert.equal(cm.metadata.labels.release, 'stable');
    assert.equal(cm.metadata.annotations.owner, 'team-a');
    assert.equal(cm.data.extra, '2');
    const image = await ok(['get', 'pod', 'web-0', '-n', 'shop', '-o', 'jsonpath={.spec.containers[0].image} {.spec.containers[0].command[0]}']);
    assert.equal(image, 'python:3.12 python');
    const replaced = JSON.stringify({ ...cm, data: { only: 'this' } });
    await ok(['replace', '-f', '-'], replaced);
    assert.equal(await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data}']), '{"only":"this"}');
    const unlabel = await ok(['label', 'configmap', 'web-config', '-n', 'shop', 'release-']);
    assert.match(unlabel, /unlabeled/);
  });

  test('a stale resourceVersion is refused with a Conflict and changes nothing', async () => {
    const stale = JSON.parse(await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'json'])) as { data: Record<string, string> };
    await ok(['patch', 'configmap', 'web-config', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"only":"newer"}}']);
    const err = await fails(['replace', '-f', '-'], JSON.stringify({ ...stale, data: { only: 'older' } }));
    assert.match(err, /the object has been modified; please apply your changes to the latest version and try again/);
    assert.equal(await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.only}']), 'newer');
  });

  test('delete cascades: background removes dependents, orphan keeps them', async () => {
    await namespace('cascade');
    const parentUid = async (name: string): Promise<string> => ok(['get', 'configmap', name, '-n', 'cascade', '-o', 'jsonpath={.metadata.uid}']);
    for (const name of ['bg-parent', 'orphan-parent']) {
      await configMap(name, 'cascade');
      const uid = await parentUid(name);
      await ok(['create', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: `${name}-child`, namespace: 'cascade', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid }] },
      }));
    }
    await ok(['delete', 'configmap', 'bg-parent', '-n', 'cascade']);
    await waitFor(async () => (await kubectl(floe, ['get', 'configmap', 'bg-parent-child', '-n', 'cascade'])).code !== 0, { what: 'background cascade' });
    await ok(['delete', 'configmap', 'orphan-parent', '-n', 'cascade', '--cascade=orphan']);
    const orphan = JSON.parse(await ok(['get', 'configmap', 'orphan-parent-child', '-n', 'cascade', '-o', 'json'])) as { metadata: { ownerReferences?: unknown[] } };
    assert.equal(orphan.metadata.ownerReferences, undefined);
    await configMap('fg-parent', 'cascade');
    const uid = await parentUid('fg-parent');
    await ok(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'fg-child', namespace: 'cascade', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-parent', uid, blockOwnerDeletion: true }] },
    }));
    await ok(['delete', 'configmap', 'fg-parent', '-n', 'cascade', '--cascade=foreground']);
    const left = await kubectl(floe, ['get', 'configmaps', '-n', 'cascade', '-o', 'name']);
    assert.ok(!left.stdout.includes('fg-'), left.stdout);
  });

  test('deleting a namespace removes what is in it', async () => {
    await namespace('doomed');
    await configMap('inside', 'doomed');
    await ok(['delete', 'namespace', 'doomed']);
    const r = await kubectl(floe, ['get', 'namespace', 'doomed']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "doomed" not found/);
    assert.match(await fails(['delete', 'namespace', 'default']), /this namespace may not be deleted/);
  });

  test('apply a CRD, then custom resources of it; wait for a condition', async () => {
    const out = await ok(['apply', '-f', '-'], crd);
    assert.match(out, /customresourcedefinition\.apiextensions\.k8s\.io\/widgets\.example\.floe\.dev created/);
    await ok(['wait', '--for=condition=Established', 'crd/widgets.example.floe.dev', '--timeout=30s']);
    await ok(['apply', '-f', '-'], 'apiVersion: example.floe.dev/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: shop\nspec:\n  size: 3\n');
    const table = await ok(['get', 'widgets', '-n', 'shop']);
    assert.match(table, /^NAME\s+SIZE\s+COLOR\s+AGE$/m);
    assert.match(table, /^w1\s+3\s+blue\s+\S+$/m);
    assert.match(await ok(['get', 'wd', '-n', 'shop', '-o', 'name']), /^widget\.example\.floe\.dev\/w1$/m);
    assert.match(await ok(['get', 'all', '-n', 'shop', '-o', 'name']), /widget\.example\.floe\.dev\/w1/);
    const waiter = kubectlStream(floe, ['wait', '--for=condition=Ready', 'widget/w1', '-n', 'shop', '--timeout=60s']);
    try {
      await ok(['patch', 'widget', 'w1', '-n', 'shop', '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}']);
      await waitFor(() => /condition met/.test(waiter.output()), { what: 'kubectl wait to report the condition' });
    } finally {
      await waiter.stop();
    }
    const explain = await ok(['explain', 'widgets.spec']);
    assert.match(explain, /size/);
  });

  test('server-side apply creates and updates', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: shop\ndata:\n  a: "1"\n';
    assert.match(await ok(['apply', '--server-side', '-f', '-'], manifest), /configmap\/ssa serverside-applied/);
    await ok(['apply', '--server-side', '-f', '-'], manifest.replace('a: "1"', 'a: "2"'));
    assert.equal(await ok(['get', 'configmap', 'ssa', '-n', 'shop', '-o', 'jsonpath={.data.a}']), '2');
  });
});

describe('kubectl bad input gets a clear error and stores nothing', () => {
  test('malformed YAML is rejected', async () => {
    const err = await fails(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n');
    assert.match(err, /error/i);
  });

  test('an unknown kind is named', async () => {
    const err = await fails(['apply', '-f', '-'], 'apiVersion: example.floe.dev/v1\nkind: Gadget\nmetadata:\n  name: g\n');
    assert.match(err, /no matches for kind "Gadget"/);
  });

  test('schema violations name every bad field and store nothing', async () => {
    const err = await fails(['apply', '-f', '-'], 'apiVersion: example.floe.dev/v1\nkind: Widget\nmetadata:\n  name: bad\n  namespace: shop\nspec:\n  size: 11\n  color: purple\n');
    assert.match(err, /spec\.size/);
    assert.match(err, /spec\.color/);
    assert.match(err, /Unsupported value: "purple"/);
    assert.notEqual((await kubectl(floe, ['get', 'widget', 'bad', '-n', 'shop'])).code, 0);
    const missing = await fails(['apply', '-f', '-'], 'apiVersion: example.floe.dev/v1\nkind: Widget\nmetadata:\n  name: bad\n  namespace: shop\nspec:\n  color: red\n');
    assert.match(missing, /spec\.size: Required value/);
  });

  test('unknown fields are refused under strict validation', async () => {
    const err = await fails(['apply', '-f', '-'], 'apiVersion: example.floe.dev/v1\nkind: Widget\nmetadata:\n  name: extra\n  namespace: shop\nspec:\n  size: 2\n  flavour: lime\n');
    assert.match(err, /unknown field "spec\.flavour"/);
  });

  test('names that break DNS-1123 are Invalid', async () => {
    const err = await fails(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_A_Name', namespace: 'shop' } }));
    assert.match(err, /metadata\.name: Invalid value: "Not_A_Name"/);
    const pod = await fails(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n  - name: Bad_Container\n');
    assert.match(pod, /spec\.containers\[0\]\.name/);
    assert.match(pod, /spec\.containers\[0\]\.image: Required value/);
    assert.notEqual((await kubectl(floe, ['get', 'pod', 'p', '-n', 'shop'])).code, 0);
  });

  test('raw HTTP: malformed JSON, oversized bodies, wrong kinds and missing namespaces get Status errors', async () => {
    const post = (path: string, body: string, type = 'application/json'): Promise<Response> =>
      fetch(`${floe.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const status = async (r: Response): Promise<{ kind: string; reason: string; code: number; message: string }> =>
      (await r.json()) as { kind: string; reason: string; code: number; message: string };

    let r = await post('/api/v1/namespaces/shop/configmaps', '{"apiVersion": "v1", "kind": "ConfigMap", ');
    assert.equal(r.status, 400);
    assert.deepEqual(((s) => [s.kind, s.reason])(await status(r)), ['Status', 'BadRequest']);

    r = await post('/api/v1/namespaces/shop/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { blob: 'x'.repeat(4 * 1024 * 1024) } }));
    assert.equal(r.status, 413);
    assert.equal((await status(r)).reason, 'RequestEntityTooLarge');

    r = await post('/api/v1/namespaces/shop/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wrong' } }));
    assert.equal(r.status, 400);

    r = await post('/api/v1/namespaces/nowhere/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lost' } }));
    assert.equal(r.status, 404);
    assert.match((await status(r)).message, /namespaces "nowhere" not found/);

    r = await fetch(`${floe.url}/api/v1/namespaces/shop/configmaps/web-config`, { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: '[{"op":"test","path":"/data/only","value":"nope"}]' });
    assert.equal(r.status, 422);

    r = await fetch(`${floe.url}/apis/example.floe.dev/v1/namespaces/shop/widgets/w1`, { method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' }, body: '{"spec":{"size":4}}' });
    assert.equal(r.status, 415);

    const names = await ok(['get', 'configmaps', '-n', 'shop', '-o', 'name']);
    for (const n of ['huge', 'wrong', 'lost']) assert.ok(!names.includes(`configmap/${n}\n`), names);
  });

  test('a server bound off loopback refuses to start without a token', async () => {
    await assert.rejects(startFloeProcess(['--host', '0.0.0.0']), /without a token/);
  });

  test('with a token, requests must carry it; kubectl gets it from the kubeconfig', async () => {
    const guarded = await startFloeProcess(['--token', 'sesame-0123456789']);
    try {
      assert.match(guarded.url, /^https:/);
      const ca = readFileSync(join(guarded.dataDir, 'pki', 'ca.crt'), 'utf8');
      const get = (headers: Record<string, string>): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
        https.get(`${guarded.url}/api/v1/namespaces`, { ca, headers }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => { body += d.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
      const anonymous = await get({});
      assert.equal(anonymous.status, 401);
      assert.equal((JSON.parse(anonymous.body) as { reason: string }).reason, 'Unauthorized');
      assert.equal((await get({ authorization: 'Bearer nope' })).status, 401);
      assert.equal((await get({ authorization: 'Bearer sesame-0123456789' })).status, 200);
      const r = await kubectl(guarded, ['get', 'namespace', 'default', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'namespace/default', r.stderr);
    } finally {
      await guarded.stop();
      removeDir(guarded.dataDir);
    }
  });

  test('kubectl describe service shows the endpoints of its running Pod (read from the EndpointSlice)', async () => {
    const ns = 'describe-svc';
    assert.equal((await kubectl(floe, ['create', 'namespace', ns])).code, 0);
    assert.equal((await kubectl(floe, ['-n', ns, 'run', 'web', '--image=busybox', '--command', '--', 'sleep', '300'])).code, 0);
    assert.equal((await kubectl(floe, ['-n', ns, 'expose', 'pod', 'web', '--port', '80'])).code, 0);
    const described = await waitFor(async () => {
      const r = await kubectl(floe, ['-n', ns, 'describe', 'service', 'web']);
      return /Endpoints:\s+127\.0\.0\.1:\d+/.test(r.stdout) ? r.stdout : undefined;
    }, { what: 'the endpoints in kubectl describe', timeoutMs: 30_000 });
    const slices = await kubectl(floe, ['-n', ns, 'get', 'endpointslices', '-o', 'name']);
    assert.equal(slices.stdout.trim(), 'endpointslice.discovery.k8s.io/web', described);
    await kubectl(floe, ['-n', ns, 'delete', 'pod', 'web', '--grace-period=0', '--force']);
  });
});
