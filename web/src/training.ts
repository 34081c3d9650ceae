// The training operator's kinds (kubeflow.org/v1), listed together.
import { kubeListOptional, type KubeObject } from './api.js';

export const jobKinds = [
  { plural: 'pytorchjobs', kind: 'PyTorchJob' },
  { plural: 'tfjobs', kind: 'TFJob' },
  { plural: 'xgboostjobs', kind: 'XGBoostJob' },
  { plural: 'mxjobs', kind: 'MXJob' },
  { plural: 'mpijobs', kind: 'MPIJob' },
];
export const Training = 'kubeflow.org/v1';

export interface Job extends KubeObject {
  status?: KubeObject['status'] & { replicaStatuses?: Record<string, { active?: number; succeeded?: number; failed?: number }>; startTime?: string; completionTime?: string };
}

export async function listJobs(ns: string): Promise<{ kind: string; plural: string; job: Job }[]> {
  const lists = await Promise.all(jobKinds.map(async (k) => (await kubeListOptional<Job>(Training, k.plural, ns)).items.map((job) => ({ ...k, job }))));
  return lists.flat().sort((a, b) => (b.job.metadata.creationTimestamp ?? '').localeCompare(a.job.metadata.creationTimestamp ?? ''));
}

