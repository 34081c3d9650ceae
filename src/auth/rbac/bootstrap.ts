// The RBAC objects kube-apiserver creates at start (bootstrappolicy), Kubeflow's kubeflow-admin/edit/view with their leaf roles,
// and Floe's own; installed when absent and reconciled while they carry the autoupdate annotation, as kube-apiserver does.
import type { KubeObject } from '../../api/meta.js';
import { RbacGroup, rulesCover, type PolicyRule, type RoleObject, type BindingObject, type Subject } from './rules.js';

const read = ['get', 'list', 'watch'];
const write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const readWrite = [...read, ...write];
/** Kubeflow's manifests list verbs sorted. */
const kfWrite = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const kfAll = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const autoupdateAnnotation = 'rbac.authorization.kubernetes.io/autoupdate';
const bootstrapLabels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

/** kube's rule builder keeps each list sorted and free of duplicates (sets.NewString(...).List()). */
function sorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function rule(verbs: string[], groups: string[], resources: string[]): PolicyRule {
  return { verbs: sorted(verbs), apiGroups: sorted(groups), resources: sorted(resources) };
}

function urls(verbs: string[], paths: string[]): PolicyRule {
  return { verbs: sorted(verbs), nonResourceURLs: sorted(paths) };
}

function clusterRole(name: string, rules: PolicyRule[], options: { labels?: Record<string, string>; aggregate?: string[]; kube?: boolean } = {}): RoleObject {
  const labels = { ...(options.kube === false ? {} : bootstrapLabels), ...(options.labels ?? {}) };
  const role: RoleObject = {
    apiVersion: `${RbacGroup}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels, annotations: { [autoupdateAnnotation]: 'true' } },
    rules,
  };
  if (options.aggregate) role.aggregationRule = { clusterRoleSelectors: options.aggregate.map((label) => ({ matchLabels: { [label]: 'true' } })) };
  return role;
}

function clusterBinding(name: string, role: string, subjects: Subject[], kube = true): BindingObject {
  return {
    apiVersion: `${RbacGroup}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: kube ? { ...bootstrapLabels } : {}, annotations: { [autoupdateAnnotation]: 'true' } },
    roleRef: { apiGroup: RbacGroup, kind: 'ClusterRole', name: role },
    subjects,
  };
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RbacGroup, name });

const k8s = 'rbac.authorization.k8s.io';
const kf = 'rbac.authorization.kubeflow.org';

