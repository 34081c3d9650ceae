// Kubeflow Notebooks (v1): the Notebook kind, its annotations and labels, as kubeflow/notebooks' notebook-controller names them.
import type { ContainerState, PodCondition, PodSpec } from '../../api/core-v1.js';
import type { KubeObject, ObjectMeta } from '../../api/meta.js';

export const Group = 'kubeflow.org';
/** The version the controller and the Jupyter web app talk; v1 is the storage version, v1alpha1 is served too. */
export const NotebookRef = { apiVersion: 'kubeflow.org/v1beta1', kind: 'Notebook' } as const;
export const StatefulSetRef = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;

export const Annotations = {
  /** Present (any value) = stopped: the StatefulSet is scaled to 0. The web app and the culler write a UTC timestamp. */
  stopped: 'kubeflow-resource-stopped',
  lastActivity: 'notebooks.kubeflow.org/last-activity',
  /** Upstream spells this one with underscores. */
  lastActivityCheck: 'notebooks.kubeflow.org/last_activity_check_timestamp',
  httpRewriteUri: 'notebooks.kubeflow.org/http-rewrite-uri',
  httpHeadersRequestSet: 'notebooks.kubeflow.org/http-headers-request-set',
} as const;

export const Labels = {
  /** On the StatefulSet's Pods: the Notebook they run. */
  notebookName: 'notebook-name',
  statefulSet: 'statefulset',
} as const;

/** `/notebook/<namespace>/<name>/`: where Istio's VirtualService (and Floe's route) serve a notebook. */
export const NotebookPathPrefix = '/notebook';
export const DefaultPort = 8888;
export const DefaultWorkingDir = '/home/jovyan';

export interface NotebookStatus {
  conditions: (Omit<PodCondition, 'status'> & { status: string })[];
  readyReplicas: number;
  containerState: ContainerState;
}

export interface Notebook extends KubeObject {
  metadata: ObjectMeta;
  spec: { template: { spec: PodSpec } };
  status?: NotebookStatus;
}

/**
 * Embedded mode only: the Secret holding the notebook's Jupyter token (key `token`). Pods share the host's network, so
 * Jupyter must not answer a bare connection; the route and the culler send this token, nobody else has it.
 */
export function tokenSecretName(notebook: string): string {
  return `${notebook}-jupyter-token`;
}

export const TokenSecretKey = 'token';

export function notebookPrefix(namespace: string, name: string): string {
  return `${NotebookPathPrefix}/${namespace}/${name}`;
}

export function isStopped(notebook: Pick<Notebook, 'metadata'>): boolean {
  return notebook.metadata.annotations?.[Annotations.stopped] !== undefined;
}
