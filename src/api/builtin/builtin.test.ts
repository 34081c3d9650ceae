// The built-in kinds as discovery and `kubectl get` see them, and the smaller kinds' defaults, checks and rows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { eventCells } from './event.js';
import { builtinResourceTypes } from './index.js';
import { humanDuration } from './printing.js';

const types = new Map(builtinResourceTypes().map((t) => [t.kind, t]));
const type = (kind: string): ResourceType => {
  const t = types.get(kind);
  assert.ok(t, kind);
  return t;
};
const object = (kind: string, fields: Record<string, unknown>, meta: KubeObject['metadata'] = { name: 'x', namespace: 'ns' }): KubeObject => ({ apiVersion: 'v1', kind, metadata: meta, ...fields });
const errorsOf = (kind: string, o: KubeObject, old?: KubeObject): string[] => (type(kind).validate?.(o, old) ?? []).map((e) => `${e.type} ${e.field}`);
const coreKinds = new Set(['Namespace', 'Pod', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount', 'PersistentVolumeClaim', 'Event', 'Node', 'Endpoints', 'EndpointSlice', 'Lease', 'Job', 'CustomResourceDefinition']);
const columnsOf = (kind: string): string[] => type(kind).columns.map((c) => `${c.name}${c.priority ? `:${c.priority}` : ''}`);

describe('built-in kinds', () => {
  test('names, scopes, short names and categories match Kubernetes', () => {
    const row = (kind: string) => {
      const t = type(kind);
      return `${t.group}/${t.version} ${t.plural} ${t.singular} ${t.listKind} ${t.namespaced ? 'namespaced' : 'cluster'} [${t.shortNames.join(',')}] [${t.categories.join(',')}]${t.statusSubresource ? ' status' : ''}`;
    };
    // The kinds served before issue 17; the workload, admission and RBAC kinds are checked in their own tests.
    assert.deepEqual([...types.keys()].filter((k) => coreKinds.has(k)).map(row), [
      '/v1 namespaces namespace NamespaceList cluster [ns] [] status',
      '/v1 pods pod PodList namespaced [po] [all] status',
      '/v1 services service ServiceList namespaced [svc] [all] status',
      '/v1 configmaps configmap ConfigMapList namespaced [cm] []',
      '/v1 secrets secret SecretList namespaced [] []',
      '/v1 serviceaccounts serviceaccount ServiceAccountList namespaced [sa] []',
      '/v1 persistentvolumeclaims persistentvolumeclaim PersistentVolumeClaimList namespaced [pvc] [] status',
      '/v1 events event EventList namespaced [ev] []',
      '/v1 nodes node NodeList cluster [no] [] status',
      '/v1 endpoints endpoints EndpointsList namespaced [ep] []',
      'discovery.k8s.io/v1 endpointslices endpointslice EndpointSliceList namespaced [] []',
      'coordination.k8s.io/v1 leases lease LeaseList namespaced [] []',
      'batch/v1 jobs job JobList namespaced [] [all] status',
      'apiextensions.k8s.io/v1 customresourcedefinitions customresourcedefinition CustomResourceDefinitionList cluster [crd,crds] [api-extensions] status',
    ]);
  });

  test('EndpointSlice: addressType required and known, endpoints with addresses, kubectl columns', () => {
    const slice = (fields: Record<string, unknown>): KubeObject => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's', namespace: 'ns' }, ...fields });
    assert.deepEqual(errorsOf('EndpointSlice', slice({ addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'] }], ports: [{ port: 80, protocol: 'TCP' }] })), []);
    assert.deepEqual(errorsOf('EndpointSlice', slice({ endpoints: [{ addresses: [] }] })), ['FieldValueRequired addressType', 'FieldValueRequired endpoints[0].addresses']);
    assert.deepEqual(errorsOf('EndpointSlice', slice({ addressType: 'IPX' })), ['FieldValueNotSupported addressType']);
    assert.deepEqual(columnsOf('EndpointSlice'), ['AddressType', 'Ports', 'Endpoints']);
    const cells = type('EndpointSlice').cells?.(slice({ addressType: 'IPv4', endpoints: ['a', 'b', 'c', 'd'].map((x) => ({ addresses: [`10.0.0.${x.charCodeAt(0) - 96}`] })), ports: [{ port: 80 }, { port: 443 }] }));
    assert.deepEqual(cells, ['IPv4', '80,443', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...']);
  });

  test('verbs, storage version, source, generation and patch metadata', () => {
    for (const t of [...types.values()].filter((x) => coreKinds.has(x.kind))) {
      assert.equal(t.storageVersion, t.version);
      assert.deepEqual(t.source, { from: 'builtin' });
      // As kube-apiserver 1.32: of these kinds only CustomResourceDefinitions and Jobs carry metadata.generation.
      assert.equal(t.generationFrom, t.kind === 'CustomResourceDefinition' || t.kind === 'Job' ? 'spec' : 'none', t.kind);
      assert.equal(t.schema, undefined);
      assert.ok(t.patchMeta, `${t.kind} has strategic merge patch metadata`);
      const expected = t.kind === 'Namespace' ? ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] : ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
      assert.deepEqual(t.verbs, expected, t.kind);
    }
  });

  test('each call builds fresh types', () => {
    const [a] = builtinResourceTypes();
    a?.shortNames.push('mutated');
    assert.deepEqual(type('Namespace').shortNames, ['ns']);
    a?.verbs.push('mutated');
    assert.equal(builtinResourceTypes()[1]?.verbs.includes('mutated'), false);
  });

  test('table columns after NAME, as kube-apiserver lists them', () => {
    assert.deepEqual(columnsOf('Pod'), ['Ready', 'Status', 'Restarts', 'Age', 'IP:1', 'Node:1', 'Nominated Node:1', 'Readiness Gates:1']);
    assert.deepEqual(columnsOf('Service'), ['Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector:1']);
    assert.deepEqual(columnsOf('ConfigMap'), ['Data']);
    assert.deepEqual(columnsOf('Secret'), ['Type', 'Data']);
    assert.deepEqual(columnsOf('Namespace'), ['Status']);
    assert.deepEqual(columnsOf('ServiceAccount'), ['Secrets']);
    assert.deepEqual(columnsOf('Node'), ['Status', 'Roles', 'Age', 'Version', 'Internal-IP:1', 'External-IP:1', 'OS-Image:1', 'Kernel-Version:1', 'Container-Runtime:1']);
    assert.deepEqual(columnsOf('PersistentVolumeClaim'), ['Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode:1']);
    assert.deepEqual(columnsOf('Event'), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject:1', 'Source:1', 'Message', 'First Seen:1', 'Count:1']);
    assert.deepEqual(columnsOf('Endpoints'), ['Endpoints']);
    assert.deepEqual(columnsOf('Lease'), ['Holder']);
    assert.deepEqual(columnsOf('CustomResourceDefinition'), ['Created At']);
    for (const t of types.values()) {
      for (const c of t.columns) assert.ok(['string', 'integer', 'number', 'boolean', 'date'].includes(c.type) && c.description, `${t.kind} ${c.name}`);
    }
  });

  test('every printer returns one cell per column, even for an empty object', () => {
    for (const t of types.values()) {
      const cells = t.cells?.(object(t.kind, {}, { name: 'x' }));
      assert.equal(cells?.length, t.columns.length, t.kind);
    }
  });

  test('validation survives objects of the wrong shape', () => {
    const junk: Record<string, unknown> = { spec: 'nope', data: 7, binaryData: [], subsets: 'x', involvedObject: 3, status: [] };
    for (const t of types.values()) {
      const o = object(t.kind, structuredClone(junk));
      t.defaults?.(o);
      assert.doesNotThrow(() => t.validate?.(o, structuredClone(o)), t.kind);
      assert.doesNotThrow(() => t.cells?.(o), t.kind);
    }
  });
});

describe('field selectors', () => {
  const get = (kind: string, field: string, o: KubeObject): string | undefined => type(kind).selectableFields?.[field]?.(o);

  test('which fields each kind supports', () => {
    const supported = (kind: string) => Object.keys(type(kind).selectableFields ?? {}).sort();
    assert.deepEqual(supported('Pod'), ['spec.hostNetwork', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.nominatedNodeName', 'status.phase', 'status.podIP']);
    assert.deepEqual(supported('Event'), ['involvedObject.apiVersion', 'involvedObject.fieldPath', 'involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.resourceVersion', 'involvedObject.uid', 'reason', 'reportingComponent', 'source', 'type']);
    assert.deepEqual(supported('Secret'), ['type']);
    assert.deepEqual(supported('Namespace'), ['status.phase']);
    assert.deepEqual(supported('Node'), ['spec.unschedulable']);
    for (const kind of ['Service', 'ConfigMap', 'ServiceAccount', 'PersistentVolumeClaim', 'Endpoints', 'Lease', 'CustomResourceDefinition']) assert.deepEqual(supported(kind), [], kind);
  });

  test('pod fields read as Kubernetes sets them, absent ones as empty strings', () => {
    const pod = object('Pod', { spec: { nodeName: 'n1', restartPolicy: 'Never', hostNetwork: true }, status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.2' }] } });
    assert.equal(get('Pod', 'spec.nodeName', pod), 'n1');
    assert.equal(get('Pod', 'spec.hostNetwork', pod), 'true');
    assert.equal(get('Pod', 'status.podIP', pod), '10.0.0.2');
    assert.equal(get('Pod', 'status.phase', pod), 'Running');
    const bare = object('Pod', {});
    assert.equal(get('Pod', 'spec.nodeName', bare), '');
    assert.equal(get('Pod', 'spec.hostNetwork', bare), 'false');
    assert.equal(get('Pod', 'status.nominatedNodeName', bare), '');
  });

  test('event fields, with source falling back to the reporting component', () => {
    const event = object('Event', { involvedObject: { kind: 'Pod', name: 'web', namespace: 'ns', uid: 'u1' }, reason: 'Started', type: 'Normal', reportingComponent: 'kubelet' });
    assert.equal(get('Event', 'involvedObject.kind', event), 'Pod');
    assert.equal(get('Event', 'involvedObject.uid', event), 'u1');
    assert.equal(get('Event', 'involvedObject.fieldPath', event), '');
    assert.equal(get('Event', 'source', event), 'kubelet');
    assert.equal(get('Event', 'source', { ...event, source: { component: 'default-scheduler' } }), 'default-scheduler');
  });

  test('secret type, namespace phase, node unschedulable', () => {
    assert.equal(get('Secret', 'type', object('Secret', { type: 'kubernetes.io/tls' })), 'kubernetes.io/tls');
    assert.equal(get('Namespace', 'status.phase', object('Namespace', { status: { phase: 'Terminating' } })), 'Terminating');
    assert.equal(get('Node', 'spec.unschedulable', object('Node', { spec: { unschedulable: true } })), 'true');
    assert.equal(get('Node', 'spec.unschedulable', object('Node', {})), 'false');
  });
});

describe('Namespace', () => {
  test('defaults: finalizer, phase and the metadata.name label', () => {
    const ns = object('Namespace', {}, { name: 'team-a', labels: { owner: 'me' } });
    type('Namespace').defaults?.(ns);
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.status, { phase: 'Active' });
    assert.deepEqual(ns.metadata.labels, { owner: 'me', 'kubernetes.io/metadata.name': 'team-a' });
    assert.deepEqual(type('Namespace').cells?.(ns), ['Active']);
  });

  test('names are DNS labels; finalizers standard or qualified', () => {
    assert.deepEqual(errorsOf('Namespace', object('Namespace', { spec: { finalizers: ['kubernetes', 'example.com/cleanup'] } }, { name: 'ok' })), []);
    assert.deepEqual(errorsOf('Namespace', object('Namespace', { spec: { finalizers: ['cleanup'] } }, { name: 'a.b' })), ['FieldValueInvalid metadata.name', 'FieldValueInvalid spec.finalizers']);
  });
});

describe('Node', () => {
  const node = (labels: Record<string, string>, spec: unknown, status: unknown) => object('Node', { spec, status }, { name: 'n1', labels });

  test('STATUS, ROLES, VERSION and the wide columns', () => {
    const ready = node({ 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' }, {}, {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7' },
      addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.168.1.10' }],
    });
    assert.deepEqual(type('Node').cells?.(ready), ['Ready', 'control-plane,worker', undefined, 'v1.32.0', '192.168.1.10', '<none>', 'Ubuntu 24.04', '6.8.0', 'containerd://1.7']);
    const cordoned = node({ 'kubernetes.io/role': 'gpu' }, { unschedulable: true }, { conditions: [{ type: 'Ready', status: 'False' }] });
    assert.deepEqual(type('Node').cells?.(cordoned).slice(0, 2), ['NotReady,SchedulingDisabled', 'gpu']);
    assert.deepEqual(type('Node').cells?.(node({}, {}, {})).slice(0, 2), ['Unknown', '<none>']);
    assert.deepEqual(type('Node').cells?.(node({}, {}, {})).slice(6), ['<unknown>', '<unknown>', '<unknown>']);
  });

  test('allocatable defaults to capacity', () => {
    const n = node({}, {}, { capacity: { cpu: '8', memory: '32Gi' } });
    type('Node').defaults?.(n);
    assert.deepEqual((n.status as Record<string, unknown>).allocatable, { cpu: '8', memory: '32Gi' });
  });

  test('taints', () => {
    const n = node({}, { taints: [{ key: 'gpu', effect: 'NoSchedule' }, { key: 'bad key', effect: 'Sometimes' }, { key: 'gpu', effect: 'NoSchedule' }, { key: 'x' }] }, {});
    assert.deepEqual(errorsOf('Node', n), ['FieldValueInvalid spec.taints[1].key', 'FieldValueNotSupported spec.taints[1].effect', 'FieldValueDuplicate spec.taints[2]', 'FieldValueRequired spec.taints[3].effect']);
  });
});

describe('Event', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const event = (fields: Record<string, unknown>, namespace = 'ns') => object('Event', fields, { name: 'web.1', namespace });

  test('row: LAST SEEN, TYPE, REASON, OBJECT, SUBOBJECT, SOURCE, MESSAGE, FIRST SEEN, COUNT', () => {
    const e = event({
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'ns', fieldPath: 'spec.containers{web}' },
      type: 'Warning', reason: 'BackOff', message: ' Back-off restarting failed container \n', count: 7,
      firstTimestamp: '2026-01-01T11:00:00Z', lastTimestamp: '2026-01-01T11:59:30Z', source: { component: 'kubelet', host: 'n1' },
    });
    assert.deepEqual(eventCells(e, now), ['30s', 'Warning', 'BackOff', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'Back-off restarting failed container', '60m', 7]);
  });

  test('new-style events: eventTime, series and reporting controller', () => {
    const e = event({ involvedObject: { kind: 'Node' }, eventTime: '2026-01-01T11:50:00.000000Z', series: { count: 3, lastObservedTime: '2026-01-01T11:58:00.000000Z' }, reportingComponent: 'floe-scheduler', reportingInstance: 'floe-1' });
    assert.deepEqual(eventCells(e, now), ['2m', '', '', 'node', '', 'floe-scheduler, floe-1', '', '10m', 3]);
    assert.deepEqual(eventCells(event({ involvedObject: {} }), now).slice(0, 1).concat(eventCells(event({ involvedObject: {} }), now).slice(7)), ['<unknown>', '<unknown>', 1]);
  });

  test('an event needs its object, in its object\'s namespace', () => {
    assert.deepEqual(errorsOf('Event', event({})), ['FieldValueRequired involvedObject']);
    assert.deepEqual(errorsOf('Event', event({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'ns' } })), []);
    assert.deepEqual(errorsOf('Event', event({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } })), ['FieldValueInvalid involvedObject.namespace']);
    assert.deepEqual(errorsOf('Event', event({ involvedObject: { kind: 'Node', name: 'n1' } }, 'default')), []);
    assert.deepEqual(errorsOf('Event', event({ involvedObject: { kind: 'Node', name: 'n1' } }, 'ns')), ['FieldValueInvalid involvedObject.namespace']);
  });
});

describe('PersistentVolumeClaim', () => {
  const claim = (spec: unknown, status: unknown = {}, meta: KubeObject['metadata'] = { name: 'data', namespace: 'ns' }) => object('PersistentVolumeClaim', { spec, status }, meta);
  const good = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

  test('defaults: Filesystem and Pending', () => {
    const c = claim(structuredClone(good), undefined);
    type('PersistentVolumeClaim').defaults?.(c);
    assert.equal((c.spec as Record<string, unknown>).volumeMode, 'Filesystem');
    assert.deepEqual(c.status, { phase: 'Pending' });
  });

  test('access modes and storage are required', () => {
    assert.deepEqual(errorsOf('PersistentVolumeClaim', claim(good)), []);
    assert.deepEqual(errorsOf('PersistentVolumeClaim', claim({})), ['FieldValueRequired spec.accessModes', 'FieldValueRequired spec.resources[storage]']);
    assert.deepEqual(errorsOf('PersistentVolumeClaim', claim({ accessModes: ['ReadWriteSometimes'], resources: { requests: { storage: '0' } }, volumeMode: 'Tape' })), ['FieldValueNotSupported spec.accessModes', 'FieldValueInvalid spec.resources[storage]', 'FieldValueNotSupported spec.volumeMode']);
  });

  test('the spec is immutable but for requests and binding', () => {
    assert.deepEqual(errorsOf('PersistentVolumeClaim', claim({ ...good, resources: { requests: { storage: '2Gi' } }, volumeName: 'pv-1' }), claim(good)), []);
    assert.deepEqual(errorsOf('PersistentVolumeClaim', claim({ ...good, accessModes: ['ReadWriteMany'] }), claim(good)), ['FieldValueForbidden spec']);
  });

  test('row: bound and pending claims', () => {
    const bound = claim({ ...good, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], volumeName: 'pv-1', storageClassName: 'local', volumeMode: 'Filesystem' }, { phase: 'Bound', accessModes: ['ReadWriteMany', 'ReadWriteOnce'], capacity: { storage: '1Gi' } });
    assert.deepEqual(type('PersistentVolumeClaim').cells?.(bound), ['Bound', 'pv-1', '1Gi', 'RWO,RWX', 'local', '<unset>', undefined, 'Filesystem']);
    assert.deepEqual(type('PersistentVolumeClaim').cells?.(claim(good, { phase: 'Pending' })), ['Pending', '', '', '', '', '<unset>', undefined, '<unset>']);
  });
});

describe('Endpoints, Lease, ServiceAccount, ConfigMap, Secret and CRD rows', () => {
  test('ENDPOINTS lists at most three', () => {
    const cells = (subsets: unknown) => type('Endpoints').cells?.(object('Endpoints', { subsets }));
    assert.deepEqual(cells(undefined), ['<none>']);
    assert.deepEqual(cells([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }] }]), ['10.0.0.1:80,10.0.0.2:80']);
    assert.deepEqual(cells([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }, { addresses: [{ ip: 'fd00::1' }] }]), ['10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...']);
    assert.deepEqual(cells([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 53 }] }]), ['[fd00::1]:53']);
  });

  test('Endpoints validation and defaults', () => {
    const ep = object('Endpoints', { subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'nope' }], ports: [{ port: 80 }, { name: 'b', port: 0, protocol: 'ICMP' }] }, {}] });
    type('Endpoints').defaults?.(ep);
    assert.deepEqual(errorsOf('Endpoints', ep), ['FieldValueInvalid subsets[0].addresses[1].ip', 'FieldValueRequired subsets[0].ports[0].name', 'FieldValueInvalid subsets[0].ports[1].port', 'FieldValueNotSupported subsets[0].ports[1].protocol', 'FieldValueRequired subsets[1]']);
    assert.equal(((ep.subsets as { ports: { protocol: string }[] }[])[0]?.ports[0])?.protocol, 'TCP');
  });

  test('Lease durations', () => {
    const lease = (spec: unknown) => object('Lease', { spec });
    assert.deepEqual(type('Lease').cells?.(lease({ holderIdentity: 'node-1' })), ['node-1']);
    assert.deepEqual(errorsOf('Lease', lease({ leaseDurationSeconds: 40 })), []);
    assert.deepEqual(errorsOf('Lease', lease({ leaseDurationSeconds: 0, leaseTransitions: -1 })), ['FieldValueInvalid spec.leaseDurationSeconds', 'FieldValueInvalid spec.leaseTransitions']);
  });

  test('SECRETS, DATA, TYPE and CREATED AT', () => {
    assert.deepEqual(type('ServiceAccount').cells?.(object('ServiceAccount', { secrets: [{ name: 'a' }] })), [1]);
    assert.deepEqual(type('ConfigMap').cells?.(object('ConfigMap', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })), [3]);
    assert.deepEqual(type('Secret').cells?.(object('Secret', { type: 'Opaque', data: { a: 'MQ==' } })), ['Opaque', 1]);
    assert.deepEqual(type('CustomResourceDefinition').cells?.(object('CustomResourceDefinition', {}, { name: 'x', creationTimestamp: '2026-01-01T00:00:00Z' })), ['2026-01-01T00:00:00Z']);
  });
});

test('human durations as kubectl prints them', () => {
  const s = 1000;
  const cases: [number, string][] = [[-5 * s, '<invalid>'], [-1 * s, '0s'], [0, '0s'], [119 * s, '119s'], [120 * s, '2m'], [200 * s, '3m20s'], [14 * 60 * s, '14m'], [3 * 3600 * s, '3h'], [(5 * 3600 + 3 * 60) * s, '5h3m'], [30 * 3600 * s, '30h'], [(2 * 24 + 4) * 3600 * s, '2d4h'], [400 * 86400 * s, '400d'], [(3 * 365 + 20) * 86400 * s, '3y20d'], [9 * 365 * 86400 * s, '9y']];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
});
