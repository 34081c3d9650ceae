// Kubeflow's Profile (kubeflow.org/v1, cluster-scoped) and the objects the profile controller and KFAM write.
import type { KubeObject } from '../../api/meta.js';

export const ProfileGroup = 'kubeflow.org';
export const ProfileRef = { apiVersion: 'kubeflow.org/v1', kind: 'Profile' } as const;
export const NamespaceRef = { apiVersion: 'v1', kind: 'Namespace' } as const;
export const ServiceAccountRef = { apiVersion: 'v1', kind: 'ServiceAccount' } as const;
export const RoleBindingRef = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' } as const;
export const ResourceQuotaRef = { apiVersion: 'v1', kind: 'ResourceQuota' } as const;

/** The finalizer the profile controller puts on every Profile (upstream's `profile-finalizer`). */
export const ProfileFinalizer = 'profile-finalizer';
/** The Namespace annotation naming the Profile's owner; KFAM and the controller compare it with `spec.owner.name`. */
export const OwnerAnnotation = 'owner';
export const QuotaName = 'kf-resource-quota';
export const EditorServiceAccount = 'default-editor';
export const ViewerServiceAccount = 'default-viewer';
export const AdminBindingName = 'namespaceAdmin';

/** rbac/v1 Subject. */
export interface Subject {
  kind: string;
  name: string;
  apiGroup?: string;
  namespace?: string;
}

export interface ProfileCondition {
  type?: string;
  status?: string;
  message?: string;
}

export interface Profile extends KubeObject {
  spec?: {
    owner?: Subject;
    resourceQuotaSpec?: { hard?: Record<string, string | number>; scopes?: string[]; scopeSelector?: unknown };
    plugins?: { kind?: string; apiVersion?: string; spec?: unknown }[];
  };
  status?: { conditions?: ProfileCondition[] };
}

export interface RoleBinding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects?: Subject[];
}

/**
 * The labels every profile namespace gets (the `kubeflow` overlay of upstream's namespace-labels.yaml; Floe adds
 * no `istio-injection`, as it runs no mesh). Labels-file rule: `""` removes the label, anything else is added only
 * when the key is absent, never overwriting a user's value.
 */
export const defaultNamespaceLabels: Readonly<Record<string, string>> = {
  'app.kubernetes.io/part-of': 'kubeflow-profile',
  'katib.kubeflow.org/metrics-collector-injection': 'enabled',
  'pipelines.kubeflow.org/enabled': 'true',
  'serving.kubeflow.org/inferenceservice': 'enabled',
};

/** KFAM role names ↔ the ClusterRoles bindings refer to. */
export const kfamRoles: Readonly<Record<string, string>> = { admin: 'kubeflow-admin', edit: 'kubeflow-edit', view: 'kubeflow-view' };
