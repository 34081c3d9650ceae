// Pure scheduling decisions: taints and tolerations, node selectors and affinity, resource fit, gangs, messages.
import { parseQuantity } from '../api/builtin/quantity.js';
import { GroupAnnotation, MinAvailableAnnotation } from '../api/gang.js';
import { selectsNode, tolerates } from '../api/node-selection.js';
import { MaxPods, podRequests, type Resources } from './resources.js';
import type { Node, Pod, Taint, Toleration } from './types.js';

export { GroupAnnotation, MinAvailableAnnotation, tolerates };

/** The first NoSchedule/NoExecute taint no toleration covers, as the scheduler reports it. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find((t) => t.effect !== 'PreferNoSchedule' && !tolerations.some((tol) => tolerates(tol, t)));
}

/** nodeSelector and required node affinity (terms are ORed, expressions within a term ANDed). */
export function matchesNode(pod: Pod, node: Node): boolean {
  return selectsNode(pod.spec, node);
}

export function allocatable(node: Node): Resources {
  const out: Resources = {};
  for (const [name, q] of Object.entries(node.status?.allocatable ?? {})) {
    const value = parseQuantity(q);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** What is already reserved on the node: requests of its non-terminal Pods, and their count. */
export interface NodeUsage {
  requested: Resources;
  pods: number;
}

export type Fit = { fits: true } | { fits: false; reasons: string[] };

/**
 * Whether `pod` fits on `node` given `usage`, with kube-scheduler's filter order (NodeUnschedulable,
 * TaintToleration, NodeAffinity, NodeResourcesFit): the first failing filter gives the reasons.
 */
export function fitsNode(pod: Pod, node: Node, usage: NodeUsage): Fit {
  const tolerations = pod.spec.tolerations ?? [];
  if (node.spec?.unschedulable && !tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    return { fits: false, reasons: ['node(s) were unschedulable'] };
  }
  const taint = untoleratedTaint(node.spec?.taints ?? [], tolerations);
  if (taint) return { fits: false, reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`] };
  if (!matchesNode(pod, node)) return { fits: false, reasons: ["node(s) didn't match Pod's node affinity/selector"] };
  const reasons: string[] = [];
  const have = allocatable(node);
  if (usage.pods + 1 > (have.pods ?? MaxPods)) reasons.push('Too many pods');
  const wants = podRequests(pod.spec);
  for (const [name, amount] of Object.entries(wants)) {
    if (amount <= 0) continue;
    if ((usage.requested[name] ?? 0) + amount > (have[name] ?? 0) + 1e-9) reasons.push(`Insufficient ${name}`);
  }
  return reasons.length === 0 ? { fits: true } : { fits: false, reasons };
}

/** kube-scheduler's FailedScheduling wording for a one-node cluster. */
export function unschedulableMessage(reasons: readonly string[], nodes = 1): string {
  const counted = [...new Set(reasons)].map((r) => `${nodes} ${r}`).sort();
  return `0/${nodes} nodes are available: ${counted.join(', ')}.`;
}

export interface Gang {
  name: string;
  minAvailable: number;
}

/** The gang a Pod belongs to (annotations `scheduling.floe.dev/group` and `…/min-available`), if any. */
export function gangOf(pod: Pod): Gang | undefined {
  const annotations = pod.metadata.annotations ?? {};
  const name = annotations[GroupAnnotation];
  if (!name) return undefined;
  const min = Number(annotations[MinAvailableAnnotation] ?? '1');
  return { name, minAvailable: Number.isInteger(min) && min > 0 ? min : 1 };
}

/** Scheduling order: higher priority first, then older, then by name. */
export function schedulingOrder(a: Pod, b: Pod): number {
  const pa = a.spec.priority ?? 0;
  const pb = b.spec.priority ?? 0;
  if (pa !== pb) return pb - pa;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const nb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export type GangPlan =
  | { bind: true }
  | { bind: false; message: string };

/**
 * All-or-nothing for a gang: `pending` are its unbound members, `bound` how many already run. Binds only when
 * at least minAvailable members exist and every pending member fits together with the others.
 */
export function planGang(gang: Gang, pending: readonly Pod[], bound: number, node: Node, usage: NodeUsage): GangPlan {
  const total = pending.length + bound;
  if (total < gang.minAvailable) {
    return { bind: false, message: `pod group "${gang.name}" has ${total} of the ${gang.minAvailable} pods it needs (${MinAvailableAnnotation}); waiting for the rest` };
  }
  const trial: NodeUsage = { requested: { ...usage.requested }, pods: usage.pods };
  for (const pod of pending) {
    const fit = fitsNode(pod, node, trial);
    if (!fit.fits) {
      return { bind: false, message: `pod group "${gang.name}" is scheduled all together or not at all, and its ${pending.length} pending pods do not fit together: ${unschedulableMessage(fit.reasons)}` };
    }
    reserve(trial, pod);
  }
  return { bind: true };
}

export function reserve(usage: NodeUsage, pod: Pod): void {
  usage.pods += 1;
  for (const [name, value] of Object.entries(podRequests(pod.spec))) usage.requested[name] = (usage.requested[name] ?? 0) + value;
}
