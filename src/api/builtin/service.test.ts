// Services: defaults, validation paths and the `kubectl get services` row.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.js';
import { defaultService, serviceCells, servicePorts, validateService } from './service.js';

const service = (spec: unknown, status: unknown = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns' }, spec, status });
const defaulted = (spec: unknown): KubeObject => {
  const s = service(spec);
  defaultService(s);
  return s;
};
const fields = (spec: unknown): string[] => validateService(defaulted(spec)).map((e) => e.field);

describe('Service defaults', () => {
  test('type, session affinity, traffic policy, port protocol and targetPort', () => {
    const s = defaulted({ ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] });
    assert.deepEqual(s.spec, {
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
    });
  });

  test('NodePort and LoadBalancer get externalTrafficPolicy; LoadBalancer allocates node ports', () => {
    const lb = defaulted({ type: 'LoadBalancer', ports: [{ port: 80 }] }).spec as Record<string, unknown>;
    assert.equal(lb.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.allocateLoadBalancerNodePorts, true);
    const np = defaulted({ type: 'NodePort', ports: [{ port: 80 }] }).spec as Record<string, unknown>;
    assert.equal(np.externalTrafficPolicy, 'Cluster');
    assert.equal('allocateLoadBalancerNodePorts' in np, false);
    const ext = defaulted({ type: 'ExternalName', externalName: 'example.com' }).spec as Record<string, unknown>;
    assert.equal('internalTrafficPolicy' in ext, false);
  });

  test('ClientIP affinity gets its timeout', () => {
    const s = defaulted({ sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }).spec as Record<string, unknown>;
    assert.deepEqual(s.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });
});

describe('Service validation', () => {
  test('a good service has no errors', () => {
    assert.deepEqual(fields({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 'https' }] }), []);
    assert.deepEqual(fields({ clusterIP: 'None', selector: { app: 'db' } }), [], 'headless services need no ports');
    assert.deepEqual(fields({ type: 'ExternalName', externalName: 'db.example.com.' }), []);
  });

  test('ports are required for ClusterIP, NodePort and LoadBalancer', () => {
    for (const type of ['ClusterIP', 'NodePort', 'LoadBalancer']) assert.deepEqual(fields({ type }), ['spec.ports'], type);
  });

  test('every bad port, with Kubernetes paths and wording (targetPort defaults to the bad port, so it is bad too)', () => {
    const errors = validateService(defaulted({ ports: [{ port: 0 }, { port: 80, protocol: 'ICMP' }, { name: 'Web', port: 70000 }, { name: 'a', port: 81, targetPort: 'Not_A_Port', nodePort: 30001 }, { name: 'a', port: 81 }] }));
    assert.deepEqual(errors.map((e) => `${e.type} ${e.field}`), [
      'FieldValueRequired spec.ports[0].name',
      'FieldValueInvalid spec.ports[0].port',
      'FieldValueInvalid spec.ports[0].targetPort',
      'FieldValueRequired spec.ports[1].name',
      'FieldValueNotSupported spec.ports[1].protocol',
      'FieldValueInvalid spec.ports[2].name',
      'FieldValueInvalid spec.ports[2].port',
      'FieldValueInvalid spec.ports[2].targetPort',
      'FieldValueInvalid spec.ports[3].targetPort',
      'FieldValueDuplicate spec.ports[4].name',
      'FieldValueForbidden spec.ports[3].nodePort',
      'FieldValueDuplicate spec.ports[4]',
    ]);
    assert.equal(errors[1]?.message, 'Invalid value: 0: must be between 1 and 65535, inclusive');
    assert.equal(errors[4]?.message, 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"');
    assert.equal(errors[10]?.message, "Forbidden: may not be used when `type` is 'ClusterIP'");
  });

  test('type must be supported', () => {
    const errors = validateService(defaulted({ type: 'Magic', ports: [{ port: 80 }] }));
    assert.deepEqual(errors.map((e) => `${e.field}: ${e.message}`), ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']);
  });

  test('ExternalName needs a DNS name and no cluster IPs', () => {
    assert.deepEqual(fields({ type: 'ExternalName' }), ['spec.externalName']);
    assert.deepEqual(fields({ type: 'ExternalName', externalName: 'Not A Host', clusterIPs: ['10.0.0.1'] }), ['spec.clusterIPs', 'spec.externalName']);
  });

  test('sessionAffinity and selector keys', () => {
    assert.deepEqual(fields({ sessionAffinity: 'Sticky', selector: { 'bad key': 'x' }, ports: [{ port: 80 }] }), ['spec.selector', 'spec.sessionAffinity']);
  });
});

describe('kubectl get services row', () => {
  test('PORT(S) joins port, node port and protocol', () => {
    assert.equal(servicePorts([{ port: 80, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }]), '80/TCP,443:30443/TCP');
    assert.equal(servicePorts([{ port: 53, protocol: 'UDP' }]), '53/UDP');
    assert.equal(servicePorts([]), '');
  });

  test('ClusterIP, NodePort, LoadBalancer, ExternalName and headless rows', () => {
    const cells = (spec: unknown, status: unknown = {}) => serviceCells({ ...defaulted(spec), status });
    assert.deepEqual(cells({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }], selector: { tier: 'front', app: 'web' } }), ['ClusterIP', '10.96.0.10', '<none>', '80/TCP', undefined, 'app=web,tier=front']);
    assert.deepEqual(cells({ type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 443, nodePort: 30443 }], externalIPs: ['1.2.3.4'] }), ['NodePort', '10.96.0.11', '1.2.3.4', '443:30443/TCP', undefined, '<none>']);
    assert.deepEqual(cells({ type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31000 }] }).slice(0, 4), ['LoadBalancer', '<none>', '<pending>', '80:31000/TCP']);
    assert.deepEqual(cells({ type: 'LoadBalancer', ports: [{ port: 80 }] }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example.com' }] } })[2], '5.6.7.8,lb.example.com');
    assert.deepEqual(cells({ type: 'ExternalName', externalName: 'db.example.com' }).slice(0, 4), ['ExternalName', '<none>', 'db.example.com', '<none>']);
    assert.deepEqual(cells({ clusterIP: 'None', selector: { app: 'db' } }).slice(0, 4), ['ClusterIP', 'None', '<none>', '<none>']);
  });
});
