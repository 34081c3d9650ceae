// A container's environment as the kubelet builds it: envFrom, env (fieldRef, configMap/secret refs), $(VAR) expansion.
import { parseQuantity } from '../api/builtin/quantity.js';
import type { ContainerSpec, Pod } from './types.js';

/** A container that cannot be configured yet (a missing ConfigMap or key): kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export interface EnvLookups {
  /** A ConfigMap's data (binaryData decoded), or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** A Secret's data, base64-decoded, or undefined when it does not exist. */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface EnvContext {
  podIP: string;
  hostIP: string;
  nodeName: string;
  /** Node allocatable, for resourceFieldRef on containers without limits. */
  allocatable: Record<string, number>;
  /** `<SVC>_SERVICE_HOST` and friends for the namespace's Services; the lowest priority. */
  serviceEnv: Record<string, string>;
  /** KUBERNETES_SERVICE_HOST/PORT…: the API server, set even without service links (as the kubelet does). */
  apiServerEnv?: Record<string, string>;
}

const validEnvName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `$(VAR)` → value when VAR is defined, `$$` → `$`, anything else left as written (Kubernetes' expansion). */
export function expand(text: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '$' || i + 1 >= text.length) {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      const value = vars[name];
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

/** The value of a downward-API field path (`metadata.labels['app']`, `status.podIP`…). */
export function fieldValue(pod: Pod, path: string, ctx: EnvContext): string {
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (sub) return (sub[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[sub[2] ?? ''] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

function resourceValue(pod: Pod, container: ContainerSpec, ref: { containerName?: string; resource: string; divisor?: string | number }, ctx: EnvContext): string {
  const target = ref.containerName ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === ref.containerName) : container;
  if (!target) throw new ContainerConfigError(`resourceFieldRef names container "${ref.containerName ?? ''}", which the pod does not have`);
  const [kind, name] = ref.resource.split('.') as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !name) throw new ContainerConfigError(`unsupported resourceFieldRef resource "${ref.resource}"`);
  const own = parseQuantity(target.resources?.[kind]?.[name] ?? (kind === 'requests' ? target.resources?.limits?.[name] : undefined));
  const value = own ?? (kind === 'limits' ? ctx.allocatable[name] ?? 0 : 0);
  const divisor = parseQuantity(ref.divisor ?? 1) || 1;
  return String(Math.ceil(value / divisor - 1e-9));
}

/**
 * The container's variables from the Pod: service links first, then envFrom sources in order, then env entries,
 * each later one overriding; env values may refer to earlier variables with `$(VAR)`.
 */
export async function containerEnv(pod: Pod, container: ContainerSpec, lookups: EnvLookups, ctx: EnvContext): Promise<Record<string, string>> {
  const namespace = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = { ...(ctx.apiServerEnv ?? {}), ...(pod.spec.enableServiceLinks === false ? {} : ctx.serviceEnv) };
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> | undefined;
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      data = await lookups.configMap(namespace, name);
      if (!data && !from.configMapRef.optional) throw new ContainerConfigError(`configmap "${name}" not found`);
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      data = await lookups.secret(namespace, name);
      if (!data && !from.secretRef.optional) throw new ContainerConfigError(`secret "${name}" not found`);
    }
    for (const [k, v] of Object.entries(data ?? {})) if (validEnvName.test(prefix + k)) env[prefix + k] = v;
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env[e.name] = expand(e.value ?? '', env);
      continue;
    }
    const from = e.valueFrom;
    if (from.fieldRef) env[e.name] = fieldValue(pod, from.fieldRef.fieldPath, ctx);
    else if (from.resourceFieldRef) env[e.name] = resourceValue(pod, container, from.resourceFieldRef, ctx);
    else if (from.configMapKeyRef || from.secretKeyRef) {
      const isSecret = !from.configMapKeyRef;
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const name = ref.name ?? '';
      const data = isSecret ? await lookups.secret(namespace, name) : await lookups.configMap(namespace, name);
      const value = data?.[ref.key];
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) {
        throw new ContainerConfigError(data ? `couldn't find key ${ref.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${namespace}/${name}` : `${isSecret ? 'secret' : 'configmap'} "${name}" not found`);
      }
    }
  }
  return env;
}

/** `<NAME>_SERVICE_HOST` / `_SERVICE_PORT` (and per named port) for Services, pointing at their host ports. */
export function serviceLinkEnv(services: { name: string; ports: { name?: string; hostPort: number }[] }[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const svc of services) {
    const first = svc.ports[0];
    if (!first) continue;
    const prefix = svc.name.toUpperCase().replace(/-/g, '_');
    env[`${prefix}_SERVICE_HOST`] = '127.0.0.1';
    env[`${prefix}_SERVICE_PORT`] = String(first.hostPort);
    for (const p of svc.ports) if (p.name) env[`${prefix}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.hostPort);
  }
  return env;
}
