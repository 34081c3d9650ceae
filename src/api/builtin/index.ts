// Kubernetes' built-in kinds that Floe serves: names, scope, printers, defaults, validation, selectable fields.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { patchMetaForKind } from '../patch/index.js';
import { allVerbs, type PrinterColumn, type ResourceType } from '../resource-type.js';
import { defaultPod, podCells, validatePod, type PodSpec, type PodStatus } from './pod.js';

export { parseQuantity } from './quantity.js';

type Spec = Record<string, unknown>;

const col = (name: string, type: PrinterColumn['type'], description: string, priority = 0): PrinterColumn => ({ name, type, jsonPath: '', description, priority });
const str = (v: unknown): string | undefined =>
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the rules disagree on unknown
  v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean);
const dataKey = /^[-._a-zA-Z0-9]+$/;

function base(group: string, version: string, kind: string, plural: string, extra: Partial<ResourceType> = {}): ResourceType {
  const type: ResourceType = {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    storageVersion: version,
    statusSubresource: false,
    columns: [],
    generationFrom: 'spec',
    verbs: allVerbs,
    source: { from: 'builtin' },
    ...extra,
  };
  const meta = patchMetaForKind(group, kind);
  if (meta) type.patchMeta = meta;
  return type;
}

function validateData(object: KubeObject, binary: boolean): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const field of binary ? ['data', 'stringData'] : ['data', 'binaryData']) {
    const data = object[field];
    if (data === undefined || data === null) continue;
    if (typeof data !== 'object' || Array.isArray(data)) {
      errs.push(fieldErrors.typeInvalid(field, data, 'must be a map of string to string'));
      continue;
    }
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (!dataKey.test(k) || k.length > 253) errs.push(fieldErrors.invalid(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
      if (typeof v !== 'string') errs.push(fieldErrors.typeInvalid(`${field}[${k}]`, v, 'must be a string'));
      else if (binary && field === 'data' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) errs.push(fieldErrors.invalid(`${field}[${k}]`, '<secret contents redacted>', 'must be base64 encoded'));
      else total += v.length;
    }
  }
  if (total > 1024 * 1024) errs.push(fieldErrors.tooLong(binary ? 'data' : 'data', 1024 * 1024));
  return errs;
}

