// core/v1 Node: STATUS (Ready/NotReady, SchedulingDisabled), ROLES from node-role labels, taints, allocatable defaults.
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { PrinterColumn, ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { checkTaints } from './field-checks.js';
import { isRecord, list, record, text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

export const nodeColumns: PrinterColumn[] = [
  column('Status', 'string', 'The status of the node'),
  column('Roles', 'string', 'The roles of the node'),
  ageColumn,
  column('Version', 'string', 'Kubelet Version reported by the node.'),
  column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
  column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
  column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
  column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
  column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
];

/** `Ready`, `NotReady` or `Unknown` from the Ready condition, with `,SchedulingDisabled` for a cordoned node. */
export function nodeStatus(node: KubeObject): string {
  const ready = list(record(node.status).conditions).map(record).find((c) => c.type === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (record(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` label keys and the older `kubernetes.io/role` label value, sorted. */
export function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (key === 'kubernetes.io/role' && value) {
      roles.add(value);
    }
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function address(node: KubeObject, type: string): string {
  const found = list(record(node.status).addresses).map(record).find((a) => a.type === type);
  return found ? text(found.address) : '<none>';
}

export function nodeCells(node: KubeObject): unknown[] {
  const info = record(record(node.status).nodeInfo);
  const unknown = (v: unknown): string => text(v) || '<unknown>';
  return [
    nodeStatus(node),
    nodeRoles(node),
    ageCell,
    text(info.kubeletVersion),
    address(node, 'InternalIP'),
    address(node, 'ExternalIP'),
    unknown(info.osImage),
    unknown(info.kernelVersion),
    unknown(info.containerRuntimeVersion),
  ];
}

/** Allocatable defaults to capacity, as SetDefaults_NodeStatus does. */
export function defaultNode(node: KubeObject): void {
  if (!isRecord(node.status)) return;
  const status = node.status;
  if (status.allocatable === undefined && isRecord(status.capacity)) status.allocatable = { ...status.capacity };
}

export function validateNode(node: KubeObject): FieldError[] {
  return checkTaints('spec.taints', record(node.spec).taints);
}

export function nodeType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    statusSubresource: true,
    columns: nodeColumns,
    cells: nodeCells,
    defaults: defaultNode,
    validate: validateNode,
    selectableFields: { 'spec.unschedulable': (node) => String(record(node.spec).unschedulable === true) },
  });
}
