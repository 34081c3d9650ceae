// Service host ports in embedded mode: the annotation the local runtime writes, and how a reader turns it into an address.
import type { KubeObject } from './meta.js';

/** JSON object: service port (its name, or its number as a string) → the host port on 127.0.0.1 that stands for it. */
export const HostPortsAnnotation = 'floe.dev/host-ports';

/** The host ports recorded on a Service, or {} when the annotation is missing or malformed. */
export function hostPorts(service: KubeObject): Record<string, number> {
  const text = service.metadata.annotations?.[HostPortsAnnotation];
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const n = typeof v === 'number' ? v : Number(v);
      if (Number.isInteger(n) && n > 0 && n < 65536) out[k] = n;
    }
    return out;
  } catch {
    return {};
  }
}

export interface ServicePortRef {
  name?: string;
  port: number;
}

/** Where a client reaches one port of a Service: the loopback host port Floe gave it, or `dnsName` and the port itself. */
export function serviceAddress(service: KubeObject, port: ServicePortRef, dnsName: string): { host: string; port: number } {
  const local = hostPorts(service)[port.name ? port.name : String(port.port)];
  if (local !== undefined) return { host: '127.0.0.1', port: local };
  return { host: dnsName, port: port.port };
}
