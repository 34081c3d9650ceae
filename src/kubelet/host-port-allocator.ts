// Host ports for Services, given at admission (as kube-apiserver gives NodePorts), so a Service is addressable once created.
import { HostPortsAnnotation, hostPorts } from '../api/host-ports.js';
import type { KubeObject } from '../api/meta.js';
import type { Service } from './types.js';
import { portKey } from './services.js';

export interface HostPortAllocatorOptions {
  /** Host ports already recorded on stored Services. */
  inUse: () => Iterable<number>;
  /** Below Linux's ephemeral range (32768+), so outgoing connections and `listen(0)` never take them. */
  min?: number;
  max?: number;
  random?: () => number;
}

export class HostPortAllocator {
  private readonly inUse: () => Iterable<number>;
  private readonly min: number;
  private readonly max: number;
  private readonly random: () => number;

  constructor(options: HostPortAllocatorOptions) {
    this.inUse = options.inUse;
    this.min = options.min ?? 20000;
    this.max = options.max ?? 32767;
    this.random = options.random ?? Math.random;
  }

  /** Records a host port for every port of `object` (a Service) that has none, keeping those `old` or the object had. */
  assign(object: KubeObject, old: KubeObject | undefined): void {
    const service = object as Service;
    if (service.spec?.type === 'ExternalName') return;
    const ports = service.spec?.ports ?? [];
    if (ports.length === 0) return;
    const previous = { ...(old ? hostPorts(old) : {}), ...hostPorts(service) };
    const taken = new Set(this.inUse());
    for (const p of Object.values(previous)) taken.delete(p);
    const allocated: Record<string, number> = {};
    for (const port of ports) {
      const key = portKey(port);
      const have = previous[key];
      const chosen = have !== undefined && !taken.has(have) ? have : this.pick(taken);
      taken.add(chosen);
      allocated[key] = chosen;
    }
    service.metadata.annotations = { ...(service.metadata.annotations ?? {}), [HostPortsAnnotation]: JSON.stringify(allocated) };
  }

  private pick(taken: Set<number>): number {
    const span = this.max - this.min + 1;
    const start = Math.floor(this.random() * span);
    for (let i = 0; i < span; i++) {
      const port = this.min + ((start + i) % span);
      if (!taken.has(port)) return port;
    }
    throw new Error(`no free host port left between ${this.min} and ${this.max}`);
  }
}
