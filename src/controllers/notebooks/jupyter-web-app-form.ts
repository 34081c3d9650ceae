// The Jupyter web app's pure parts (kubeflow/notebooks crud-web-apps/jupyter backend): the spawner config Floe ships,
// the form → Notebook processing of POST /api/namespaces/{ns}/notebooks, and the notebook summary and status the
// frontend lists. No I/O: the route (jupyter-web-app.ts) reads and writes through the API.
import type { KubeObject } from '../../api/meta.js';
import { Annotations, type Notebook } from './types.js';

/** A web-app error: its HTTP code and the message upstream's `{success: false, log}` envelope carries. */
export class WebAppError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'WebAppError';
    this.code = code;
  }
}

const badRequest = (message: string): WebAppError => new WebAppError(400, message);

export const ServerTypeAnnotation = 'notebooks.kubeflow.org/server-type';
export const CreatorAnnotation = 'notebooks.kubeflow.org/creator';

type Json = Record<string, unknown>;

/**
 * Floe's default `spawnerFormDefaults`: upstream's spawner_ui_config.yaml, field for field. The Jupyter images are the
 * ones Floe's image table maps to its JupyterLab environment (ghcr.io/…/notebook-servers/jupyter-…); the VS Code and RStudio
 * groups keep upstream's images, which run only where the container runtime can pull them. An admin replaces it with a
 * ConfigMap `jupyter-web-app-config` in namespace `kubeflow`, key `spawner_ui_config.yaml` (upstream's file).
 */
export function defaultSpawnerConfig(): Json {
  const jupyter = (name: string): string => `ghcr.io/kubeflow/kubeflow/notebook-servers/${name}:latest`;
  return {
    allowCustomImage: true,
    hideRegistry: true,
    hideTag: false,
    imagePullPolicy: { readOnly: false, value: 'IfNotPresent' },
    image: {
      value: jupyter('jupyter-scipy'),
      options: [jupyter('jupyter-scipy'), jupyter('jupyter-pytorch-full'), jupyter('jupyter-pytorch-cuda-full'), jupyter('jupyter-tensorflow-full'), jupyter('jupyter-tensorflow-cuda-full')],
    },
    imageGroupOne: { value: 'ghcr.io/kubeflow/kubeflow/notebook-servers/codeserver-python:latest', options: ['ghcr.io/kubeflow/kubeflow/notebook-servers/codeserver-python:latest'] },
    imageGroupTwo: { value: 'ghcr.io/kubeflow/kubeflow/notebook-servers/rstudio-tidyverse:latest', options: ['ghcr.io/kubeflow/kubeflow/notebook-servers/rstudio-tidyverse:latest'] },
    cpu: { readOnly: false, value: '0.5', limitFactor: '1.2' },
    memory: { readOnly: false, value: '1.0Gi', limitFactor: '1.2' },
    gpus: {
      readOnly: false,
      value: {
        vendor: '',
        vendors: [
          { limitsKey: 'nvidia.com/gpu', uiName: 'NVIDIA' },
          { limitsKey: 'amd.com/gpu', uiName: 'AMD' },
          { limitsKey: 'habana.ai/gaudi', uiName: 'Intel Gaudi' },
        ],
        num: 'none',
      },
    },
    workspaceVolume: {
      readOnly: false,
      value: {
        mount: '/home/jovyan',
        newPvc: { metadata: { name: '{notebook-name}-workspace' }, spec: { resources: { requests: { storage: '5Gi' } }, accessModes: ['ReadWriteOnce'] } },
      },
    },
    dataVolumes: { readOnly: false, value: [] },
    affinityConfig: { readOnly: false, value: '', options: [] },
    tolerationGroup: { readOnly: false, value: '', options: [] },
    shm: { readOnly: false, value: true },
    configurations: { readOnly: false, value: [] },
    environment: { readOnly: false, value: {} },
  };
}

