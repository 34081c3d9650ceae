// Integration: Services get a loopback address and stable host ports; Endpoints list the ready Pods behind them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { KubeObject } from '../api/meta.js';
import { waitFor } from '../../test/helpers/wait.js';
import { Kubelet } from './kubelet.js';
import { HostPortsAnnotation } from './services.js';
import { nodeCommand, podManifest, silentLogger, startHarness, testTiming, type Harness } from '../../test/helpers/kubelet-harness.js';
import { EndpointsRef, PodRef, ServiceRef, type Pod, type Service } from './types.js';

interface Endpoints extends KubeObject {
  subsets?: { addresses?: { ip: string; targetRef?: { name?: string } }[]; notReadyAddresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[];
}

function service(namespace: string, name: string, spec: Record<string, unknown>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

async function withPorts(h: Harness, ns: string, name: string): Promise<Service> {
  return waitFor(async () => {
    const svc = await h.client.get<Service>(ServiceRef, name, ns);
    return svc.metadata.annotations?.[HostPortsAnnotation] ? svc : undefined;
  }, { what: `host ports on ${name}` });
}

function ports(svc: Service): Record<string, number> {
  return JSON.parse(svc.metadata.annotations?.[HostPortsAnnotation] ?? '{}') as Record<string, number>;
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('services', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(async () => {
    await h.stop();
  });

  test('each service port gets a free host port, keyed by name or number, and clusterIP 127.0.0.1', async () => {
    const ns = await h.namespace('ports');
    await h.client.create(service(ns, 'multi', { selector: { app: 'x' }, ports: [{ name: 'http', port: 80 }, { name: 'grpc', port: 9000 }] }));
    await h.client.create(service(ns, 'single', { ports: [{ port: 2222 }] }));
    await h.client.create(service(ns, 'headless', { clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 2222 }] }));
    const multi = await withPorts(h, ns, 'multi');
    assert.deepEqual(Object.keys(ports(multi)).sort(), ['grpc', 'http']);
    assert.equal(multi.spec?.clusterIP, '127.0.0.1');
    assert.deepEqual(multi.spec?.clusterIPs, ['127.0.0.1']);
    const single = await withPorts(h, ns, 'single');
    assert.deepEqual(Object.keys(ports(single)), ['2222']);
    const headless = await withPorts(h, ns, 'headless');
    assert.equal(headless.spec?.clusterIP, 'None', 'a headless Service keeps clusterIP None');
    const all = [...Object.values(ports(multi)), ...Object.values(ports(single)), ...Object.values(ports(headless))];
    assert.equal(new Set(all).size, all.length, 'no two service ports share a host port');
    for (const p of all) assert.ok(Number.isInteger(p) && p > 0 && p < 65536);
  });

  test('Endpoints list ready Pods at 127.0.0.1 with the host ports, and a Pod can serve on its port', async () => {
    const ns = await h.namespace('endpoints');
    await h.client.create(service(ns, 'web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    const svc = await withPorts(h, ns, 'web');
    const hostPort = ports(svc).http!;
    // The Pod learns its port from the Service link variables, as a controller would tell it.
    const server = 'require("http").createServer((q, s) => s.end("hello from " + process.env.HOSTNAME)).listen(Number(process.env.WEB_SERVICE_PORT_HTTP), "127.0.0.1")';
    await h.client.create(podManifest(ns, 'web-0', [{ command: nodeCommand(server) }], { terminationGracePeriodSeconds: 1 }, { labels: { app: 'web' } }));
    await h.client.create(podManifest(ns, 'other', [{ command: ['sleep', '300'] }], { terminationGracePeriodSeconds: 1 }, { labels: { app: 'other' } }));
    const endpoints = await waitFor(async () => {
      const ep = await h.client.get<Endpoints>(EndpointsRef, 'web', ns).catch(() => undefined);
      return ep?.subsets?.[0]?.addresses?.length ? ep : undefined;
    }, { what: 'endpoints with an address' });
    const subset = endpoints.subsets?.[0];
    assert.deepEqual(subset?.addresses?.map((a) => [a.ip, a.targetRef?.name]), [['127.0.0.1', 'web-0']]);
    assert.deepEqual(subset?.ports, [{ name: 'http', port: hostPort, protocol: 'TCP' }]);
    assert.equal(endpoints.metadata.ownerReferences?.[0]?.name, 'web');
    assert.equal(await waitFor(() => get(hostPort).catch(() => undefined), { what: 'the pod to serve' }), 'hello from web-0');
    await h.client.delete(PodRef, 'web-0', ns);
    await waitFor(async () => ((await h.client.get<Endpoints>(EndpointsRef, 'web', ns)).subsets ?? []).length === 0, { what: 'the address to go' });
    await h.client.delete(PodRef, 'other', ns);
  });

  test('Pods that are not ready are listed as notReadyAddresses', async () => {
    const ns = await h.namespace('notready');
    await h.client.create(service(ns, 'svc', { selector: { app: 'a' }, ports: [{ port: 80 }] }));
    await withPorts(h, ns, 'svc');
    const env = [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x' } } }];
    await h.client.create(podManifest(ns, 'waiting', [{ command: ['true'], env }], {}, { labels: { app: 'a' } }));
    const ep = await waitFor(async () => {
      const e = await h.client.get<Endpoints>(EndpointsRef, 'svc', ns).catch(() => undefined);
      return e?.subsets?.[0]?.notReadyAddresses?.length ? e : undefined;
    }, { what: 'a not-ready address' });
    assert.equal(ep.subsets?.[0]?.addresses, undefined);
    await h.client.delete(PodRef, 'waiting', ns, { gracePeriodSeconds: 0 });
  });

  test('host ports stay the same across a Kubelet restart', async () => {
    const ns = await h.namespace('stable');
    await h.client.create(service(ns, 'keep', { ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] }));
    const before = ports(await withPorts(h, ns, 'keep'));
    await h.kubelet.stop();
    const logger = silentLogger();
    h.kubelet = new Kubelet({ client: h.client, config: h.config, logger, timing: testTiming });
    await h.kubelet.start();
    await h.client.create(service(ns, 'fresh', { ports: [{ port: 3 }] }));
    const fresh = ports(await withPorts(h, ns, 'fresh'));
    assert.deepEqual(ports(await h.client.get<Service>(ServiceRef, 'keep', ns)), before);
    assert.ok(!Object.values(before).includes(fresh['3']!), 'a new Service does not take a port already given out');
  });

  test('where the API serves discovery.k8s.io/v1 EndpointSlices, the addresses are written there too', async () => {
    // Floe's API may not serve EndpointSlice itself; a CRD stands in for the built-in kind here.
    await h.client.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'endpointslices.discovery.k8s.io' },
      spec: {
        group: 'discovery.k8s.io',
        scope: 'Namespaced',
        names: { plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', listKind: 'EndpointSliceList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    const sliceRef = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' };
    await waitFor(() => h.client.list(sliceRef).then(() => true), { what: 'the EndpointSlice kind to be served' });
    await h.kubelet.stop();
    h.kubelet = new Kubelet({ client: h.client, config: h.config, logger: silentLogger(), timing: testTiming });
    await h.kubelet.start();
    const ns = await h.namespace('slices');
    await h.client.create(service(ns, 'api', { selector: { app: 'api' }, ports: [{ name: 'http', port: 80 }] }));
    const hostPort = ports(await withPorts(h, ns, 'api')).http;
    await h.client.create(podManifest(ns, 'api-0', [{ command: ['sleep', '300'] }], { terminationGracePeriodSeconds: 1 }, { labels: { app: 'api' } }));
    const slice = await waitFor(async () => {
      const list = await h.client.list(sliceRef, { namespace: ns, labelSelector: 'kubernetes.io/service-name=api' });
      const item = list.items[0] as (KubeObject & { endpoints?: { addresses: string[]; conditions: { ready: boolean }; targetRef: { name: string } }[] }) | undefined;
      return item?.endpoints?.some((e) => e.conditions.ready) ? item : undefined;
    }, { what: 'a ready endpoint in the slice' });
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.endpoints?.map((e) => [e.addresses[0], e.targetRef.name]), [['127.0.0.1', 'api-0']]);
    assert.deepEqual(slice.ports, [{ name: 'http', port: hostPort, protocol: 'TCP' }]);
    await h.client.delete(PodRef, 'api-0', ns);
  });

  test('ready pods see Service link variables for their namespace', async () => {
    const ns = await h.namespace('links');
    await h.client.create(service(ns, 'my-db', { ports: [{ name: 'sql', port: 5432 }] }));
    const hostPort = ports(await withPorts(h, ns, 'my-db')).sql;
    await h.client.create(podManifest(ns, 'client', [{ command: ['sh', '-c', 'echo "$MY_DB_SERVICE_HOST:$MY_DB_SERVICE_PORT $MY_DB_SERVICE_PORT_SQL"'] }], { restartPolicy: 'Never' }));
    await waitFor(async () => (await h.client.get<Pod>(PodRef, 'client', ns)).status?.phase === 'Succeeded', { what: 'the pod to finish' });
    const chunks: Buffer[] = [];
    for await (const c of h.kubelet.logs(ns, 'client', {})) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), `127.0.0.1:${hostPort} ${hostPort}\n`);
  });
});
