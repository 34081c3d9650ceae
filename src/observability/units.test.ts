// Units: Go's quantity and duration formats, and kube-apiserver's request labels (verb, scope, resource, subresource).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { binaryQuantity, decimalQuantity, goDuration } from './metrics-api.js';
import { requestInfo } from './request-info.js';
import { workqueueBuckets } from './prometheus.js';

describe('quantities and durations as Go prints them', () => {
  test('CPU in nanocores: canonical DecimalSI with n, u, m suffixes', () => {
    assert.equal(decimalQuantity(0, -9), '0');
    assert.equal(decimalQuantity(12345, -9), '12345n');
    assert.equal(decimalQuantity(1_500_000, -9), '1500u');
    assert.equal(decimalQuantity(250_000_000, -9), '250m');
    assert.equal(decimalQuantity(2_000_000_000, -9), '2');
    assert.equal(decimalQuantity(2_500_000_000, -9), '2500m');
    assert.equal(decimalQuantity(1_234_567_891, -9), '1234567891n');
  });

  test('memory in bytes: canonical BinarySI, exact multiples of 1024 only', () => {
    assert.equal(binaryQuantity(0), '0');
    assert.equal(binaryQuantity(512), '512');
    assert.equal(binaryQuantity(4096), '4Ki');
    assert.equal(binaryQuantity(1536 * 1024), '1536Ki');
    assert.equal(binaryQuantity(8 * 1024 * 1024), '8Mi');
    assert.equal(binaryQuantity(3 * 2 ** 30), '3Gi');
    assert.equal(binaryQuantity(1025), '1025');
  });

  test('windows as time.Duration strings', () => {
    assert.equal(goDuration(15), '15s');
    assert.equal(goDuration(10.266), '10.266s');
    assert.equal(goDuration(65.5), '1m5.5s');
    assert.equal(goDuration(3600), '1h0m0s');
    assert.equal(goDuration(0.75), '750ms');
    assert.equal(goDuration(0), '0s');
  });

  test('workqueue buckets are client-go\'s: 10ns × 10^i', () => {
    assert.deepEqual(workqueueBuckets, [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10]);
  });
});

function info(method: string, path: string, headers: Record<string, string> = {}, route: string | undefined = '/'): ReturnType<typeof requestInfo> {
  return requestInfo({ method, headers } as unknown as IncomingMessage, new URL(path, 'http://floe.local'), route);
}

describe('request labels as kube-apiserver reports them', () => {
  test('verbs: LIST for collections, WATCH for watch=true, APPLY for server-side apply, DELETECOLLECTION, CONNECT', () => {
    assert.equal(info('GET', '/api/v1/namespaces/a/pods').verb, 'LIST');
    assert.equal(info('GET', '/api/v1/pods?watch=true').verb, 'WATCH');
    assert.equal(info('GET', '/api/v1/watch/namespaces/a/pods').verb, 'WATCH');
    assert.equal(info('GET', '/api/v1/namespaces/a/pods/p').verb, 'GET');
    assert.equal(info('POST', '/api/v1/namespaces/a/pods').verb, 'CREATE');
    assert.equal(info('PUT', '/api/v1/namespaces/a/pods/p').verb, 'UPDATE');
    assert.equal(info('PATCH', '/apis/apps/v1/namespaces/a/deployments/d', { 'content-type': 'application/apply-patch+yaml' }).verb, 'APPLY');
    assert.equal(info('PATCH', '/apis/apps/v1/namespaces/a/deployments/d', { 'content-type': 'application/merge-patch+json' }).verb, 'PATCH');
    assert.equal(info('DELETE', '/api/v1/namespaces/a/pods').verb, 'DELETECOLLECTION');
    assert.equal(info('DELETE', '/api/v1/namespaces/a/pods/p').verb, 'DELETE');
    assert.equal(info('GET', '/api/v1/namespaces/a/pods/p/exec?command=sh').verb, 'CONNECT');
  });

  test('scope: resource for a named object or a create, else namespace, else cluster; labels group, version, subresource', () => {
    assert.deepEqual(info('GET', '/apis/apps/v1/namespaces/a/deployments/d/status?dryRun=All'), { verb: 'GET', group: 'apps', version: 'v1', resource: 'deployments', subresource: 'status', scope: 'resource', dryRun: 'All' });
    assert.equal(info('POST', '/api/v1/namespaces/a/configmaps').scope, 'resource');
    assert.equal(info('GET', '/api/v1/namespaces/a/configmaps').scope, 'namespace');
    assert.equal(info('GET', '/api/v1/nodes').scope, 'cluster');
    assert.equal(info('GET', '/api/v1/namespaces/a').scope, 'resource');
    assert.equal(info('GET', '/api/v1/namespaces').scope, 'cluster');
    assert.equal(info('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/a/pods').resource, 'pods');
  });

  test('non-resource URLs: no resource, the path as subresource, empty scope; other routes by their prefix', () => {
    assert.deepEqual(info('GET', '/healthz'), { verb: 'GET', group: '', version: '', resource: '', subresource: '/healthz', scope: '', dryRun: '' });
    assert.equal(info('GET', '/apis').subresource, '/apis');
    assert.equal(info('GET', '/apis/apps/v1').subresource, '/apis/apps/v1');
    assert.equal(info('GET', '/metrics', {}, '/metrics').subresource, '/metrics');
    assert.equal(info('POST', '/apis/v2beta1/runs/abc:archive', {}, '/apis/v2beta1/').subresource, '/apis/v2beta1/');
  });
});