// ---- the form (form.py, post.py, volumes.py) ------------------------------------------------------------------------

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Python's `str()` of a JSON value, for messages that quote what the user sent. */
const py = (v: unknown): string => (v === null || v === undefined ? 'None' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * upstream's get_form_value: a readOnly config field must not be in the body (400) and gives the config's value; a
 * field the config lacks is the body's value; a missing value is a 400 unless optional.
 */
export function formValue(body: Json, defaults: Json, bodyField: string, defaultsField = bodyField, optional = false): unknown {
  const userValue = body[bodyField] ?? null;
  const field = defaults[defaultsField];
  if (!isObject(field)) return userValue;
  if (field.readOnly === true) {
    if (bodyField in body) throw badRequest(`'${bodyField}' is readonly but a value was provided: ${py(userValue)}`);
    return field.value;
  }
  if (userValue === null) {
    if (!optional) throw badRequest(`No value provided for: ${bodyField}`);
    return null;
  }
  return userValue;
}

/** Python's round(x, 1) as str(): `0.6`, `1.2`, `2.0`. */
function round1(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

const pyFloat = (text: string, what: string): number => {
  const n = Number(text.trim());
  if (text.trim() === '' || Number.isNaN(n)) throw badRequest(`could not convert string to float: '${text}' (${what})`);
  return n;
};

interface Container extends Json {
  name: string;
  image: string;
  volumeMounts: Json[];
  env: Json[];
  resources: { requests: Record<string, string>; limits?: Record<string, string> };
}

/** The Notebook upstream's notebook_template.yaml starts from (v1beta1, container named after the notebook). */
export function notebookTemplate(name: string, namespace: string, creator: string): Notebook {
  return {
    apiVersion: 'kubeflow.org/v1beta1',
    kind: 'Notebook',
    metadata: { name, namespace, labels: { app: name }, annotations: { [ServerTypeAnnotation]: '', [CreatorAnnotation]: creator } },
    spec: {
      template: {
        spec: {
          serviceAccountName: 'default-editor',
          containers: [{ name, image: '', volumeMounts: [], env: [], resources: { requests: { cpu: '0.1', memory: '0.1Gi' } } } as Container],
          volumes: [],
          tolerations: [],
        },
      },
    },
  } as unknown as Notebook;
}

const containerOf = (nb: Notebook): Container => nb.spec.template.spec.containers[0] as unknown as Container;
const podSpecOf = (nb: Notebook): Json & { volumes: Json[]; tolerations: Json[] } => nb.spec.template.spec as unknown as Json & { volumes: Json[]; tolerations: Json[] };

/** A volume of the API: `{mount, newPvc?, existingSource?}` (exactly one of the two). */
export interface ApiVolume {
  mount: string;
  newPvc?: Json & { metadata?: Json & { name?: string; namespace?: string } };
  existingSource?: Json;
}

function checkVolume(v: unknown): ApiVolume {
  if (!isObject(v) || !('mount' in v)) throw badRequest(`Volume should have a mount: ${py(v)}`);
  const hasNew = 'newPvc' in v;
  const hasExisting = 'existingSource' in v;
  if (!hasNew && !hasExisting) throw badRequest(`Volume has neither existingSource nor newPvc: ${py(v)}`);
  if (hasNew && hasExisting) throw badRequest(`Volume has both existingSource and newPvc: ${py(v)}`);
  return v as unknown as ApiVolume;
}

export interface FormResult {
  notebook: Notebook;
  /** The volumes of the form, checked: each new PVC is created before the Notebook. */
  volumes: ApiVolume[];
}

/** post.py's form processing, up to the volumes (which need the API): image, pull policy, server type, resources, … */
export function notebookFromForm(body: Json, namespace: string, user: string | null, config: Json): FormResult {
  const name = String(body.name);
  const nb = notebookTemplate(name, namespace, user ?? 'anonymous@kubeflow.org');
  const c = containerOf(nb);
  // Image: customImage when given (truthy), else image.
  const image = formValue(body, config, body.customImage ? 'customImage' : 'image', 'image');
  if (typeof image !== 'string') throw badRequest(`No value provided for: image`);
  c.image = image.trim();
  c.imagePullPolicy = formValue(body, config, 'imagePullPolicy');
  // Server type.
  const serverType = formValue(body, config, 'serverType');
  if (typeof serverType !== 'string' || !['jupyter', 'group-one', 'group-two'].includes(serverType)) throw badRequest(`'${py(serverType)}' is not a valid server type`);
  const nbName = py(formValue(body, config, 'name'));
  const nbNamespace = py(formValue(body, config, 'namespace'));
  const annotations = nb.metadata.annotations ?? {};
  annotations[ServerTypeAnnotation] = serverType;
  if (serverType === 'group-one' || serverType === 'group-two') annotations[Annotations.httpRewriteUri] = '/';
  if (serverType === 'group-two') annotations[Annotations.httpHeadersRequestSet] = `{"X-RStudio-Root-Path":"/notebook/${nbNamespace}/${nbName}/"}`;
  nb.metadata.annotations = annotations;
  setResource(c, body, config, 'cpu', 'cpuLimit', 'cpu', 'CPU');
  setResource(c, body, config, 'memory', 'memoryLimit', 'memory', 'Memory');
  // GPUs.
  const gpus = formValue(body, config, 'gpus');
  if (!isObject(gpus) || !('num' in gpus)) throw badRequest(`'gpus' must have a 'num' field`);
  if (gpus.num !== 'none') {
    if (!('vendor' in gpus)) throw badRequest(`'gpus' must have a 'vendor' field`);
    c.resources.limits = { ...(c.resources.limits ?? {}), [String(gpus.vendor)]: String(gpus.num) };
  }
  // Tolerations and affinity from the config's groups.
  const groupKey = formValue(body, config, 'tolerationGroup');
  if (groupKey !== 'none') {
    const options = (isObject(config.tolerationGroup) && Array.isArray(config.tolerationGroup.options) ? config.tolerationGroup.options : []) as Json[];
    const group = options.find((g) => g.groupKey === groupKey);
    if (group && Array.isArray(group.tolerations)) podSpecOf(nb).tolerations.push(...(group.tolerations as Json[]));
  }
  const affinityKey = formValue(body, config, 'affinityConfig');
  if (affinityKey !== 'none') {
    const options = (isObject(config.affinityConfig) && Array.isArray(config.affinityConfig.options) ? config.affinityConfig.options : []) as Json[];
    const found = options.find((a) => a.configKey === affinityKey);
    if (found) podSpecOf(nb).affinity = found.affinity;
  }
  // Configurations: PodDefault labels on the Notebook (its Pod inherits them).
  const labels = formValue(body, config, 'configurations');
  if (!Array.isArray(labels)) throw badRequest(`Labels for PodDefaults are not list: ${py(labels)}`);
  nb.metadata.labels = { ...(nb.metadata.labels ?? {}), ...Object.fromEntries(labels.map((l) => [String(l), 'true'])) };
  // Shared memory.
  if (formValue(body, config, 'shm')) {
    podSpecOf(nb).volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory' } });
    c.volumeMounts.push({ mountPath: '/dev/shm', name: 'dshm' });
  }
  // Volumes: data volumes, then the workspace.
  const datavols = formValue(body, config, 'datavols', 'dataVolumes');
  const volumes = (Array.isArray(datavols) ? datavols : []).map(checkVolume);
  const workspace = formValue(body, config, 'workspace', 'workspaceVolume', true);
  if (workspace) volumes.push(checkVolume(workspace));
  for (const v of volumes) if (v.newPvc?.metadata?.namespace !== undefined && v.newPvc.metadata.namespace !== null) throw badRequest('PVC should not specify the namespace.');
  return { notebook: nb, volumes };
}

/** form.py's set_notebook_cpu / set_notebook_memory: request, limit from limitFactor when none is given, limit ≥ request. */
function setResource(c: Container, body: Json, config: Json, field: string, limitField: string, key: 'cpu' | 'memory', label: string): void {
  const value = formValue(body, config, field);
  const text = py(value === null ? '' : value);
  if (text.toLowerCase().includes('nan')) throw badRequest(`Invalid value for ${field}: ${text}`);
  const limitValue = formValue(body, config, limitField);
  let limit = py(limitValue === null ? '' : limitValue);
  if (limit.toLowerCase().includes('nan')) throw badRequest(`Invalid value for ${field} limit: ${limit}`);
  const section = config[field];
  const factor = isObject(section) ? section.limitFactor : undefined;
  const unit = key === 'memory' ? 'Gi' : '';
  const number = (s: string): number => pyFloat(key === 'memory' ? s.replace('Gi', '') : s, field);
  if (!limit && factor !== 'none') limit = `${round1(number(text) * pyFloat(String(factor), 'limitFactor'))}${unit}`;
  c.resources.requests[key] = text;
  if (!limit) return;
  if (number(limit) < number(text)) throw badRequest(`${label} limit must be greater than the request`);
  c.resources.limits = { ...(c.resources.limits ?? {}), [key]: limit };
}

const randomSuffix = (n: number): string => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');

/** volumes.py get_pod_volume + get_container_mount: the Pod volume (a created PVC, or the existing source) and its mount. */
export function podVolumeFor(volume: ApiVolume, createdPvcName: string | undefined): { volume: Json; mount: Json } {
  let podVolume: Json;
  if (createdPvcName !== undefined) {
    podVolume = { name: createdPvcName, persistentVolumeClaim: { claimName: createdPvcName } };
  } else {
    const source = volume.existingSource ?? {};
    let name: string;
    if (isObject(source.persistentVolumeClaim)) {
      if (typeof source.persistentVolumeClaim.claimName !== 'string') throw badRequest(`Failed to retrieve the PVC name from '${py(volume)}'`);
      name = source.persistentVolumeClaim.claimName;
    } else {
      name = `existing-source-volume-${randomSuffix(8)}`;
    }
    podVolume = { name, ...source };
  }
  return { volume: podVolume, mount: { name: podVolume.name, mountPath: volume.mount } };
}

/** Adds a volume and its mount to the Notebook's Pod and first container. */
export function addNotebookVolume(nb: Notebook, volume: Json, mount: Json): void {
  podSpecOf(nb).volumes.push(volume);
  containerOf(nb).volumeMounts.push(mount);
}

// ---- summaries and status (utils.py, status.py) ---------------------------------------------------------------------

export type StatusPhase = 'ready' | 'waiting' | 'warning' | 'error' | 'uninitialized' | 'unavailable' | 'terminating' | 'stopped';
export interface WebAppStatus {
  phase: StatusPhase;
  message: string;
  state: string;
}

const status = (phase: StatusPhase, message: string): WebAppStatus => ({ phase, message, state: '' });

export interface EventLike extends KubeObject {
  type?: string;
  message?: string;
}

/** Seconds since the epoch of an RFC 3339 time, at second precision (upstream parses `%Y-%m-%dT%H:%M:%SZ`). */
const seconds = (t: string | undefined): number => Math.floor(Date.parse(t ?? '') / 1000);

/** status.py process_status, in upstream's order; `events` are the Notebook's (fieldSelector involvedObject). */
export function processStatus(nb: Notebook, events: readonly EventLike[], now: Date): WebAppStatus {
  const st = (nb.status ?? {}) as Partial<NonNullable<Notebook['status']>>;
  const containerState = st.containerState as Json | undefined;
  const conditions = st.conditions;
  const created = seconds(nb.metadata.creationTimestamp);
  const hasState = containerState !== undefined && Object.keys(containerState).length > 0;
  if (!hasState && !(conditions && conditions.length > 0) && Math.floor(now.getTime() / 1000) - created <= 10) {
    return status('waiting', 'Waiting for StatefulSet to create the underlying Pod.');
  }
  const ready = st.readyReplicas ?? 0;
  if (nb.metadata.annotations?.[Annotations.stopped] !== undefined) {
    return ready === 0 ? status('stopped', 'No Pods are currently running for this Notebook Server.') : status('waiting', 'Notebook Server is stopping.');
  }
  if (nb.metadata.deletionTimestamp !== undefined) return status('terminating', 'Deleting this Notebook Server.');
  if (ready === 1) return status('ready', 'Running');
  const waiting = containerState?.waiting as { reason?: string; message?: string } | undefined;
  if (waiting !== undefined) return status('warning', `${waiting.reason ?? 'Undefined'}: ${waiting.message ?? 'No available message for container state.'}`);
  for (const c of conditions ?? []) if (c.reason !== undefined) return status('warning', `${c.reason}: ${c.message ?? ''}`);
  const recent = events.filter((e) => seconds(e.metadata.creationTimestamp) >= created).sort((a, b) => seconds(b.metadata.creationTimestamp) - seconds(a.metadata.creationTimestamp));
  const warning = recent.find((e) => e.type === 'Warning');
  if (warning) return status('warning', warning.message ?? '');
  return status('warning', "Couldn't find any information for the status of this notebook.");
}

/** utils.py process_gpus: the count over the config's vendors and a message like `1 NVIDIA, 2 AMD`. */
export function processGpus(container: Json, config: Json): { count: number; message: string } {
  const gpus = isObject(config.gpus) && isObject(config.gpus.value) && Array.isArray(config.gpus.value.vendors) ? (config.gpus.value.vendors as Json[]) : [];
  const limits = (isObject(container.resources) && isObject(container.resources.limits) ? container.resources.limits : {}) as Record<string, unknown>;
  let count = 0;
  const parts: string[] = [];
  for (const v of gpus) {
    const key = String(v.limitsKey);
    if (!(key in limits)) continue;
    count += parseInt(String(limits[key]), 10);
    parts.push(`${String(limits[key])} ${String(v.uiName)}`);
  }
  return { count, message: parts.join(', ') };
}

/** utils.py notebook_dict_from_k8s_obj: what the notebooks table shows. */
export function notebookSummary(nb: Notebook, events: readonly EventLike[], config: Json, now: Date): Json {
  const c = (nb.spec.template.spec.containers[0] ?? {}) as unknown as Json;
  const image = typeof c.image === 'string' ? c.image : '';
  const requests = (isObject(c.resources) && isObject(c.resources.requests) ? c.resources.requests : {}) as Record<string, unknown>;
  const mounts = (Array.isArray(c.volumeMounts) ? c.volumeMounts : []) as Json[];
  return {
    name: nb.metadata.name,
    namespace: nb.metadata.namespace,
    serverType: nb.metadata.annotations?.[ServerTypeAnnotation] ?? null,
    age: nb.metadata.creationTimestamp,
    last_activity: nb.metadata.annotations?.[Annotations.lastActivity] ?? '',
    image,
    shortImage: image.split('/').pop() ?? '',
    cpu: requests.cpu ?? null,
    gpus: processGpus(c, config),
    memory: requests.memory ?? null,
    volumes: mounts.map((m) => m.name),
    status: processStatus(nb, events, now),
    metadata: nb.metadata,
  };
}

/** patch.py's timestamp: UTC `%Y-%m-%dT%H:%M:%SZ`. */
export function stopTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