function servicePorts(object: KubeObject): string {
  const ports = ((object.spec as Spec | undefined)?.ports ?? []) as { port?: number; nodePort?: number; protocol?: string }[];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port ?? ''}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function validateService(object: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (object.spec ?? {}) as { type?: string; ports?: { port?: number; name?: string; protocol?: string }[] };
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (spec.type && !types.includes(spec.type)) errs.push(fieldErrors.notSupported('spec.type', spec.type, types));
  const ports = spec.ports ?? [];
  if (spec.type !== 'ExternalName' && ports.length === 0) errs.push(fieldErrors.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (typeof p.port !== 'number' || p.port < 1 || p.port > 65535) errs.push(fieldErrors.invalid(`spec.ports[${i}].port`, p.port ?? 0, 'must be between 1 and 65535, inclusive'));
    if (ports.length > 1 && !p.name) errs.push(fieldErrors.required(`spec.ports[${i}].name`));
    if (p.name) {
      if (names.has(p.name)) errs.push(fieldErrors.duplicate(`spec.ports[${i}].name`, p.name));
      names.add(p.name);
    }
    if (p.protocol && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) errs.push(fieldErrors.notSupported(`spec.ports[${i}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
  });
  return errs;
}

function nodeStatus(object: KubeObject): string {
  const conditions = ((object.status as Spec | undefined)?.conditions ?? []) as { type: string; status: string }[];
  const ready = conditions.find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if ((object.spec as Spec | undefined)?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(object: KubeObject): string {
  const roles = Object.keys(object.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length > 0 ? roles.sort().join(',') : '<none>';
}

function eventAge(object: KubeObject): string {
  const e = object as { lastTimestamp?: string; eventTime?: string; firstTimestamp?: string };
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? object.metadata.creationTimestamp ?? '';
}

const podFields: Record<string, (o: KubeObject) => string | undefined> = {
  'spec.nodeName': (o) => (o.spec as PodSpec).nodeName ?? '',
  'spec.restartPolicy': (o) => (o.spec as PodSpec).restartPolicy,
  'spec.schedulerName': (o) => (o.spec as PodSpec).schedulerName,
  'spec.serviceAccountName': (o) => (o.spec as PodSpec).serviceAccountName,
  'spec.hostNetwork': (o) => String(Boolean((o.spec as Spec).hostNetwork)),
  'status.phase': (o) => (o.status as PodStatus | undefined)?.phase,
  'status.podIP': (o) => (o.status as PodStatus | undefined)?.podIP,
  'status.nominatedNodeName': (o) => str((o.status as Spec | undefined)?.nominatedNodeName),
};

const eventField = (path: string) => (o: KubeObject): string | undefined => {
  let cur: unknown = o;
  for (const part of path.split('.')) cur = typeof cur === 'object' && cur !== null ? (cur as Spec)[part] : undefined;
  return str(cur);
};

export function builtinResourceTypes(): ResourceType[] {
  return [
    base('', 'v1', 'Namespace', 'namespaces', {
      namespaced: false,
      shortNames: ['ns'],
      statusSubresource: true,
      columns: [col('Status', 'string', 'The status of the namespace')],
      cells: (o) => [str((o.status as Spec | undefined)?.phase) ?? 'Active'],
      defaults: (o) => {
        o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name ?? '' };
        const spec = (o.spec ??= {}) as Spec;
        spec.finalizers ??= ['kubernetes'];
        const status = (o.status ??= {}) as Spec;
        status.phase ??= 'Active';
      },
      selectableFields: { 'status.phase': (o) => str((o.status as Spec | undefined)?.phase) },
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    }),
    base('', 'v1', 'Pod', 'pods', {
      shortNames: ['po'],
      categories: ['all'],
      statusSubresource: true,
      columns: [
        col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
        col('Status', 'string', 'The aggregate status of the containers in this pod.'),
        col('Restarts', 'string', 'The number of times the containers in this pod have been restarted.'),
        col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
        col('IP', 'string', 'IP address allocated to the pod.', 1),
        col('Node', 'string', 'Name of the Node this pod is scheduled onto.', 1),
      ],
      cells: podCells,
      defaults: defaultPod,
      validate: validatePod,
      selectableFields: podFields,
    }),
    base('', 'v1', 'Service', 'services', {
      shortNames: ['svc'],
      categories: ['all'],
      statusSubresource: true,
      columns: [
        col('Type', 'string', 'The type of the service.'),
        col('Cluster-IP', 'string', 'The cluster IP of the service.'),
        col('External-IP', 'string', 'The external IP of the service.'),
        col('Port(s)', 'string', 'The ports of the service.'),
        col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
        col('Selector', 'string', 'The label selector of the service.', 1),
      ],
      cells: (o) => {
        const spec = (o.spec ?? {}) as { type?: string; clusterIP?: string; externalIPs?: string[]; selector?: Record<string, string> };
        const lb = ((o.status as Spec | undefined)?.loadBalancer as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? [];
        const external = [...(spec.externalIPs ?? []), ...lb.map((i) => i.ip ?? '')].filter(Boolean);
        const selector = Object.entries(spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        return [spec.type ?? 'ClusterIP', spec.clusterIP ?? '<none>', external.length > 0 ? external.join(',') : spec.type === 'LoadBalancer' ? '<pending>' : '<none>', servicePorts(o), undefined, selector || '<none>'];
      },
      defaults: (o) => {
        const spec = (o.spec ??= {}) as Spec;
        spec.type ??= 'ClusterIP';
        spec.sessionAffinity ??= 'None';
        for (const p of (spec.ports ?? []) as Spec[]) {
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port;
        }
      },
      validate: validateService,
    }),
    base('', 'v1', 'ConfigMap', 'configmaps', {
      shortNames: ['cm'],
      columns: [col('Data', 'integer', 'Number of keys')],
      cells: (o) => [Object.keys((o.data as Spec | undefined) ?? {}).length + Object.keys((o.binaryData as Spec | undefined) ?? {}).length],
      generationFrom: 'all-but-metadata-and-status',
      validate: (o) => validateData(o, false),
    }),
    base('', 'v1', 'Secret', 'secrets', {
      columns: [col('Type', 'string', 'The type of the secret'), col('Data', 'integer', 'Number of keys')],
      cells: (o) => [str(o.type) ?? 'Opaque', Object.keys((o.data as Spec | undefined) ?? {}).length],
      generationFrom: 'all-but-metadata-and-status',
      defaults: (o) => {
        o.type ??= 'Opaque';
        const stringData = o.stringData as Record<string, unknown> | undefined;
        if (stringData && typeof stringData === 'object') {
          const data = ((o.data as Record<string, string> | undefined) ?? {});
          for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = Buffer.from(v).toString('base64');
          o.data = data;
          delete o.stringData;
        }
      },
      validate: (o) => validateData(o, true),
      selectableFields: { type: (o) => str(o.type) },
    }),
    base('', 'v1', 'ServiceAccount', 'serviceaccounts', {
      shortNames: ['sa'],
      columns: [col('Secrets', 'integer', 'Number of secrets')],
      cells: (o) => [((o.secrets as unknown[] | undefined) ?? []).length],
      generationFrom: 'all-but-metadata-and-status',
    }),
    base('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', {
      shortNames: ['pvc'],
      statusSubresource: true,
      columns: [
        col('Status', 'string', 'The phase of the claim'),
        col('Volume', 'string', 'The bound volume'),
        col('Capacity', 'string', 'The capacity of the bound volume'),
        col('Access Modes', 'string', 'The access modes'),
        col('StorageClass', 'string', 'The storage class'),
        col('VolumeAttributesClass', 'string', 'The volume attributes class'),
      ],
      cells: (o) => {
        const spec = (o.spec ?? {}) as { volumeName?: string; accessModes?: string[]; storageClassName?: string; volumeAttributesClassName?: string };
        const status = (o.status ?? {}) as { phase?: string; capacity?: { storage?: string }; accessModes?: string[] };
        const modes = (status.accessModes ?? spec.accessModes ?? []).map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[m] ?? m);
        return [status.phase ?? 'Pending', spec.volumeName ?? '', status.capacity?.storage ?? '', modes.join(','), spec.storageClassName ?? '<unset>', spec.volumeAttributesClassName ?? '<unset>'];
      },
      defaults: (o) => {
        const spec = (o.spec ??= {}) as Spec;
        spec.volumeMode ??= 'Filesystem';
        const status = (o.status ??= {}) as Spec;
        status.phase ??= 'Pending';
      },
      validate: (o) => {
        const spec = (o.spec ?? {}) as { accessModes?: unknown[]; resources?: { requests?: { storage?: unknown } } };
        const errs: FieldError[] = [];
        if (!spec.accessModes || spec.accessModes.length === 0) errs.push(fieldErrors.required('spec.accessModes'));
        if (spec.resources?.requests?.storage === undefined) errs.push(fieldErrors.required('spec.resources[storage]'));
        return errs;
      },
    }),
    base('', 'v1', 'Event', 'events', {
      shortNames: ['ev'],
      columns: [
        { name: 'Last Seen', type: 'date', jsonPath: '.lastTimestamp', description: 'Time since the event was last seen' },
        col('Type', 'string', 'Type of this event'),
        col('Reason', 'string', 'Why the event happened'),
        col('Object', 'string', 'The object this event is about'),
        col('Message', 'string', 'A human-readable description'),
      ],
      cells: (o) => {
        const e = o as { type?: string; reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } };
        const since = Math.max(0, Math.floor((Date.now() - Date.parse(eventAge(o))) / 1000));
        const ago = since < 120 ? `${since}s` : since < 7200 ? `${Math.floor(since / 60)}m` : since < 172800 ? `${Math.floor(since / 3600)}h` : `${Math.floor(since / 86400)}d`;
        return [ago, e.type ?? '', e.reason ?? '', `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`, e.message ?? ''];
      },
      generationFrom: 'all-but-metadata-and-status',
      validate: (o) => (o.involvedObject === undefined ? [fieldErrors.required('involvedObject')] : []),
      selectableFields: Object.fromEntries<(o: KubeObject) => string | undefined>(
        ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'type']
          .map((f): [string, (o: KubeObject) => string | undefined] => [f, eventField(f)])
          .concat([['source', eventField('source.component')]]),
      ),
    }),
    base('', 'v1', 'Node', 'nodes', {
      namespaced: false,
      shortNames: ['no'],
      statusSubresource: true,
      columns: [
        col('Status', 'string', 'The status of the node'),
        col('Roles', 'string', 'The roles of the node'),
        col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
        col('Version', 'string', 'Kubelet Version reported by the node.'),
      ],
      cells: (o) => [nodeStatus(o), nodeRoles(o), undefined, str(((o.status as Spec | undefined)?.nodeInfo as Spec | undefined)?.kubeletVersion) ?? ''],
      selectableFields: { 'spec.unschedulable': (o) => String(Boolean((o.spec as Spec | undefined)?.unschedulable)) },
    }),
    base('', 'v1', 'Endpoints', 'endpoints', {
      shortNames: ['ep'],
      columns: [col('Endpoints', 'string', 'Endpoints')],
      cells: (o) => {
        const subsets = (o.subsets ?? []) as { addresses?: { ip?: string }[]; ports?: { port?: number }[] }[];
        const list = subsets.flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? [{}]).map((p) => `${a.ip ?? ''}${p.port ? `:${p.port}` : ''}`)));
        return [list.length > 0 ? list.join(',') : '<none>'];
      },
      generationFrom: 'all-but-metadata-and-status',
    }),
    base('coordination.k8s.io', 'v1', 'Lease', 'leases', {
      columns: [col('Holder', 'string', 'The current holder of the lease')],
      cells: (o) => [str((o.spec as Spec | undefined)?.holderIdentity) ?? ''],
      validate: (o) => {
        const d = (o.spec as Spec | undefined)?.leaseDurationSeconds;
        return d !== undefined && (typeof d !== 'number' || d <= 0) ? [fieldErrors.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0')] : [];
      },
    }),
    base('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      statusSubresource: true,
      columns: [{ name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'When the definition was created' }],
      cells: (o) => [o.metadata.creationTimestamp ?? ''],
    }),
  ];
}
