// Pure parts of the gRPC ingress: which InferenceService an :authority names, and where a Pod runtime listens for gRPC.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authorityTarget, grpcPortOf, peerAddress } from './grpc-ingress.js';

describe('gRPC ingress routing', () => {
  test('the :authority names the InferenceService as KServe\'s host does: <name>.<namespace>[.<domain>][:port]', () => {
    assert.deepEqual(authorityTarget('iris.team-a.example.com'), { namespace: 'team-a', name: 'iris' });
    assert.deepEqual(authorityTarget('iris-predictor.team-a.svc.cluster.local:443'), { namespace: 'team-a', name: 'iris-predictor' });
    assert.deepEqual(authorityTarget('iris.team-a'), { namespace: 'team-a', name: 'iris' });
    for (const none of ['127.0.0.1:8443', 'localhost:8443', '[::1]:8443', 'iris', '']) assert.equal(authorityTarget(none), undefined, none);
  });

  test('a replica\'s gRPC port: the kserve SDK\'s --grpc_port, MLServer\'s MLSERVER_GRPC_PORT, or a port named grpc', () => {
    assert.equal(grpcPortOf({ args: ['--model_name=iris', '--http_port=41000', '--grpc_port=41001'] }), 41001);
    assert.equal(grpcPortOf({ args: ['--grpc_port', '41002'] }), 41002);
    assert.equal(grpcPortOf({ env: [{ name: 'MLSERVER_HTTP_PORT', value: '41003' }, { name: 'MLSERVER_GRPC_PORT', value: '41004' }] }), 41004);
    assert.equal(grpcPortOf({ ports: [{ name: 'http1', containerPort: 41005 }, { name: 'grpc', containerPort: 41006 }] }), 41006);
    assert.equal(grpcPortOf({ args: ['--http_port=8080'] }), undefined);
  });

  test('the peer\'s address, for an authenticating proxy\'s check', () => {
    assert.equal(peerAddress('127.0.0.1:51234'), '127.0.0.1');
    assert.equal(peerAddress('[::ffff:10.99.0.7]:51234'), '::ffff:10.99.0.7');
    assert.equal(peerAddress('[::1]:1'), '::1');
  });
});
