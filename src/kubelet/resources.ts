// Resource arithmetic: a Pod's effective requests, the node's capacity, quantities formatted as the kubelet does.
import { execFile } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';
import { parseQuantity } from '../api/builtin/quantity.js';
import type { KubeletConfig } from './config.js';
import type { ContainerSpec, PodSpec, QuantityMap } from './types.js';

export const GpuResource = 'nvidia.com/gpu';
export const MaxPods = 110;

export type Resources = Record<string, number>;

/** A container's requests, each defaulting to its limit as kube-apiserver defaults them. */
export function containerRequests(container: ContainerSpec): Resources {
  const out: Resources = {};
  const limits: QuantityMap = container.resources?.limits ?? {};
  const requests: QuantityMap = container.resources?.requests ?? {};
  for (const name of new Set([...Object.keys(limits), ...Object.keys(requests)])) {
    const value = parseQuantity(requests[name] ?? limits[name]);
    if (value !== undefined && value > 0) out[name] = value;
  }
  return out;
}

/** What the scheduler reserves for a Pod: max(sum of containers, largest init container) per resource, plus overhead. */
export function podRequests(spec: PodSpec): Resources {
  const sum: Resources = {};
  for (const c of spec.containers) addInto(sum, containerRequests(c));
  for (const c of spec.initContainers ?? []) {
    for (const [name, value] of Object.entries(containerRequests(c))) sum[name] = Math.max(sum[name] ?? 0, value);
  }
  for (const [name, q] of Object.entries(spec.overhead ?? {})) {
    const value = parseQuantity(q);
    if (value !== undefined) sum[name] = (sum[name] ?? 0) + value;
  }
  return sum;
}

export function addInto(target: Resources, add: Resources): void {
  for (const [name, value] of Object.entries(add)) target[name] = (target[name] ?? 0) + value;
}

export function containerMemoryLimit(container: ContainerSpec): number | undefined {
  const value = parseQuantity(container.resources?.limits?.memory);
  return value !== undefined && value > 0 ? value : undefined;
}

export function containerGpuCount(container: ContainerSpec): number {
  return Math.ceil(containerRequests(container)[GpuResource] ?? 0);
}

/** Memory as the kubelet prints it: whole Gi when exact, else Ki. */
export function formatMemory(bytes: number): string {
  const gi = 2 ** 30;
  if (bytes > 0 && bytes % gi === 0) return `${bytes / gi}Gi`;
  return `${Math.floor(bytes / 1024)}Ki`;
}

export function formatCpu(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.round(cpus * 1000)}m`;
}

export interface NodeCapacity {
  cpu: number;
  memoryBytes: number;
  gpus: number;
}

/** The node's capacity as a Node status map. */
export function capacityMap(capacity: NodeCapacity): Record<string, string> {
  return {
    cpu: formatCpu(capacity.cpu),
    memory: formatMemory(capacity.memoryBytes),
    pods: String(MaxPods),
    [GpuResource]: String(capacity.gpus),
  };
}

/** Capacity from config, falling back to what the host has (GPUs: `nvidia-smi -L`, when installed). */
export async function detectCapacity(config: KubeletConfig): Promise<NodeCapacity> {
  return {
    cpu: config.cpu ?? availableParallelism(),
    memoryBytes: config.memoryBytes ?? totalmem(),
    gpus: config.gpus ?? (await detectGpus()),
  };
}

export function detectGpus(): Promise<number> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['-L'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(0);
      resolve(stdout.split('\n').filter((line) => /^GPU \d+/.test(line.trim())).length);
    });
  });
}
