// LimitRange and ResourceQuota side by side: the same requests to Floe and to a real kube-apiserver 1.32 give the same answers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultConfig } from '../src/server/config.js';
import { startFloe } from '../src/server/floe.js';
import { controlPlaneUnavailable, startControlPlane } from './helpers/control-plane.js';
import { waitFor } from './helpers/wait.js';
import { closedPort, makeCerts, startWebhookServer } from './helpers/webhook-server.js';

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

interface Target {
  name: string;
  request(method: string, path: string, body?: unknown): Promise<Reply>;
  stop(): Promise<void>;
}

function collect(resolve: (r: Reply) => void, reject: (e: Error) => void) {
  return (res: import('node:http').IncomingMessage): void => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
    });
  };
}

async function floeTarget(): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'floe-admission-diff-'));
  const floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  return {
    name: 'floe',
    request: (method, path, body) =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: floe.port, method, path, headers: { 'content-type': 'application/json' } }, collect(resolve, reject));
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      }),
    async stop() {
      await floe.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function kubeTarget(): Promise<Target> {
  const plane = await startControlPlane();
  const config = parseYaml(await readFile(plane.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
  const ca = Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString('utf8');
  const token = config.users[0]!.user.token;
  const url = new URL(config.clusters[0]!.cluster.server);
  return {
    name: 'kube-apiserver',
    request: (method, path, body) =>
      new Promise((resolve, reject) => {
        const req = httpsRequest({ host: url.hostname, port: Number(url.port), method, path, ca, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, collect(resolve, reject));
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      }),
    stop: () => plane.stop(),
  };
}

function pod(ns: string, name: string, resources?: Record<string, Record<string, string>>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { nodeSelector: { 'floe.dev/differential': 'nowhere' }, containers: [{ name: 'main', image: 'busybox:1.36', ...(resources ? { resources } : {}) }] },
  };
}

/** The same requests to one server; returns what each answered, in the terms compared. */
async function scenario(t: Target): Promise<unknown[]> {
  const out: unknown[] = [];
  // A 422 is compared by its causes (field and message); every other refusal by its message.
  const answer = (r: Reply): unknown =>
    r.status === 422
      ? { status: r.status, reason: r.json.reason, causes: (r.json.details as { causes?: unknown[] } | undefined)?.causes }
      : r.status >= 400
        ? { status: r.status, reason: r.json.reason, message: r.json.message }
        : { status: r.status };
  const ns = async (name: string): Promise<void> => {
    assert.ok([201, 409].includes((await t.request('POST', '/api/v1/namespaces', { metadata: { name } })).status));
    if (t.name === 'kube-apiserver') await waitFor(async () => (await t.request('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200, { timeoutMs: 180_000, what: 'default ServiceAccount' });
  };
  const quotaReady = (namespace: string, name: string, field: string, value: string): Promise<unknown> =>
    waitFor(async () => {
      const q = await t.request('GET', `/api/v1/namespaces/${namespace}/resourcequotas/${name}`);
      return ((q.json.status as { used?: Record<string, string> } | undefined)?.used ?? {})[field] === value;
    }, { timeoutMs: 180_000, what: `quota ${name} ${field}=${value}` });

  await ns('lr-diff');
  const lr = await t.request('POST', '/api/v1/namespaces/lr-diff/limitranges', {
    metadata: { name: 'lr' },
    spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '250m', memory: '128Mi' }, max: { cpu: '1' }, maxLimitRequestRatio: { memory: '4' } }, { type: 'Pod', max: { memory: '1Gi' } }] },
  });
  out.push(answer(lr), (lr.json.spec as Record<string, unknown>).limits);
  const plain = await t.request('POST', '/api/v1/namespaces/lr-diff/pods', pod('lr-diff', 'plain'));
  const meta = plain.json.metadata as { annotations?: Record<string, string> };
  out.push(answer(plain), meta.annotations?.['kubernetes.io/limit-ranger'], ((plain.json.spec as { containers: { resources: unknown }[] }).containers[0]!).resources, (plain.json.status as { qosClass?: string }).qosClass);
  out.push(answer(await t.request('POST', '/api/v1/namespaces/lr-diff/pods', pod('lr-diff', 'big', { limits: { cpu: '2' } }))));
  out.push(answer(await t.request('POST', '/api/v1/namespaces/lr-diff/pods', pod('lr-diff', 'ratio', { limits: { memory: '1Gi' }, requests: { memory: '100Mi' } }))));
  out.push(answer(await t.request('POST', '/api/v1/namespaces/lr-diff/pods', pod('lr-diff', 'podmax', { limits: { memory: '2Gi' }, requests: { memory: '1Gi' } }))));
  const badRange = await t.request('POST', '/api/v1/namespaces/lr-diff/limitranges', { metadata: { name: 'bad' }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } });
  out.push(answer(badRange));

  const quota = await t.request('POST', '/api/v1/namespaces/lr-diff/resourcequotas', { metadata: { name: 'q' }, spec: { hard: { pods: '2', 'limits.cpu': '1500m' } } });
  out.push(answer(quota));
  await quotaReady('lr-diff', 'q', 'pods', '1');
  const second = await t.request('POST', '/api/v1/namespaces/lr-diff/pods', pod('lr-diff', 'second'));
  out.push(answer(second));
  if (second.status === 201) await quotaReady('lr-diff', 'q', 'pods', '2');
  out.push(answer(await t.request('POST', '/api/v1/namespaces/lr-diff/pods', pod('lr-diff', 'third'))));
  const status = (await t.request('GET', '/api/v1/namespaces/lr-diff/resourcequotas/q')).json.status;
  out.push(status);

  await ns('quota-diff');
  out.push(answer(await t.request('POST', '/api/v1/namespaces/quota-diff/resourcequotas', { metadata: { name: 'compute' }, spec: { hard: { 'limits.memory': '1Gi', 'requests.cpu': '1', 'count/configmaps': '2' } } })));
  await quotaReady('quota-diff', 'compute', 'requests.cpu', '0');
  out.push(answer(await t.request('POST', '/api/v1/namespaces/quota-diff/pods', pod('quota-diff', 'none'))));
  out.push(answer(await t.request('POST', '/api/v1/namespaces/quota-diff/pods', pod('quota-diff', 'fits', { limits: { memory: '512Mi', cpu: '600m' } }))));
  out.push(answer(await t.request('POST', '/api/v1/namespaces/quota-diff/pods', pod('quota-diff', 'over', { limits: { memory: '768Mi', cpu: '600m' } }))));
  // kube-controller-manager publishes kube-root-ca.crt in every namespace; Floe does too (the count starts at one).
  const configMaps = ((await t.request('GET', '/api/v1/namespaces/quota-diff/configmaps')).json.items as unknown[]).length;
  let last: unknown;
  for (let i = configMaps; i < 3; i++) last = answer(await t.request('POST', '/api/v1/namespaces/quota-diff/configmaps', { metadata: { name: `cm-${i}` } }));
  out.push(last);
  out.push(answer(await t.request('POST', '/api/v1/namespaces/quota-diff/resourcequotas', { metadata: { name: 'bad' }, spec: { hard: { pods: '-1' } } })));
  return out;
}

/** The webhook server both targets call, and a port nothing listens on. */
interface Hooks {
  port: number;
  closed: number;
  caBundle: string;
}

/** Webhooks and ValidatingAdmissionPolicy: the same configurations, the same requests, the answers compared. */
async function webhookScenario(t: Target, hooks: Hooks): Promise<unknown[]> {
  const out: unknown[] = [];
  // A 422 is compared by its causes (Floe lists several without kube's brackets), every other refusal by its message.
  const answer = (r: Reply): unknown =>
    r.status === 422 && (r.json.details as { causes?: unknown[] } | undefined)?.causes?.some((c) => (c as { field?: string }).field)
      ? { status: r.status, reason: r.json.reason, causes: (r.json.details as { causes?: unknown[] }).causes }
      : r.status >= 400
        ? { status: r.status, reason: r.json.reason, code: r.json.code, message: r.json.message }
        : { status: r.status, labels: (r.json.metadata as { labels?: unknown } | undefined)?.labels };
  assert.equal((await t.request('POST', '/api/v1/namespaces', { metadata: { name: 'wh-diff', labels: { 'wh-diff': 'yes' } } })).status, 201);
  const hook = (name: string, path: string, extra: Record<string, unknown> = {}, port = hooks.port): Record<string, unknown> => ({
    name,
    clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle: hooks.caBundle },
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
    namespaceSelector: { matchLabels: { 'wh-diff': 'yes' } },
    objectSelector: { matchLabels: { case: name.split('.')[0]! } },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  });
  const created = (r: Reply): unknown => (r.status === 201 ? (r.json as { webhooks?: unknown }).webhooks ?? r.json.spec : answer(r));
  out.push(created(await t.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { metadata: { name: 'm' }, webhooks: [hook('mutate.floe.test', '/mutate')] })));
  out.push(
    created(
      await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
        metadata: { name: 'v' },
        webhooks: [
          hook('deny.floe.test', '/deny'),
          hook('down.floe.test', '/x', {}, hooks.closed),
          hook('ignore.floe.test', '/x', { failurePolicy: 'Ignore' }, hooks.closed),
          hook('slow.floe.test', '/slow', { timeoutSeconds: 1 }),
          hook('cel.floe.test', '/deny', { matchConditions: [{ name: 'broken', expression: 'object.spec.nothing == 1' }] }),
        ],
      }),
    ),
  );
  out.push(answer(await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { metadata: { name: 'bad' }, webhooks: [{ name: 'short', clientConfig: { url: 'http://127.0.0.1:1/x' }, timeoutSeconds: 31 }] })));
  const cm = (name: string, label: string): Record<string, unknown> => ({ metadata: { name, labels: { case: label } }, data: { a: '1', b: '2', c: '3' } });
  // Webhook configurations take effect in kube-apiserver through an informer: wait until the first refuses.
  await waitFor(async () => (await t.request('POST', '/api/v1/namespaces/wh-diff/configmaps?dryRun=All', cm('bad-probe', 'deny'))).status === 403, { timeoutMs: 120_000, what: 'webhooks in effect' });
  for (const [name, label] of [['plain', 'mutate'], ['bad-one', 'deny'], ['x1', 'down'], ['x2', 'ignore'], ['x3', 'slow'], ['x4', 'cel']] as const) {
    out.push(answer(await t.request('POST', '/api/v1/namespaces/wh-diff/configmaps', cm(name, label))));
  }
  out.push(
    created(
      await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', {
        metadata: { name: 'max-keys' },
        spec: {
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
          validations: [{ expression: '!has(object.data) || size(object.data) <= 2', message: 'too many keys' }, { expression: 'object.metadata.name != "forbidden"', messageExpression: '"the name " + object.metadata.name + " is taken"', reason: 'Forbidden' }],
        },
      }),
    ),
  );
  out.push(created(await t.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', { metadata: { name: 'max-keys' }, spec: { policyName: 'max-keys', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'wh-diff': 'yes' } }, objectSelector: { matchLabels: { case: 'vap' } } } } })));
  await waitFor(async () => (await t.request('POST', '/api/v1/namespaces/wh-diff/configmaps?dryRun=All', cm('probe', 'vap'))).status === 422, { timeoutMs: 120_000, what: 'policy in effect' });
  out.push(answer(await t.request('POST', '/api/v1/namespaces/wh-diff/configmaps', cm('big', 'vap'))));
  out.push(answer(await t.request('POST', '/api/v1/namespaces/wh-diff/configmaps', { metadata: { name: 'forbidden', labels: { case: 'vap' } } })));
  return out;
}

const unavailable = controlPlaneUnavailable();

describe('LimitRange and ResourceQuota versus kube-apiserver', { skip: unavailable ?? false }, () => {
  let floe: Target;
  let kube: Target;
  before(async () => {
    floe = await floeTarget();
    kube = await kubeTarget();
  });
  after(async () => {
    await floe?.stop();
    await kube?.stop();
  });

  test('webhooks and ValidatingAdmissionPolicy: same defaults, calls and messages', async () => {
    const certs = makeCerts();
    const server = await startWebhookServer(certs);
    try {
      const hooks = { port: server.port, closed: await closedPort(), caBundle: Buffer.from(certs.caPem).toString('base64') };
      const expected = await webhookScenario(kube, hooks);
      const actual = await webhookScenario(floe, hooks);
      assert.deepEqual(actual, expected, `kube-apiserver answered ${JSON.stringify(expected)}`);
    } finally {
      await new Promise((r) => server.server.close(r));
    }
  });

  test('same defaults, refusals and messages', async () => {
    const expected = await scenario(kube);
    const actual = await scenario(floe);
    assert.deepEqual(actual, expected, `kube-apiserver answered ${JSON.stringify(expected)}`);
  });
});
