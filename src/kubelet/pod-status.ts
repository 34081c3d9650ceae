// Pure: a Pod's status (phase, conditions, container statuses) from the runtime's records of its containers.
import type { ContainerRecord, TerminationRecord } from './pod-state.js';
import type { ContainerSpec, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from './types.js';

export interface Waiting {
  reason: string;
  message: string;
}

export interface StatusInput {
  pod: Pod;
  records: ReadonlyMap<string, ContainerRecord>;
  /** Why a container that should start cannot (CreateContainerConfigError, CreateContainerError…). */
  waiting: ReadonlyMap<string, Waiting>;
  /** Containers with probes: whether the readiness (and startup) probes say ready and started. Others are ready when running. */
  probes?: ReadonlyMap<string, { ready: boolean; started: boolean }>;
  startTime: string;
  now: number;
  podIP: string;
  hostIP: string;
}

/** RFC 3339 to the second, as Kubernetes writes status times. */
export function seconds(iso: string | number): string {
  return new Date(iso).toISOString().replace(/\.\d+Z$/, 'Z');
}

type Outcome = 'never' | 'running' | 'restarting' | 'done';

export function outcome(record: ContainerRecord | undefined): Outcome {
  if (!record) return 'never';
  if (record.running) return 'running';
  if (!record.lastTermination) return 'never';
  return record.restartAt !== undefined ? 'restarting' : 'done';
}

function terminated(t: TerminationRecord): ContainerState {
  const state: NonNullable<ContainerState['terminated']> = { exitCode: t.exitCode, reason: t.reason, startedAt: seconds(t.startedAt), finishedAt: seconds(t.finishedAt) };
  if (t.signal !== undefined) state.signal = t.signal;
  if (t.message) state.message = t.message;
  if (t.pid !== undefined) state.containerID = `floe://${t.pid}`;
  return { terminated: state };
}

function containerStatus(input: StatusInput, c: ContainerSpec, init: boolean, initDone: boolean): ContainerStatus {
  const record = input.records.get(c.name);
  const waiting = input.waiting.get(c.name);
  const status: ContainerStatus = {
    name: c.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: record ? Math.max(0, record.started - 1) : 0,
    image: c.image ?? '',
    imageID: '',
    started: false,
  };
  const last = record?.lastTermination;
  switch (outcome(record)) {
    case 'running': {
      const run = record!.running!;
      status.state = { running: { startedAt: seconds(run.startedAt) } };
      if (last) status.lastState = terminated(last);
      if (run.pid !== undefined) status.containerID = `floe://${run.pid}`;
      const probed = input.probes?.get(c.name);
      status.ready = !init && (probed?.ready ?? true);
      status.started = probed?.started ?? true;
      break;
    }
    case 'restarting': {
      const pod = input.pod.metadata;
      const delay = Math.max(0, Math.round((record!.restartAt! - Date.parse(last!.finishedAt)) / 1000));
      status.state = {
        waiting: waiting ?? { reason: 'CrashLoopBackOff', message: `back-off ${delay}s restarting failed container=${c.name} pod=${pod.name ?? ''}_${pod.namespace ?? ''}(${pod.uid ?? ''})` },
      };
      status.lastState = terminated(last!);
      if (last!.pid !== undefined) status.containerID = `floe://${last!.pid}`;
      break;
    }
    case 'done':
      status.state = terminated(last!);
      if (last!.pid !== undefined) status.containerID = `floe://${last!.pid}`;
      status.ready = init && last!.exitCode === 0;
      break;
    case 'never':
      status.state = { waiting: waiting ?? { reason: !init && !initDone ? 'PodInitializing' : 'ContainerCreating', message: '' } };
      if (!status.state.waiting?.message) delete status.state.waiting?.message;
      break;
  }
  return status;
}

function condition(old: PodStatus | undefined, now: number, type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const previous = old?.conditions?.find((c) => c.type === type);
  const c: PodCondition = { type, status, lastProbeTime: null, lastTransitionTime: previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : seconds(now) };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

export function initContainersDone(pod: Pod, records: ReadonlyMap<string, ContainerRecord>): boolean {
  return (pod.spec.initContainers ?? []).every((c) => {
    const r = records.get(c.name);
    return outcome(r) === 'done' && r!.lastTermination!.exitCode === 0;
  });
}

/** Pending until every init container succeeded and every container started; Running while any runs or will restart. */
export function podPhase(pod: Pod, records: ReadonlyMap<string, ContainerRecord>): NonNullable<PodStatus['phase']> {
  for (const c of pod.spec.initContainers ?? []) {
    const r = records.get(c.name);
    const o = outcome(r);
    if (o === 'done' && r!.lastTermination!.exitCode !== 0) return 'Failed';
    if (o !== 'done') return 'Pending';
  }
  const outcomes = pod.spec.containers.map((c) => outcome(records.get(c.name)));
  if (outcomes.includes('never')) return 'Pending';
  if (outcomes.includes('running') || outcomes.includes('restarting')) return 'Running';
  const failed = pod.spec.containers.some((c) => records.get(c.name)?.lastTermination?.exitCode !== 0);
  return failed ? 'Failed' : 'Succeeded';
}

export function computePodStatus(input: StatusInput): PodStatus {
  const { pod, records, now } = input;
  const old = pod.status;
  const initDone = initContainersDone(pod, records);
  const phase = podPhase(pod, records);
  const initStatuses = (pod.spec.initContainers ?? []).map((c) => containerStatus(input, c, true, initDone));
  const statuses = pod.spec.containers.map((c) => containerStatus(input, c, false, initDone));
  const incompleteInit = initStatuses.filter((s) => !s.ready).map((s) => s.name);
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = terminal ? 'PodCompleted' : unready.length > 0 ? 'ContainersNotReady' : undefined;
  const readyMessage = !terminal && unready.length > 0 ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const allReady = unready.length === 0 && !terminal;
  const ours = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  const conditions: PodCondition[] = [
    condition(old, now, 'PodReadyToStartContainers', true),
    condition(old, now, 'Initialized', initDone, initDone ? undefined : 'ContainersNotInitialized', initDone ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    condition(old, now, 'Ready', allReady, readyReason, readyMessage),
    condition(old, now, 'ContainersReady', allReady, readyReason, readyMessage),
    condition(old, now, 'PodScheduled', true),
    ...(old?.conditions ?? []).filter((c) => !ours.has(c.type)),
  ];
  const status: PodStatus = {
    ...(old ?? {}),
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP,
    podIPs: [{ ip: input.podIP }],
    startTime: seconds(input.startTime),
    containerStatuses: statuses,
  };
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  return status;
}
