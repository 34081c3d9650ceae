// The profile controller (kubeflow/dashboard components/profile-controller): a Profile becomes a Namespace with the
// owner annotation and Kubeflow's labels, the default-editor/default-viewer ServiceAccounts and their RoleBindings, the
// owner's namespaceAdmin RoleBinding and the kf-resource-quota ResourceQuota, all controlled by the Profile so that
// deleting it deletes them (Floe's garbage collector). Istio AuthorizationPolicies are not made: Floe runs no mesh and
// authorizes every route itself (docs/compatibility.md).
import { parseQuantity } from '../../api/builtin/quantity.js';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { addFinalizer, controllerReference, isBeingDeleted, removeFinalizer, type Manager, type ReconcileContext, type Reconciler, type Request } from '../../controller/index.js';
import {
  AdminBindingName,
  defaultNamespaceLabels,
  EditorServiceAccount,
  NamespaceRef,
  OwnerAnnotation,
  ProfileFinalizer,
  ProfileRef,
  QuotaName,
  ResourceQuotaRef,
  RoleBindingRef,
  ServiceAccountRef,
  ViewerServiceAccount,
  type Profile,
  type RoleBinding,
  type Subject,
} from './types.js';

export interface ProfileControllerOptions {
  /** The labels-file content (key → value; `""` removes); Kubeflow's defaults unless given. */
  namespaceLabels?: Readonly<Record<string, string>>;
  /** Whether RoleBindings / ResourceQuotas are served (they are skipped, with one log line, when not). */
  rbac?: boolean;
  quota?: boolean;
}

const notFound = (err: unknown): boolean => err instanceof FloeError && err.reason === 'NotFound';
const exists = (err: unknown): boolean => err instanceof FloeError && err.reason === 'AlreadyExists';

/** Upstream's label rule: `""` deletes a label; any other value is set only where the key is absent. Returns whether it changed. */
export function applyNamespaceLabels(labels: Record<string, string>, wanted: Readonly<Record<string, string>>): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(wanted)) {
    if (v === '') {
      if (k in labels) {
        delete labels[k];
        changed = true;
      }
    } else if (!(k in labels)) {
      labels[k] = v;
      changed = true;
    }
  }
  return changed;
}

/** The message upstream writes on a Profile whose namespace belongs to someone else. */
export function notOwnedMessage(owner: string): string {
  return `namespace already exist, but not owned by profile creator ${owner}`;
}

export class ProfileReconciler implements Reconciler {
  private readonly labels: Readonly<Record<string, string>>;
  private readonly rbac: boolean;
  private readonly quota: boolean;

  constructor(options: ProfileControllerOptions = {}) {
    this.labels = options.namespaceLabels ?? defaultNamespaceLabels;
    this.rbac = options.rbac ?? true;
    this.quota = options.quota ?? true;
  }