/** kube-apiserver 1.32's bootstrap ClusterRoles that matter to users and kubectl (plugin/pkg/auth/authorizer/rbac/bootstrappolicy). */
function kubeClusterRoles(): RoleObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
    clusterRole('system:monitoring', [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    clusterRole('system:basic-user', [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ]),
    clusterRole('system:service-account-issuer-discovery', [urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])]),
    clusterRole('system:auth-delegator', [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])]),
    clusterRole('admin', [], { aggregate: [`${k8s}/aggregate-to-admin`] }),
    clusterRole('edit', [], { labels: { [`${k8s}/aggregate-to-admin`]: 'true' }, aggregate: [`${k8s}/aggregate-to-edit`] }),
    clusterRole('view', [], { labels: { [`${k8s}/aggregate-to-edit`]: 'true' }, aggregate: [`${k8s}/aggregate-to-view`] }),
    clusterRole('system:aggregate-to-admin', [rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']), rule(readWrite, [RbacGroup], ['roles', 'rolebindings'])], {
      labels: { [`${k8s}/aggregate-to-admin`]: 'true' },
    }),
    clusterRole(
      'system:aggregate-to-edit',
      [
        rule(read, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
        rule(['impersonate'], [''], ['serviceaccounts']),
        rule(write, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
        rule(['create'], [''], ['pods/eviction']),
        rule(write, [''], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
        rule(['create'], [''], ['serviceaccounts/token']),
        rule(write, ['apps'], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
        rule(write, ['autoscaling'], ['horizontalpodautoscalers']),
        rule(write, ['batch'], ['jobs', 'cronjobs']),
        rule(write, ['extensions'], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(write, ['policy'], ['poddisruptionbudgets']),
        rule(write, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
        rule(readWrite, ['coordination.k8s.io'], ['leases']),
      ],
      { labels: { [`${k8s}/aggregate-to-edit`]: 'true' } },
    ),
    clusterRole(
      'system:aggregate-to-view',
      [
        rule(read, [''], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
        rule(read, [''], ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
        rule(read, [''], ['namespaces']),
        rule(read, ['discovery.k8s.io'], ['endpointslices']),
        rule(read, ['apps'], ['controllerrevisions', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale']),
        rule(read, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
        rule(read, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
        rule(read, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(read, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
        rule(read, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
      ],
      { labels: { [`${k8s}/aggregate-to-view`]: 'true' } },
    ),
  ];
}

function kubeClusterRoleBindings(): BindingObject[] {
  return [
    clusterBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterBinding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
    clusterBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    clusterBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  ];
}

/** A Kubeflow app's admin/edit/view leaf roles: admin aggregates the app's own, edit and view are leaves. */
function kubeflowApp(app: string, editRules: PolicyRule[], viewRules: PolicyRule[]): RoleObject[] {
  return [
    clusterRole(`kubeflow-${app}-admin`, [], { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-admin`]: 'true' }, aggregate: [`${kf}/aggregate-to-kubeflow-${app}-admin`] }),
    clusterRole(`kubeflow-${app}-edit`, editRules, { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-edit`]: 'true', [`${kf}/aggregate-to-kubeflow-${app}-admin`]: 'true' } }),
    clusterRole(`kubeflow-${app}-view`, viewRules, { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-view`]: 'true' } }),
  ];
}

/** Kubeflow's roles (manifests common/kubeflow-roles and each app's multi-user roles), for the kinds Floe serves. */
export function kubeflowClusterRoles(): RoleObject[] {
  const kfp = 'pipelines.kubeflow.org';
  return [
    clusterRole('kubeflow-admin', [], { kube: false, aggregate: [`${kf}/aggregate-to-kubeflow-admin`] }),
    clusterRole('kubeflow-edit', [], { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-admin`]: 'true' }, aggregate: [`${kf}/aggregate-to-kubeflow-edit`] }),
    clusterRole('kubeflow-view', [], { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-edit`]: 'true' }, aggregate: [`${kf}/aggregate-to-kubeflow-view`] }),
    clusterRole('kubeflow-kubernetes-admin', [rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']), rule(kfAll, [RbacGroup], ['rolebindings', 'roles'])], {
      kube: false,
      labels: { [`${kf}/aggregate-to-kubeflow-admin`]: 'true' },
    }),
    clusterRole(
      'kubeflow-kubernetes-edit',
      [
        rule(read, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
        rule(kfWrite, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
        rule(kfWrite, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
        rule(kfWrite, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
        rule(kfWrite, ['autoscaling'], ['horizontalpodautoscalers']),
        rule(kfWrite, ['batch'], ['cronjobs', 'jobs']),
        rule(kfWrite, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
        rule(kfWrite, ['policy'], ['poddisruptionbudgets']),
        rule(kfWrite, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      ],
      { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-edit`]: 'true' } },
    ),
    clusterRole(
      'kubeflow-kubernetes-view',
      [
        rule(read, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
        rule(read, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
        rule(read, [''], ['namespaces']),
        rule(read, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
        rule(read, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
        rule(read, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
        rule(read, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
        rule(read, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
        rule(read, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
        // What metrics-server's system:aggregated-metrics-reader adds to view/edit/admin: `kubectl top pods` (and the
        // dashboard's resource usage) in the profile's namespace.
        rule(read, ['metrics.k8s.io'], ['pods']),
      ],
      { kube: false, labels: { [`${kf}/aggregate-to-kubeflow-view`]: 'true' } },
    ),
    // KFP multi-user (manifests/kustomize/base/installs/multi-user/view-edit-cluster-roles.yaml).
    ...kubeflowApp(
      'pipelines',
      [
        rule(['create', 'delete', 'update'], [kfp], ['pipelines', 'pipelines/versions']),
        rule(['create', 'delete', 'update'], [kfp], ['pipelineversions']),
        rule(['archive', 'create', 'delete', 'unarchive'], [kfp], ['experiments']),
        rule(['archive', 'create', 'delete', 'readArtifact', 'reportMetrics', 'retry', 'terminate', 'unarchive'], [kfp], ['runs']),
        rule(['create', 'delete', 'disable', 'enable'], [kfp], ['jobs']),
        rule(['*'], ['kubeflow.org'], ['scheduledworkflows']),
        // Floe's MLMD route authorizes writes (POST) as create on `metadata` (upstream MLMD has no authorization).
        rule(['create'], [kfp], ['metadata']),
        rule(['*'], ['argoproj.io'], ['cronworkflows', 'cronworkflows/finalizers', 'workflows', 'workflows/finalizers', 'workfloweventbindings', 'workflowtemplates']),
      ],
      [
        rule(['get', 'list'], [kfp], ['pipelines', 'pipelines/versions', 'pipelineversions', 'experiments', 'jobs']),
        rule(['get', 'list', 'readArtifact'], [kfp], ['runs']),
        // KFP's ArtifactService (GET /apis/v2beta1/artifacts[/{id}]) authorizes get/list on `artifacts` in the namespace.
        rule(['get', 'list'], [kfp], ['artifacts']),
        rule(['create', 'get', 'delete'], ['kubeflow.org'], ['viewers']),
        rule(['create'], [kfp], ['visualizations']),
        rule(['get', 'list'], [kfp], ['metadata']),
      ],
    ),
    // Katib (katib manifests: kubeflow-katib-admin/edit/view).
    ...kubeflowApp(
      'katib',
      [rule(kfAll, ['kubeflow.org'], ['experiments', 'trials', 'suggestions']), rule(['create', 'get', 'delete'], ['kubeflow.org'], ['trials/observationlog'])],
      [rule(read, ['kubeflow.org'], ['experiments', 'trials', 'suggestions']), rule(['get'], ['kubeflow.org'], ['trials/observationlog'])],
    ),
    // Training operator (kubeflow-training-admin/edit/view).
    ...kubeflowApp(
      'training',
      [
        // MXJob too: Floe serves it (training-operator v1.7's roles granted it), and the Jobs page lists every kind.
        rule(kfAll, ['kubeflow.org'], ['mpijobs', 'tfjobs', 'pytorchjobs', 'xgboostjobs', 'mxjobs', 'paddlejobs', 'jaxjobs']),
        rule(kfAll, ['trainer.kubeflow.org'], ['trainjobs', 'trainingruntimes']),
        rule(read, ['kubeflow.org'], ['mpijobs/status', 'tfjobs/status', 'pytorchjobs/status', 'xgboostjobs/status', 'mxjobs/status', 'paddlejobs/status', 'jaxjobs/status']),
      ],
      [
        rule(read, ['kubeflow.org'], ['mpijobs', 'mpijobs/status', 'tfjobs', 'tfjobs/status', 'pytorchjobs', 'pytorchjobs/status', 'xgboostjobs', 'xgboostjobs/status', 'mxjobs', 'mxjobs/status', 'paddlejobs', 'paddlejobs/status', 'jaxjobs', 'jaxjobs/status']),
        rule(read, ['trainer.kubeflow.org'], ['trainjobs', 'trainjobs/status', 'trainingruntimes', 'clustertrainingruntimes']),
        rule(read, ['jobset.x-k8s.io'], ['jobsets', 'jobsets/status']),
      ],
    ),
    // KServe (kserve manifests: kubeflow-kserve-admin/edit/view).
    ...kubeflowApp(
      'kserve',
      [
        rule(kfAll, ['serving.kserve.io'], ['inferenceservices', 'servingruntimes', 'inferencegraphs', 'trainedmodels']),
        rule(['get', 'create'], ['serving.kserve.io'], ['inferenceservices/proxy']),
      ],
      [
        rule(read, ['serving.kserve.io'], ['inferenceservices', 'inferenceservices/status', 'servingruntimes', 'servingruntimes/status', 'inferencegraphs', 'inferencegraphs/status', 'trainedmodels', 'trainedmodels/status']),
        rule(['get'], ['serving.kserve.io'], ['inferenceservices/proxy']),
      ],
    ),
    // Notebooks and PodDefaults (kubeflow-notebooks-*, kubeflow-poddefaults-*).
    ...kubeflowApp(
      'notebooks',
      [rule(kfAll, ['kubeflow.org'], ['notebooks', 'notebooks/status']), rule(kfAll, ['kubeflow.org'], ['poddefaults'])],
      [rule(read, ['kubeflow.org'], ['notebooks', 'notebooks/status', 'poddefaults'])],
    ),
    // Tensorboards (the tensorboards web app's kubeflow-tensorboard-ui-admin/edit/view).
    ...kubeflowApp(
      'tensorboard-ui',
      [rule(['get', 'list', 'create', 'delete'], ['tensorboard.kubeflow.org'], ['tensorboards', 'tensorboards/finalizers']), rule(read, ['storage.k8s.io'], ['storageclasses']), rule(read, ['kubeflow.org'], ['poddefaults'])],
      [rule(['get', 'list'], ['tensorboard.kubeflow.org'], ['tensorboards', 'tensorboards/finalizers']), rule(read, ['storage.k8s.io'], ['storageclasses']), rule(read, ['kubeflow.org'], ['poddefaults'])],
    ),
  ];
}

/** Floe's own identities: Pods holding the Pod token report Katib observation logs and nothing else. */
function floeClusterRoles(): RoleObject[] {
  return [clusterRole('system:floe:katib-reporter', [rule(['create'], ['kubeflow.org'], ['trials/observationlog'])], { kube: false })];
}

function floeClusterRoleBindings(): BindingObject[] {
  return [clusterBinding('system:floe:katib-reporter', 'system:floe:katib-reporter', [group('system:floe:pods')], false)];
}

/** Every bootstrap ClusterRole, in install order. */
export function bootstrapClusterRoles(): RoleObject[] {
  return [...kubeClusterRoles(), ...kubeflowClusterRoles(), ...floeClusterRoles()];
}

export function bootstrapClusterRoleBindings(): BindingObject[] {
  return [...kubeClusterRoleBindings(), ...floeClusterRoleBindings()];
}

/**
 * kube-apiserver's reconciliation of an existing bootstrap object carrying `autoupdate: "true"`: missing labels,
 * annotations, rules (or aggregation selectors) and subjects are added; nothing the user added is taken away. Returns
 * the object to write, or undefined when nothing is missing or the user opted out (autoupdate "false").
 */
export function reconcile(existing: KubeObject, wanted: KubeObject): KubeObject | undefined {
  if (existing.metadata.annotations?.[autoupdateAnnotation] === 'false') return undefined;
  const next = structuredClone(existing);
  let changed = false;
  for (const field of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries(wanted.metadata[field] ?? {})) {
      const own = (next.metadata[field] ??= {});
      if (own[k] === undefined) {
        own[k] = v;
        changed = true;
      }
    }
  }
  if (wanted.kind === 'ClusterRole') {
    const role = next as RoleObject;
    const want = wanted as RoleObject;
    if (want.aggregationRule) {
      const have = role.aggregationRule?.clusterRoleSelectors ?? [];
      const missing = (want.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !have.some((h) => JSON.stringify(h) === JSON.stringify(s)));
      if (missing.length > 0 || !role.aggregationRule) {
        role.aggregationRule = { clusterRoleSelectors: [...have, ...missing] };
        changed = true;
      }
    } else {
      const have = role.rules ?? [];
      const missing = (want.rules ?? []).filter((r) => !rulesCover(have, r));
      if (missing.length > 0) {
        role.rules = [...have, ...missing];
        changed = true;
      }
    }
  } else {
    const binding = next as BindingObject;
    const have = binding.subjects ?? [];
    const missing = ((wanted as BindingObject).subjects ?? []).filter((s) => !have.some((h) => h.kind === s.kind && h.name === s.name && (h.namespace ?? '') === (s.namespace ?? '')));
    if (missing.length > 0) {
      binding.subjects = [...have, ...missing];
      changed = true;
    }
  }
  return changed ? next : undefined;
}
