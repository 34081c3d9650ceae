// Services on one machine: a loopback address and a free host port per service port, and Endpoints of ready Pods.
import { createServer } from 'node:net';
import { FloeError } from '../api/errors.js';
import { HostPortsAnnotation, hostPorts } from '../api/host-ports.js';
import type { Logger } from '../api/logger.js';
import type { KubeObject, OwnerReference } from '../api/meta.js';
import type { Client } from '../client/client.js';
import { serviceLinkEnv } from './container-env.js';
import { objectKey, type Informer } from './informer.js';
import { EndpointsRef, isTerminal, type Pod, type Service, type ServicePort } from './types.js';

export { HostPortsAnnotation, hostPorts };
const ServiceNameLabel = 'kubernetes.io/service-name';
const ManagedByLabel = 'endpointslice.kubernetes.io/managed-by';
const ManagedBy = 'floe-kubelet';
const EndpointSliceRef = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' } as const;

export interface ServiceControllerOptions {
  client: Client;
  services: Informer<Service>;
  pods: Informer<Pod>;
  nodeName: string;
  logger: Logger;
  resyncMs: number;
}

export function portKey(port: ServicePort): string {
  return port.name ? port.name : String(port.port);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function podReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export class ServiceController {
  private readonly client: Client;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly nodeName: string;
  private readonly log: Logger;
  private readonly resyncMs: number;
  /** host port → the Service (namespace/name) it belongs to. */
  private readonly owners = new Map<number, string>();
  private readonly dirty = new Set<string>();
  private running: Promise<void> | undefined;
  private resync: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private slicesUnsupported = false;

  constructor(options: ServiceControllerOptions) {
    this.client = options.client;
    this.services = options.services;
    this.pods = options.pods;
    this.nodeName = options.nodeName;
    this.log = options.logger.child({ component: 'services' });
    this.resyncMs = options.resyncMs;
  }

  /** After the caches are filled: adopts the ports already recorded on Services, then keeps every Service reconciled. */
  start(): void {
    for (const svc of this.services.list()) {
      for (const port of Object.values(hostPorts(svc))) if (!this.owners.has(port)) this.owners.set(port, objectKey(svc));
    }
    this.services.onEvent((type, svc) => {
      const key = objectKey(svc);
      if (type === 'DELETED') this.release(key);
      this.mark(key);
    });
    this.pods.onEvent((_type, pod) => {
      for (const svc of this.services.list()) if (svc.metadata.namespace === pod.metadata.namespace && svc.spec?.selector) this.mark(objectKey(svc));
    });
    for (const svc of this.services.list()) this.mark(objectKey(svc));
    this.resync = setInterval(() => {
      for (const svc of this.services.list()) this.mark(objectKey(svc));
    }, this.resyncMs);
    this.resync.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    clearTimeout(this.retry);
    await this.running;
  }

  /** `<SVC>_SERVICE_HOST` / `_SERVICE_PORT` variables for the Services of a namespace. */
  serviceEnv(namespace: string): Record<string, string> {
    const services = this.services
      .list()
      .filter((s) => s.metadata.namespace === namespace)
      .map((s) => {
        const ports = hostPorts(s);
        return {
          name: s.metadata.name ?? '',
          ports: (s.spec?.ports ?? []).flatMap((p) => {
            const hostPort = ports[portKey(p)];
            if (hostPort === undefined) return [];
            return [p.name ? { name: p.name, hostPort } : { hostPort }];
          }),
        };
      });
    return serviceLinkEnv(services);
  }

  private mark(key: string): void {
    if (this.stopped) return;
    this.dirty.add(key);
    if (this.running) return;
    this.running = this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    while (this.dirty.size > 0 && !this.stopped) {
      const key = this.dirty.values().next().value!;
      this.dirty.delete(key);
      try {
        await this.reconcile(key);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'Conflict')) this.log.warn({ err, service: key }, 'service reconcile failed');
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.mark(key), 500);
        this.retry.unref();
      }
    }
  }

  private release(key: string): void {
    for (const [port, owner] of this.owners) if (owner === key) this.owners.delete(port);
  }

  private async reconcile(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const svc = this.services.get(namespace, name);
    if (!svc) {
      this.release(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    const ports = svc.spec?.ports ?? [];
    const recorded = hostPorts(svc);
    const allocated: Record<string, number> = {};
    for (const port of ports) {
      const k = portKey(port);
      const have = recorded[k];
      const owner = have === undefined ? undefined : this.owners.get(have);
      if (have !== undefined && (owner === undefined || owner === key)) {
        allocated[k] = have;
        this.owners.set(have, key);
        continue;
      }
      let port0 = await freePort();
      while (this.owners.has(port0)) port0 = await freePort();
      this.owners.set(port0, key);
      allocated[k] = port0;
    }
    for (const [port, owner] of this.owners) if (owner === key && !Object.values(allocated).includes(port)) this.owners.delete(port);
    const annotation = JSON.stringify(allocated);
    const clusterIP = svc.spec?.clusterIP;
    const needsIP = clusterIP === undefined || clusterIP === '';
    let current = svc;
    if (svc.metadata.annotations?.[HostPortsAnnotation] !== annotation || needsIP) {
      const next: Service = { ...svc, metadata: { ...svc.metadata, annotations: { ...(svc.metadata.annotations ?? {}), [HostPortsAnnotation]: annotation } } };
      if (needsIP) next.spec = { ...(svc.spec ?? {}), clusterIP: '127.0.0.1', clusterIPs: ['127.0.0.1'] };
      current = await this.client.update<Service>(next);
    }
    if (svc.spec?.selector && Object.keys(svc.spec.selector).length > 0) await this.writeEndpoints(current, allocated);
  }

  private async writeEndpoints(svc: Service, allocated: Record<string, number>): Promise<void> {
    const namespace = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name ?? '';
    const selector = svc.spec?.selector ?? {};
    const ready: Record<string, unknown>[] = [];
    const notReady: Record<string, unknown>[] = [];
    const members = this.pods
      .list()
      .filter((p) => p.metadata.namespace === namespace && !isTerminal(p) && !p.metadata.deletionTimestamp && p.status?.podIP)
      .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    for (const pod of members) {
      const address: Record<string, unknown> = {
        ip: pod.status?.podIP ?? '127.0.0.1',
        nodeName: pod.spec.nodeName ?? this.nodeName,
        targetRef: { kind: 'Pod', namespace, name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      };
      if (podReady(pod) || svc.spec?.publishNotReadyAddresses) ready.push(address);
      else notReady.push(address);
    }
    const ports = (svc.spec?.ports ?? []).map((p) => {
      const port: Record<string, unknown> = { port: allocated[portKey(p)], protocol: p.protocol ?? 'TCP' };
      if (p.name) port.name = p.name;
      return port;
    });
    const subset: Record<string, unknown> = { ports };
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    const subsets = ready.length + notReady.length > 0 ? [subset] : [];
    const owner: OwnerReference = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: false };
    let existing: KubeObject | undefined;
    try {
      existing = await this.client.get(EndpointsRef, name, namespace);
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
    }
    const labels = { ...(svc.metadata.labels ?? {}) };
    if (!existing) {
      await this.client.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels, ownerReferences: [owner] }, subsets });
    } else {
      const sameOwner = JSON.stringify(existing.metadata.ownerReferences ?? []) === JSON.stringify([owner]);
      if (JSON.stringify(existing.subsets ?? []) !== JSON.stringify(subsets) || !sameOwner) {
        await this.client.update({ ...existing, metadata: { ...existing.metadata, labels, ownerReferences: [owner] }, subsets });
      }
    }
    await this.writeSlice(svc, owner, members.map((pod) => ({ pod, ready: podReady(pod) || Boolean(svc.spec?.publishNotReadyAddresses) })), ports);
  }

  /**
   * The same addresses as an EndpointSlice (what `kubectl describe svc` reads since 1.32), when the API serves
   * discovery.k8s.io/v1; where it does not, Endpoints alone stand.
   */
  private async writeSlice(svc: Service, owner: OwnerReference, members: { pod: Pod; ready: boolean }[], ports: Record<string, unknown>[]): Promise<void> {
    if (this.slicesUnsupported) return;
    const namespace = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name ?? '';
    let existing: KubeObject | undefined;
    try {
      const list = await this.client.list(EndpointSliceRef, { namespace, labelSelector: `${ServiceNameLabel}=${name},${ManagedByLabel}=${ManagedBy}` });
      existing = list.items[0];
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') {
        this.slicesUnsupported = true;
        return;
      }
      throw err;
    }
    const endpoints = members.map(({ pod, ready }) => ({
      addresses: [pod.status?.podIP ?? '127.0.0.1'],
      conditions: { ready, serving: ready, terminating: false },
      nodeName: pod.spec.nodeName ?? this.nodeName,
      targetRef: { kind: 'Pod', namespace, name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
    }));
    const labels = { ...(svc.metadata.labels ?? {}), [ServiceNameLabel]: name, [ManagedByLabel]: ManagedBy };
    // Like the endpoint-slice controller, name every port ('' when unnamed): kubectl describe dereferences it.
    const slicePorts = ports.map((p) => ({ name: '', ...p }));
    const body = { addressType: 'IPv4', endpoints, ports: slicePorts };
    if (!existing) {
      await this.client.create({ apiVersion: EndpointSliceRef.apiVersion, kind: EndpointSliceRef.kind, metadata: { name, namespace, labels, ownerReferences: [owner] }, ...body });
      return;
    }
    if (JSON.stringify(existing.endpoints ?? []) === JSON.stringify(endpoints) && JSON.stringify(existing.ports ?? []) === JSON.stringify(slicePorts)) return;
    await this.client.update({ ...existing, ...body });
  }
}
