// Admission webhooks called for real: a Floe server, an HTTPS webhook server with its own CA, AdmissionReview v1 both ways.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/meta.js';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { waitFor } from './helpers/wait.js';
import { closedPort, makeCerts, startWebhookServer, type Certs, type Review } from './helpers/webhook-server.js';

interface Reply {
  status: number;
  json: Record<string, unknown> & { metadata?: { labels?: Record<string, string>; name?: string }; message?: string; reason?: string; code?: number };
  warnings: string[];
}


describe('admission webhooks', () => {
  let dataDir: string;
  let floe: Floe;
  let certs: Certs;
  let hooks: { server: Server; port: number; reviews: Review[] };
  let caBundle: string;

  async function api(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
    const res = await fetch(`${floe.url}${path}`, { method, headers: { 'content-type': contentType }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    const warnings = res.headers.get('warning') ? [res.headers.get('warning')!] : [];
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Reply['json'], warnings };
  }

  async function namespace(name: string): Promise<void> {
    const r = await api('POST', '/api/v1/namespaces', { metadata: { name, labels: { 'webhook-test': name } } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }

  function configuration(kind: 'Mutating' | 'Validating', name: string, webhooks: Record<string, unknown>[]): Promise<Reply> {
    return api('POST', `/apis/admissionregistration.k8s.io/v1/${kind.toLowerCase()}webhookconfigurations`, { metadata: { name }, webhooks });
  }

  /** A webhook on configmaps in the namespace labelled for one test, calling `path` on the test server. */
  function hook(name: string, ns: string, path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      name,
      clientConfig: { url: `https://127.0.0.1:${hooks.port}${path}`, caBundle },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }],
      namespaceSelector: { matchLabels: { 'webhook-test': ns } },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      ...extra,
    };
  }

  const configMap = (ns: string, name: string, labels?: Record<string, string>): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, data: { a: 'b' } });

  before(async () => {
    certs = makeCerts();
    caBundle = Buffer.from(certs.caPem).toString('base64');
    hooks = await startWebhookServer(certs);
    dataDir = await mkdtemp(join(tmpdir(), 'floe-webhooks-'));
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    await floe.stop();
    await new Promise((r) => hooks.server.close(r));
    await rm(dataDir, { recursive: true, force: true });
  });

  test('configurations get kube\'s defaults and checks', async () => {
    const created = await configuration('Validating', 'defaults.floe.test', [{ name: 'd.floe.test', clientConfig: { url: 'https://127.0.0.1:1/x' }, rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] }]);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const w = (created.json.webhooks as Record<string, unknown>[])[0]!;
    assert.equal(w.failurePolicy, 'Fail');
    assert.equal(w.matchPolicy, 'Equivalent');
    assert.equal(w.timeoutSeconds, 10);
    assert.deepEqual(w.namespaceSelector, {});
    assert.deepEqual(w.objectSelector, {});
    assert.equal((w.rules as Record<string, unknown>[])[0]!.scope, '*');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/defaults.floe.test');
    const bad = await configuration('Validating', 'bad.floe.test', [{ name: 'short', clientConfig: { url: 'http://127.0.0.1:1/x' }, timeoutSeconds: 31 }]);
    assert.equal(bad.status, 422);
    const causes = ((bad.json.details as { causes: { field: string }[] }).causes ?? []).map((c) => c.field);
    for (const f of ['webhooks[0].name', 'webhooks[0].sideEffects', 'webhooks[0].admissionReviewVersions', 'webhooks[0].timeoutSeconds', 'webhooks[0].clientConfig.url']) assert.ok(causes.includes(f), `${f} in ${causes.join(', ')}`);
  });

  test('a mutating webhook\'s JSON patch is applied; the namespaceSelector keeps it to its namespace', async () => {
    await namespace('wh-mutate');
    await namespace('wh-mutate-other');
    assert.equal((await configuration('Mutating', 'mutate.floe.test', [hook('mutate.floe.test', 'wh-mutate', '/mutate')])).status, 201);
    const created = await api('POST', '/api/v1/namespaces/wh-mutate/configmaps', configMap('wh-mutate', 'one'));
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.metadata?.labels?.mutated, 'true');
    const stored = await api('GET', '/api/v1/namespaces/wh-mutate/configmaps/one');
    assert.equal(stored.json.metadata?.labels?.mutated, 'true');
    const other = await api('POST', '/api/v1/namespaces/wh-mutate-other/configmaps', configMap('wh-mutate-other', 'one'));
    assert.equal(other.status, 201);
    assert.equal(other.json.metadata?.labels?.mutated, undefined);
    // UPDATE reaches it too (the rule names both operations), and a patch that breaks the object is refused as invalid.
    const updated = await api('PUT', '/api/v1/namespaces/wh-mutate/configmaps/one', { ...configMap('wh-mutate', 'one', { kept: 'yes' }) });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.json.metadata?.labels, { kept: 'yes', mutated: 'true' });
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/mutate.floe.test');
    await namespace('wh-mutate-invalid');
    assert.equal((await configuration('Mutating', 'mutate-invalid.floe.test', [hook('mutate-invalid.floe.test', 'wh-mutate-invalid', '/mutate-invalid')])).status, 201);
    const invalid = await api('POST', '/api/v1/namespaces/wh-mutate-invalid/configmaps', configMap('wh-mutate-invalid', 'x'));
    assert.equal(invalid.status, 422, JSON.stringify(invalid.json));
    assert.match(invalid.json.message ?? '', /metadata\.labels: Invalid value: "bad label!"/);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/mutate-invalid.floe.test');
  });

  test('a validating webhook denies with its code and message; allowed requests carry its warnings; the review is v1', async () => {
    await namespace('wh-deny');
    assert.equal((await configuration('Validating', 'deny.floe.test', [hook('deny.floe.test', 'wh-deny', '/deny')])).status, 201);
    const denied = await api('POST', '/api/v1/namespaces/wh-deny/configmaps', configMap('wh-deny', 'bad-one'));
    assert.equal(denied.status, 403, JSON.stringify(denied.json));
    assert.equal(denied.json.message, 'admission webhook "deny.floe.test" denied the request: names starting with bad are not allowed');
    assert.equal(denied.json.code, 403);
    const none = await api('GET', '/api/v1/namespaces/wh-deny/configmaps/bad-one');
    assert.equal(none.status, 404);
    const ok = await api('POST', '/api/v1/namespaces/wh-deny/configmaps?dryRun=All', configMap('wh-deny', 'good'));
    assert.equal(ok.status, 201);
    assert.ok(ok.warnings.some((w) => w.includes('deny webhook looked at this')), ok.warnings.join('|'));
    const review = hooks.reviews.filter((r) => r.namespace === 'wh-deny').at(-1)!;
    assert.deepEqual(review.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(review.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.equal(review.operation, 'CREATE');
    assert.equal(review.name, 'good');
    assert.equal(review.dryRun, true);
    assert.equal(review.options?.kind, 'CreateOptions');
    assert.equal(review.oldObject, null);
    assert.equal(review.object?.metadata.name, 'good');
    assert.ok(review.userInfo.username, 'userInfo.username');
    assert.match(review.uid, /^[0-9a-f-]{36}$/);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/deny.floe.test');
  });

  test('DELETE reaches validating webhooks with the old object', async () => {
    await namespace('wh-delete');
    assert.equal((await api('POST', '/api/v1/namespaces/wh-delete/configmaps', configMap('wh-delete', 'bad-keep'))).status, 201);
    assert.equal((await configuration('Validating', 'delete.floe.test', [hook('delete.floe.test', 'wh-delete', '/deny', { rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['configmaps'] }] })])).status, 201);
    const refused = await api('DELETE', '/api/v1/namespaces/wh-delete/configmaps/bad-keep');
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    const review = hooks.reviews.filter((r) => r.namespace === 'wh-delete').at(-1)!;
    assert.equal(review.operation, 'DELETE');
    assert.equal(review.object, null);
    assert.equal(review.options?.kind, 'DeleteOptions');
    assert.equal((await api('GET', '/api/v1/namespaces/wh-delete/configmaps/bad-keep')).status, 200);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/delete.floe.test');
    assert.equal((await api('DELETE', '/api/v1/namespaces/wh-delete/configmaps/bad-keep')).status, 200);
  });

  test('failurePolicy: Fail refuses with kube\'s internal error, Ignore lets the request through', async () => {
    await namespace('wh-down');
    const port = await closedPort();
    const down = (name: string, failurePolicy: string): Record<string, unknown> => ({ ...hook(name, 'wh-down', '/x'), clientConfig: { url: `https://127.0.0.1:${port}/x`, caBundle }, failurePolicy });
    assert.equal((await configuration('Validating', 'down.floe.test', [down('down.floe.test', 'Fail')])).status, 201);
    const refused = await api('POST', '/api/v1/namespaces/wh-down/configmaps', configMap('wh-down', 'a'));
    assert.equal(refused.status, 500, JSON.stringify(refused.json));
    assert.equal(refused.json.reason, 'InternalError');
    assert.equal(refused.json.message, `Internal error occurred: failed calling webhook "down.floe.test": failed to call webhook: Post "https://127.0.0.1:${port}/x?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down.floe.test');
    assert.equal((await configuration('Validating', 'down-ignore.floe.test', [down('down-ignore.floe.test', 'Ignore')])).status, 201);
    assert.equal((await api('POST', '/api/v1/namespaces/wh-down/configmaps', configMap('wh-down', 'a'))).status, 201);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down-ignore.floe.test');
  });

  test('a webhook slower than timeoutSeconds fails the request (Fail)', async () => {
    await namespace('wh-slow');
    assert.equal((await configuration('Validating', 'slow.floe.test', [hook('slow.floe.test', 'wh-slow', '/slow', { timeoutSeconds: 1 })])).status, 201);
    const refused = await api('POST', '/api/v1/namespaces/wh-slow/configmaps', configMap('wh-slow', 'a'));
    assert.equal(refused.status, 500);
    assert.equal(refused.json.message, `Internal error occurred: failed calling webhook "slow.floe.test": failed to call webhook: Post "https://127.0.0.1:${hooks.port}/slow?timeout=1s": context deadline exceeded`);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/slow.floe.test');
  });

  test('a certificate from another CA is refused', async () => {
    await namespace('wh-ca');
    const other = Buffer.from(makeCerts().caPem).toString('base64');
    assert.equal((await configuration('Validating', 'ca.floe.test', [{ ...hook('ca.floe.test', 'wh-ca', '/x'), clientConfig: { url: `https://127.0.0.1:${hooks.port}/x`, caBundle: other } }])).status, 201);
    const refused = await api('POST', '/api/v1/namespaces/wh-ca/configmaps', configMap('wh-ca', 'a'));
    assert.equal(refused.status, 500);
    assert.match(refused.json.message ?? '', /x509: certificate signed by unknown authority$/);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/ca.floe.test');
  });

  test('objectSelector and matchConditions (CEL) choose the objects a webhook sees', async () => {
    await namespace('wh-select');
    assert.equal(
      (
        await configuration('Validating', 'select.floe.test', [
          hook('object.floe.test', 'wh-select', '/deny', { objectSelector: { matchLabels: { checked: 'yes' } } }),
          hook('cel.floe.test', 'wh-select', '/deny', { matchConditions: [{ name: 'only-cel', expression: 'object.metadata.name.startsWith("bad-cel") && request.operation == "CREATE"' }] }),
        ])
      ).status,
      201,
    );
    assert.equal((await api('POST', '/api/v1/namespaces/wh-select/configmaps', configMap('wh-select', 'bad-unlabelled'))).status, 201);
    const labelled = await api('POST', '/api/v1/namespaces/wh-select/configmaps', configMap('wh-select', 'bad-labelled', { checked: 'yes' }));
    assert.equal(labelled.json.message, 'admission webhook "object.floe.test" denied the request: names starting with bad are not allowed');
    const cel = await api('POST', '/api/v1/namespaces/wh-select/configmaps', configMap('wh-select', 'bad-cel-1'));
    assert.equal(cel.json.message, 'admission webhook "cel.floe.test" denied the request: names starting with bad are not allowed');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/select.floe.test');
    // A condition that cannot be evaluated follows failurePolicy (Fail: kube's 403 naming the expression).
    assert.equal((await configuration('Validating', 'cel-error.floe.test', [hook('cel-error.floe.test', 'wh-select', '/x', { matchConditions: [{ name: 'broken', expression: 'object.spec.nothing == 1' }] })])).status, 201);
    const broken = await api('POST', '/api/v1/namespaces/wh-select/configmaps', configMap('wh-select', 'c'));
    assert.equal(broken.status, 403);
    assert.equal(broken.json.message, `configmaps "c" is forbidden: expression 'object.spec.nothing == 1' resulted in error: no such key: spec`);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/cel-error.floe.test');
  });

  test('clientConfig.service reaches the Service\'s loopback port with the certificate of <svc>.<ns>.svc', async () => {
    await namespace('webhooks');
    const svc = await api('POST', '/api/v1/namespaces/webhooks/services', {
      metadata: { name: 'hooks', namespace: 'webhooks', annotations: { 'floe.dev/host-ports': JSON.stringify({ https: hooks.port }) } },
      spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
    });
    assert.equal(svc.status, 201, JSON.stringify(svc.json));
    const viaService = { ...hook('service.floe.test', 'webhooks', '/mutate'), clientConfig: { service: { namespace: 'webhooks', name: 'hooks', path: '/mutate' }, caBundle } };
    const created = await configuration('Mutating', 'service.floe.test', [viaService]);
    assert.equal(created.status, 201);
    assert.equal(((created.json.webhooks as { clientConfig: { service: { port: number } } }[])[0]!.clientConfig.service.port), 443);
    const cm = await api('POST', '/api/v1/namespaces/webhooks/configmaps', configMap('webhooks', 'via-service'));
    assert.equal(cm.status, 201, JSON.stringify(cm.json));
    assert.equal(cm.json.metadata?.labels?.mutated, 'true');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/service.floe.test');
  });

  test('custom resources reach webhooks too', async () => {
    await namespace('wh-crd');
    const crd = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      metadata: { name: 'widgets.hooks.floe.test' },
      spec: {
        group: 'hooks.floe.test',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    });
    assert.equal(crd.status, 201, JSON.stringify(crd.json));
    await waitFor(async () => (await api('GET', '/apis/hooks.floe.test/v1/namespaces/wh-crd/widgets')).status === 200, { what: 'the Widget kind' });
    const rules = [{ apiGroups: ['hooks.floe.test'], apiVersions: ['*'], operations: ['*'], resources: ['widgets', 'widgets/status'] }];
    assert.equal((await configuration('Mutating', 'crd-mutate.floe.test', [hook('crd-mutate.floe.test', 'wh-crd', '/mutate', { rules })])).status, 201);
    assert.equal((await configuration('Validating', 'crd-deny.floe.test', [hook('crd-deny.floe.test', 'wh-crd', '/deny', { rules, matchPolicy: 'Exact' })])).status, 201);
    const widget = (name: string): Record<string, unknown> => ({ apiVersion: 'hooks.floe.test/v1', kind: 'Widget', metadata: { name, namespace: 'wh-crd' }, spec: { size: 1 } });
    const ok = await api('POST', '/apis/hooks.floe.test/v1/namespaces/wh-crd/widgets', widget('w1'));
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    assert.equal(ok.json.metadata?.labels?.mutated, 'true');
    const denied = await api('POST', '/apis/hooks.floe.test/v1/namespaces/wh-crd/widgets', widget('bad-w'));
    assert.equal(denied.status, 403);
    const review = hooks.reviews.filter((r) => r.namespace === 'wh-crd').at(-1)!;
    assert.deepEqual(review.kind, { group: 'hooks.floe.test', version: 'v1', kind: 'Widget' });
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/crd-mutate.floe.test');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/crd-deny.floe.test');
  });

  test('ValidatingAdmissionPolicy: CEL validations through a binding, Deny and Warn, params and messageExpression', async () => {
    await namespace('vap');
    const policy = (name: string, spec: Record<string, unknown>): Promise<Reply> => api('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { metadata: { name }, spec });
    const binding = (name: string, spec: Record<string, unknown>): Promise<Reply> => api('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', { metadata: { name }, spec });
    const created = await policy('max-keys', {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] },
      validations: [{ expression: '!has(object.data) || size(object.data) <= 2', message: 'too many keys' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal((created.json.spec as { failurePolicy: string }).failurePolicy, 'Fail');
    const bound = await binding('max-keys-binding', { policyName: 'max-keys', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'webhook-test': 'vap' } } } });
    assert.equal(bound.status, 201, JSON.stringify(bound.json));
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'vap' }, data: { a: '1', b: '2', c: '3' } };
    const denied = await api('POST', '/api/v1/namespaces/vap/configmaps', big);
    assert.equal(denied.status, 422, JSON.stringify(denied.json));
    assert.equal(denied.json.reason, 'Invalid');
    assert.equal(denied.json.message, "configmaps \"big\" is forbidden: ValidatingAdmissionPolicy 'max-keys' with binding 'max-keys-binding' denied request: too many keys");
    assert.equal((await api('POST', '/api/v1/namespaces/vap/configmaps', configMap('vap', 'small'))).status, 201);
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/max-keys-binding');
    assert.equal((await binding('warn-binding', { policyName: 'max-keys', validationActions: ['Warn'], matchResources: { namespaceSelector: { matchLabels: { 'webhook-test': 'vap' } } } })).status, 201);
    const warned = await api('POST', '/api/v1/namespaces/vap/configmaps', big);
    assert.equal(warned.status, 201);
    assert.ok(warned.warnings.some((w) => w.includes("Validation failed for ValidatingAdmissionPolicy 'max-keys' with binding 'warn-binding': too many keys")), warned.warnings.join('|'));
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/warn-binding');
    // Params: a ConfigMap says how many keys; messageExpression builds the message from it.
    await api('POST', '/api/v1/namespaces/vap/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits', namespace: 'vap' }, data: { max: '1' } });
    assert.equal(
      (
        await policy('param-keys', {
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
          validations: [{ expression: 'object.metadata.name == "limits" || !has(object.data) || size(object.data) <= int(params.data.max)', messageExpression: '"at most " + params.data.max + " key(s)"', reason: 'Forbidden' }],
        })
      ).status,
      201,
    );
    assert.equal((await binding('param-binding', { policyName: 'param-keys', validationActions: ['Deny'], paramRef: { name: 'limits', namespace: 'vap', parameterNotFoundAction: 'Deny' }, matchResources: { namespaceSelector: { matchLabels: { 'webhook-test': 'vap' } } } })).status, 201);
    const two = await api('POST', '/api/v1/namespaces/vap/configmaps', { ...big, metadata: { name: 'two', namespace: 'vap' }, data: { a: '1', b: '2' } });
    assert.equal(two.status, 403, JSON.stringify(two.json));
    assert.equal(two.json.message, "configmaps \"two\" is forbidden: ValidatingAdmissionPolicy 'param-keys' with binding 'param-binding' denied request: at most 1 key(s)");
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/param-binding');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/param-keys');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/max-keys');
  });

  test('in-process writes (the Client) go through webhooks as well', async () => {
    await namespace('wh-client');
    assert.equal((await configuration('Mutating', 'client.floe.test', [hook('client.floe.test', 'wh-client', '/mutate')])).status, 201);
    const created = await floe.client.create<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'wh-client' }, data: {} });
    assert.equal(created.metadata.labels?.mutated, 'true');
    await floe.client.delete({ apiVersion: 'v1', kind: 'ConfigMap' }, 'c', 'wh-client');
    await api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/client.floe.test');
  });
});
