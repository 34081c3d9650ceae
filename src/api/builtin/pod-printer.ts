// The `kubectl get pods` row as kube-apiserver's Table has it: READY, STATUS (the reason people see), RESTARTS, IP, NODE, ...
import type { KubeObject } from '../meta.js';
import type { PrinterColumn } from '../resource-type.js';
import { isRecord, list, num, record, text, type JsonObject } from './json.js';
import { ageCell, ageColumn, column, since } from './printing.js';

export const podColumns: PrinterColumn[] = [
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  ageColumn,
  column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', 1),
  column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
  column('Nominated Node', 'string', 'nominatedNodeName is set when this pod preempts other pods on the node.', 1),
  column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
];

interface ContainerState {
  waiting: JsonObject | undefined;
  running: JsonObject | undefined;
  terminated: JsonObject | undefined;
}

function stateOf(status: JsonObject): ContainerState {
  const state = record(status.state);
  return {
    waiting: isRecord(state.waiting) ? state.waiting : undefined,
    running: isRecord(state.running) ? state.running : undefined,
    terminated: isRecord(state.terminated) ? state.terminated : undefined,
  };
}

/** When the container last exited, from lastState.terminated.finishedAt. */
function lastExit(status: JsonObject): number | undefined {
  const finished = text(record(record(status.lastState).terminated).finishedAt);
  const at = finished ? Date.parse(finished) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/** `Signal:9` / `ExitCode:1` for a terminated container without a reason. */
function exitReason(terminated: JsonObject): string {
  const signal = num(terminated.signal) ?? 0;
  return signal !== 0 ? `Signal:${signal}` : `ExitCode:${num(terminated.exitCode) ?? 0}`;
}

function conditionTrue(status: JsonObject, type: string): boolean {
  return list(status.conditions).some((c) => isRecord(c) && c.type === type && c.status === 'True');
}

/**
 * The cells after NAME, in `podColumns` order: READY, STATUS, RESTARTS, AGE (filled by the table), IP, NODE,
 * NOMINATED NODE, READINESS GATES. STATUS is the pod's reason, else the first unfinished init container's, else
 * the last container's waiting/terminated reason, else the phase; 'Terminating' while deleting a non-terminal pod.
 */
export function podCells(pod: KubeObject, now: Date): unknown[] {
  const spec = record(pod.spec);
  const status = record(pod.status);
  const phase = text(status.phase);
  let reason = text(status.reason) || phase;
  if (list(status.conditions).some((c) => isRecord(c) && c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const initSpecs = list(spec.initContainers).map(record);
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => text(c.name)));
  const total = list(spec.containers).length + sidecars.size;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses).map(record);
  for (const [i, c] of initStatuses.entries()) {
    const count = num(c.restartCount) ?? 0;
    restarts += count;
    lastRestart = later(lastRestart, lastExit(c));
    const sidecar = sidecars.has(text(c.name));
    if (sidecar) {
      sidecarRestarts += count;
      lastSidecarRestart = later(lastSidecarRestart, lastExit(c));
    }
    const state = stateOf(c);
    if (state.terminated && (num(state.terminated.exitCode) ?? 0) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    initializing = true;
    if (state.terminated) reason = text(state.terminated.reason) ? `Init:${text(state.terminated.reason)}` : `Init:${exitReason(state.terminated)}`;
    else if (state.waiting && text(state.waiting.reason) && state.waiting.reason !== 'PodInitializing') reason = `Init:${text(state.waiting.reason)}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let running = false;
    const statuses = list(status.containerStatuses).map(record);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      restarts += num(c.restartCount) ?? 0;
      lastRestart = later(lastRestart, lastExit(c));
      const state = stateOf(c);
      if (state.waiting && text(state.waiting.reason)) reason = text(state.waiting.reason);
      else if (state.terminated && text(state.terminated.reason)) reason = text(state.terminated.reason);
      else if (state.terminated) reason = exitReason(state.terminated);
      else if (c.ready === true && state.running) {
        running = true;
        ready++;
      }
    }
    // A completed container next to a running one: the pod is still running.
    if (reason === 'Completed' && running) reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartCell = lastRestart === undefined ? String(restarts) : `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;
  const ip = text(record(list(status.podIPs)[0]).ip) || text(status.podIP) || '<none>';
  const gates = list(spec.readinessGates).map((g) => text(record(g).conditionType));
  const gatesCell = gates.length === 0 ? '<none>' : `${gates.filter((g) => conditionTrue(status, g)).length}/${gates.length}`;
  return [`${ready}/${total}`, reason, restartCell, ageCell, ip, text(spec.nodeName) || '<none>', text(status.nominatedNodeName) || '<none>', gatesCell];
}
