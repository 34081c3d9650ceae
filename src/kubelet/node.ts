// Node registration and heartbeat: the Node object (capacity, labels, taints, Ready) and its Lease.
import { readFileSync } from 'node:fs';
import { arch, hostname, platform, release, type as osType } from 'node:os';
import { FloeError } from '../api/errors.js';
import type { Logger } from '../api/logger.js';
import type { Client } from '../client/client.js';
import type { KubeletConfig } from './config.js';
import { capacityMap, type NodeCapacity } from './resources.js';
import { LeaseRef, NodeRef, type Node, type NodeCondition, type Taint } from './types.js';

export const KubeletVersion = 'v1.32.0-floe';
/** Which labels and taint keys came from config, so that removing one from config removes it from the Node. */
const configLabelsAnnotation = 'floe.dev/config-labels';
const configTaintsAnnotation = 'floe.dev/config-taints';

export interface NodeAgentOptions {
  client: Client;
  config: KubeletConfig;
  capacity: NodeCapacity;
  logger: Logger;
  heartbeatMs: number;
}

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The distribution's name as `kubectl get nodes -o wide` shows it (PRETTY_NAME of /etc/os-release). */
function osImage(): string {
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readTrimmed('/etc/os-release'))?.[1];
  return pretty || `${osType()} ${release()}`;
}

function nowSeconds(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The labels the kubelet sets itself, then the configured ones. */
export function nodeLabels(config: KubeletConfig): Record<string, string> {
  return {
    'kubernetes.io/hostname': config.nodeName,
    'kubernetes.io/os': platform(),
    'kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': platform(),
    'beta.kubernetes.io/arch': goArch(),
    'node-role.kubernetes.io/control-plane': '',
    ...config.labels,
  };
}

/**
 * The Node as this kubelet wants it, on top of `existing`: labels and taints other writers added
 * (`kubectl label`, `kubectl taint`) are kept; ones config added earlier and no longer lists are dropped.
 */
export function desiredNode(config: KubeletConfig, capacity: NodeCapacity, existing: Node | undefined): Node {
  const ours = nodeLabels(config);
  const previousLabels = parseList(existing?.metadata.annotations?.[configLabelsAnnotation]);
  const previousTaints = parseList(existing?.metadata.annotations?.[configTaintsAnnotation]);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(existing?.metadata.labels ?? {})) if (!previousLabels.includes(k)) labels[k] = v;
  Object.assign(labels, ours);
  const taintId = (t: Taint): string => `${t.key}:${t.effect}`;
  const configured = new Set(config.taints.map(taintId));
  const kept = (existing?.spec?.taints ?? []).filter((t) => !previousTaints.includes(taintId(t)) && !configured.has(taintId(t)));
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      ...(existing?.metadata ?? {}),
      name: config.nodeName,
      labels,
      annotations: {
        ...(existing?.metadata.annotations ?? {}),
        [configLabelsAnnotation]: JSON.stringify(Object.keys(config.labels).sort()),
        [configTaintsAnnotation]: JSON.stringify([...configured].sort()),
      },
    },
    spec: { ...(existing?.spec ?? {}), taints: [...config.taints.map((t) => ({ ...t })), ...kept] },
  };
  if (node.spec && node.spec.taints?.length === 0) delete node.spec.taints;
  return node;
}

function parseList(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** Node status: capacity, Ready and the pressure conditions, addresses and nodeInfo. */
export function nodeStatus(config: KubeletConfig, capacity: NodeCapacity, existing: Node['status'] | undefined): NonNullable<Node['status']> {
  const now = nowSeconds();
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const old = existing?.conditions?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : now };
  };
  const cap = capacityMap(capacity);
  return {
    ...(existing ?? {}),
    capacity: cap,
    allocatable: { ...cap },
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: hostname() },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      machineID: readTrimmed('/etc/machine-id'),
      systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid'),
      bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: 'floe://0.1.0',
      kubeletVersion: KubeletVersion,
      kubeProxyVersion: KubeletVersion,
      operatingSystem: platform(),
      architecture: goArch(),
    },
  };
}

export class NodeAgent {
  private readonly client: Client;
  private readonly config: KubeletConfig;
  private readonly capacity: NodeCapacity;
  private readonly log: Logger;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(options: NodeAgentOptions) {
    this.client = options.client;
    this.config = options.config;
    this.capacity = options.capacity;
    this.log = options.logger;
    this.heartbeatMs = options.heartbeatMs;
  }

  /** Creates or updates the Node, then renews its Ready condition and Lease every heartbeat. */
  async start(): Promise<void> {
    await this.register();
    await this.heartbeat();
    this.timer = setInterval(() => {
      if (this.beating) return;
      this.beating = this.heartbeat()
        .catch((err: unknown) => this.log.warn({ err }, 'node heartbeat failed'))
        .finally(() => (this.beating = undefined));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
  }

  private async register(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.getNode();
      const node = desiredNode(this.config, this.capacity, existing);
      try {
        if (existing) await this.client.update(node);
        else await this.client.create({ ...node, status: nodeStatus(this.config, this.capacity, undefined) });
        return;
      } catch (err) {
        if (attempt < 5 && err instanceof FloeError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists')) continue;
        throw err;
      }
    }
  }

  private async heartbeat(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const node = await this.getNode();
      if (!node) {
        await this.register();
        continue;
      }
      try {
        await this.client.updateStatus({ ...node, status: nodeStatus(this.config, this.capacity, node.status) });
        break;
      } catch (err) {
        if (attempt < 5 && err instanceof FloeError && err.reason === 'Conflict') continue;
        throw err;
      }
    }
    await this.renewLease();
  }

  private async renewLease(): Promise<void> {
    const renewTime = new Date().toISOString().replace(/Z$/, '000Z');
    const spec = { holderIdentity: this.config.nodeName, leaseDurationSeconds: 40, renewTime };
    try {
      const lease = await this.client.get(LeaseRef, this.config.nodeName, 'kube-node-lease');
      await this.client.update({ ...lease, spec: { ...(lease.spec as object), ...spec } });
    } catch (err) {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) {
        if (err instanceof FloeError && err.reason === 'Conflict') return;
        throw err;
      }
      await this.client
        .create({ apiVersion: LeaseRef.apiVersion, kind: LeaseRef.kind, metadata: { name: this.config.nodeName, namespace: 'kube-node-lease' }, spec })
        .catch((e: unknown) => {
          if (!(e instanceof FloeError && e.reason === 'AlreadyExists')) throw e;
        });
    }
  }

  private async getNode(): Promise<Node | undefined> {
    try {
      return await this.client.get<Node>(NodeRef, this.config.nodeName);
    } catch (err) {
      if (err instanceof FloeError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }
}