  async reconcile(ctx: ReconcileContext, request: Request): Promise<void> {
    const { client } = ctx;
    let profile: Profile;
    try {
      profile = await client.get<Profile>(ProfileRef, request.name);
    } catch (err) {
      if (notFound(err)) return;
      throw err;
    }
    if (isBeingDeleted(profile)) {
      // No plugins to revoke (WorkloadIdentity / AwsIamForServiceAccount need a cloud): the children go by ownerRef.
      if (removeFinalizer(profile, ProfileFinalizer)) await client.update(profile);
      return;
    }
    if (addFinalizer(profile, ProfileFinalizer)) profile = await client.update(profile);
    const name = profile.metadata.name!;
    const owner = profile.spec?.owner?.name ?? '';
    const own = controllerReference(profile);

    // The namespace: created with the owner annotation, or refused when it exists and belongs to someone else.
    let namespace: KubeObject | undefined;
    try {
      namespace = await client.get(NamespaceRef, name);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (!namespace) {
      const labels: Record<string, string> = {};
      applyNamespaceLabels(labels, this.labels);
      try {
        await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations: { [OwnerAnnotation]: owner }, labels, ownerReferences: [own] } });
      } catch (err) {
        if (!exists(err)) throw err;
        throw new Error(`namespace ${name} appeared while creating it; retrying`);
      }
    } else if (namespace.metadata.annotations?.[OwnerAnnotation] !== owner) {
      await this.fail(client, profile, notOwnedMessage(owner));
      ctx.log.info({ namespace: name, owner: namespace.metadata.annotations?.[OwnerAnnotation] }, 'profile namespace is owned by someone else');
      return;
    } else {
      const labels = { ...(namespace.metadata.labels ?? {}) };
      if (applyNamespaceLabels(labels, this.labels)) {
        namespace.metadata.labels = labels;
        await client.update(namespace);
      }
    }

    for (const sa of [EditorServiceAccount, ViewerServiceAccount]) {
      await createIfAbsent(client, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: name, ownerReferences: [own] } }, ServiceAccountRef);
    }
    if (this.rbac) {
      const saBinding = (sa: string, role: string): RoleBinding => ({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: sa, namespace: name, ownerReferences: [own] },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: name }],
      });
      await this.binding(client, saBinding(EditorServiceAccount, 'kubeflow-edit'));
      await this.binding(client, saBinding(ViewerServiceAccount, 'kubeflow-view'));
      const subject: Subject = { ...(profile.spec?.owner ?? { kind: 'User', name: owner }) };
      if (subject.kind === 'User' || subject.kind === 'Group') subject.apiGroup ??= 'rbac.authorization.k8s.io';
      await this.binding(client, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: AdminBindingName, namespace: name, annotations: { user: owner, role: 'admin' }, ownerReferences: [own] },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-admin' },
        subjects: [subject],
      });
    }
    if (this.quota) await this.resourceQuota(client, profile, name);
  }

  /** Appends upstream's Failed condition (once: a reconcile that finds the same failure again adds nothing). */
  private async fail(client: Client, profile: Profile, message: string): Promise<void> {
    const conditions = profile.status?.conditions ?? [];
    const last = conditions[conditions.length - 1];
    if (last?.type === 'Failed' && last.message === message) return;
    profile.status = { ...(profile.status ?? {}), conditions: [...conditions, { type: 'Failed', status: 'True', message }] };
    await client.updateStatus(profile);
  }

  /** Creates a RoleBinding, or brings its roleRef and subjects back when they drifted (roleRef is immutable: replace). */
  private async binding(client: Client, wanted: RoleBinding): Promise<void> {
    let current: RoleBinding;
    try {
      current = await client.get<RoleBinding>(RoleBindingRef, wanted.metadata.name!, wanted.metadata.namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
      await createIfAbsent(client, wanted, RoleBindingRef);
      return;
    }
    const sameRef = JSON.stringify(canonical(current.roleRef)) === JSON.stringify(canonical(wanted.roleRef));
    const sameSubjects = JSON.stringify((current.subjects ?? []).map(canonicalSubject)) === JSON.stringify((wanted.subjects ?? []).map(canonicalSubject));
    if (sameRef && sameSubjects) return;
    if (!sameRef) {
      await client.delete(RoleBindingRef, wanted.metadata.name!, wanted.metadata.namespace);
      await createIfAbsent(client, wanted, RoleBindingRef);
      return;
    }
    await client.update({ ...current, subjects: wanted.subjects ?? [] });
  }

  /** kf-resource-quota = spec.resourceQuotaSpec while `hard` names something; deleted when it empties. */
  private async resourceQuota(client: Client, profile: Profile, namespace: string): Promise<void> {
    const spec = profile.spec?.resourceQuotaSpec;
    const wanted = spec?.hard && Object.keys(spec.hard).length > 0;
    let current: KubeObject & { spec?: unknown } | undefined;
    try {
      current = await client.get(ResourceQuotaRef, QuotaName, namespace);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (!wanted) {
      if (current) await client.delete(ResourceQuotaRef, QuotaName, namespace).catch((err: unknown) => { if (!notFound(err)) throw err; });
      return;
    }
    if (!current) {
      await createIfAbsent(client, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: QuotaName, namespace, ownerReferences: [controllerReference(profile)] }, spec }, ResourceQuotaRef);
    } else if (JSON.stringify(normalizedQuota(current.spec)) !== JSON.stringify(normalizedQuota(spec))) {
      await client.update({ ...current, spec });
    }
  }
}

/** An object with sorted keys, for comparing what the API server may have reordered. */
function canonical(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

/** A subject with RBAC's defaulted apiGroup (`""` for ServiceAccounts, rbac.authorization.k8s.io for users and groups). */
function canonicalSubject(s: Subject): Record<string, unknown> {
  return canonical({ ...s, apiGroup: s.apiGroup ?? (s.kind === 'ServiceAccount' ? '' : 'rbac.authorization.k8s.io') });
}

/** A quota spec with `hard` as numbers, so that a server's canonical form of a quantity ("1000m" → "1") is no drift. */
function normalizedQuota(spec: unknown): unknown {
  const s = (spec ?? {}) as { hard?: Record<string, unknown> };
  const hard = Object.entries(s.hard ?? {}).map(([k, v]) => [k, parseQuantity(v) ?? String(v)] as const).sort(([a], [b]) => a.localeCompare(b));
  return { ...s, hard: Object.fromEntries(hard) };
}

async function createIfAbsent(client: Client, object: KubeObject, _ref: { apiVersion: string; kind: string }): Promise<void> {
  try {
    await client.create(object);
  } catch (err) {
    if (!exists(err)) throw err;
  }
}

export function addProfileController(manager: Manager, options: ProfileControllerOptions = {}): void {
  let builder = manager.controller('profile-controller').for(ProfileRef).owns(NamespaceRef).owns(ServiceAccountRef);
  if (options.rbac ?? true) builder = builder.owns(RoleBindingRef);
  if (options.quota ?? true) builder = builder.owns(ResourceQuotaRef);
  builder.complete(new ProfileReconciler(options));
}
