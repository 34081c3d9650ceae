// core/v1 Pod: defaults, validation and the `kubectl get pods` row, as kube-apiserver gives them.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label } from '../names.js';
import { parseQuantity } from './quantity.js';

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: { containerPort?: number; protocol?: string; name?: string }[];
  env?: { name?: string }[];
  volumeMounts?: { name?: string; mountPath?: string }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { name?: string }[];
  restartPolicy?: string;
  dnsPolicy?: string;
  schedulerName?: string;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  serviceAccount?: string;
  nodeName?: string;
  activeDeadlineSeconds?: number;
  tolerations?: unknown[];
  securityContext?: unknown;
  enableServiceLinks?: boolean;
  priority?: number;
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number }; running?: unknown };
}

export interface PodStatus {
  phase?: string;
  reason?: string;
  podIP?: string;
  qosClass?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  conditions?: { type: string; status: string }[];
}

const envName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function defaultPod(pod: KubeObject): void {
  const spec = (pod.spec ??= {}) as PodSpec;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (typeof c !== 'object' || c === null) continue;
    const image = c.image ?? '';
    const tag = image.includes('@') ? 'digest' : /:[^/]+$/.exec(image)?.[0].slice(1);
    c.imagePullPolicy ??= tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
    if (c.resources?.limits && !c.resources.requests) c.resources.requests = { ...c.resources.limits };
    c.resources ??= {};
  }
  const status = (pod.status ??= {}) as PodStatus;
  status.phase ??= 'Pending';
  status.qosClass ??= qosClass(spec);
}

function qosClass(spec: PodSpec): string {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = parseQuantity(lim[r]);
      if (l === undefined || parseQuantity(req[r] ?? lim[r]) !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function validatePod(pod: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = pod.spec as PodSpec | undefined;
  if (!spec || typeof spec !== 'object') return [fieldErrors.required('spec')];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const p = `spec.volumes[${i}].name`;
    if (!v.name) errs.push(fieldErrors.required(p));
    else {
      for (const m of checkDns1123Label(v.name)) errs.push(fieldErrors.invalid(p, v.name, m));
      if (volumes.has(v.name)) errs.push(fieldErrors.duplicate(p, v.name));
      volumes.add(v.name);
    }
  });
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.push(fieldErrors.required('spec.containers'));
  const names = new Set<string>();
  const check = (list: Container[] | undefined, field: string): void => {
    (list ?? []).forEach((c, i) => {
      const p = `${field}[${i}]`;
      if (typeof c !== 'object' || c === null) {
        errs.push(fieldErrors.typeInvalid(p, c, 'must be an object'));
        return;
      }
      if (!c.name) errs.push(fieldErrors.required(`${p}.name`));
      else {
        for (const m of checkDns1123Label(c.name)) errs.push(fieldErrors.invalid(`${p}.name`, c.name, m));
        if (names.has(c.name)) errs.push(fieldErrors.duplicate(`${p}.name`, c.name));
        names.add(c.name);
      }
      if (!c.image) errs.push(fieldErrors.required(`${p}.image`));
      (c.ports ?? []).forEach((port, j) => {
        const cp = port.containerPort;
        if (typeof cp !== 'number' || !Number.isInteger(cp) || cp < 1 || cp > 65535) {
          errs.push(fieldErrors.invalid(`${p}.ports[${j}].containerPort`, cp ?? 0, 'must be between 1 and 65535, inclusive'));
        }
        if (port.protocol && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) errs.push(fieldErrors.notSupported(`${p}.ports[${j}].protocol`, port.protocol, ['SCTP', 'TCP', 'UDP']));
      });
      (c.env ?? []).forEach((e, j) => {
        if (!e.name) errs.push(fieldErrors.required(`${p}.env[${j}].name`));
        else if (!envName.test(e.name)) errs.push(fieldErrors.invalid(`${p}.env[${j}].name`, e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"));
      });
      (c.volumeMounts ?? []).forEach((m, j) => {
        if (!m.name) errs.push(fieldErrors.required(`${p}.volumeMounts[${j}].name`));
        else if (!volumes.has(m.name)) errs.push({ type: 'FieldValueNotFound', field: `${p}.volumeMounts[${j}].name`, message: `Not found: ${JSON.stringify(m.name)}` });
        if (!m.mountPath) errs.push(fieldErrors.required(`${p}.volumeMounts[${j}].mountPath`));
      });
      for (const kind of ['requests', 'limits'] as const) {
        for (const [r, q] of Object.entries(c.resources?.[kind] ?? {})) {
          if (parseQuantity(q) === undefined) errs.push(fieldErrors.invalid(`${p}.resources.${kind}[${r}]`, q, 'must be a valid quantity'));
        }
      }
      for (const [r, q] of Object.entries(c.resources?.requests ?? {})) {
        const limit = parseQuantity(c.resources?.limits?.[r]);
        const req = parseQuantity(q);
        if (limit !== undefined && req !== undefined && req > limit) {
          errs.push(fieldErrors.invalid(`${p}.resources.requests`, q, `must be less than or equal to ${r} limit of ${String(c.resources?.limits?.[r])}`));
        }
      }
    });
  };
  check(spec.initContainers, 'spec.initContainers');
  check(spec.containers, 'spec.containers');
  if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errs.push(fieldErrors.notSupported('spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  if (old) errs.push(...immutablePodFields(spec, old.spec as PodSpec));
  return errs;
}

/** A Pod's spec may change only in images, activeDeadlineSeconds, tolerations (additions) and nodeName (binding). */
function immutablePodFields(spec: PodSpec, old: PodSpec): FieldError[] {
  const strip = (s: PodSpec): unknown => {
    const copy = structuredClone<PodSpec>(s);
    for (const c of [...(copy.containers ?? []), ...(copy.initContainers ?? [])]) delete c.image;
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    if (!old.nodeName) delete copy.nodeName;
    return copy;
  };
  if (JSON.stringify(strip(spec)) === JSON.stringify(strip(old))) return [];
  return [fieldErrors.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)')];
}

/** READY, STATUS, RESTARTS, (AGE, filled by the table printer), IP, NODE — computed the way `kubectl get pods` shows them. */
export function podCells(pod: KubeObject): unknown[] {
  const spec = (pod.spec ?? {}) as PodSpec;
  const status = (pod.status ?? {}) as PodStatus;
  const statuses = status.containerStatuses ?? [];
  const total = spec.containers?.length ?? 0;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  let reason = status.reason ?? status.phase ?? 'Pending';
  const init = status.initContainerStatuses ?? [];
  const initTotal = spec.initContainers?.length ?? 0;
  let initializing = false;
  init.forEach((s, i) => {
    if (initializing) return;
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : `Init:ExitCode:${t.exitCode ?? 0}`;
    else if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing') reason = `Init:${s.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
  });
  if (!initializing) {
    for (let i = statuses.length - 1; i >= 0; i--) {
      const s = statuses[i]!;
      if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
      else if (s.state?.terminated?.reason) reason = s.state.terminated.reason;
      else if (s.state?.terminated) reason = s.state.terminated.signal ? `Signal:${s.state.terminated.signal}` : `ExitCode:${s.state.terminated.exitCode ?? 0}`;
    }
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return [`${ready}/${total}`, reason, restarts, undefined, status.podIP ?? '<none>', spec.nodeName ?? '<none>'];
}
