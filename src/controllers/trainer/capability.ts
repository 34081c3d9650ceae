// Kubeflow Trainer v2 as a Floe capability: JobSet, TrainJob and the training runtimes (CRDs, webhooks, controllers,
// the default ClusterTrainingRuntimes), embedded and on a cluster.
import { errors, fieldErrors, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Capability } from '../../controller/index.js';
import { trainerCrds } from './crds.js';
import { addJobSetController } from './jobset-controller.js';
import { jobSetDefaults, validateJobSet } from './jobset-plan.js';
import { defaultRuntimes, publicConfig } from './runtimes.js';
import { addTrainJobController } from './trainjob-controller.js';
import { validateTrainJob } from './trainjob-plan.js';
import { JobSetGroup, TrainerGroup, TrainerLabels, TrainerNames, type JobSet, type TrainingRuntime, type TrainJob } from './types.js';

/** The ClusterTrainingRuntime/TrainingRuntime webhook's checks: one ML policy, a template with jobs, ancestors run once. */
export function validateRuntime(runtime: TrainingRuntime): FieldError[] {
  const errs: FieldError[] = [];
  const policy = runtime.spec?.mlPolicy ?? {};
  const set = (['torch', 'mpi', 'jax', 'xgboost', 'flux'] as const).filter((k) => policy[k] !== undefined);
  if (set.length > 1) errs.push(fieldErrors.invalid('spec.mlPolicy', set.join(', '), 'only one of torch, mpi, jax, xgboost or flux can be set'));
  if (policy.numNodes !== undefined && (!Number.isInteger(policy.numNodes) || policy.numNodes < 1)) errs.push(fieldErrors.invalid('spec.mlPolicy.numNodes', policy.numNodes, 'must be a whole number >= 1'));
  const rjobs = runtime.spec?.template?.spec?.replicatedJobs ?? [];
  if (rjobs.length === 0) errs.push(fieldErrors.required('spec.template.spec.replicatedJobs', 'a runtime needs at least one replicated job'));
  rjobs.forEach((r, i) => {
    const step = r.template?.metadata?.labels?.[TrainerLabels.ancestorStep];
    if (step !== undefined && (r.replicas ?? 1) !== 1) errs.push(fieldErrors.invalid(`spec.template.spec.replicatedJobs[${i}].replicas`, r.replicas, `a replicated job labelled ${TrainerLabels.ancestorStep} must have replicas 1`));
    if (step === TrainerNames.trainerStep && !r.template?.spec?.template?.spec?.containers?.some((c) => c.name === TrainerNames.node)) {
      errs.push(fieldErrors.required(`spec.template.spec.replicatedJobs[${i}].template.spec.template.spec.containers`, 'the trainer job needs a container named node'));
    }
  });
  return errs;
}

const refuse = (group: string, object: KubeObject, problems: FieldError[]): void => {
  if (problems.length > 0) throw errors.invalid(group, object.kind ?? '', object.metadata.name ?? '', problems);
};

export const trainerCapability: Capability = {
  name: 'trainer',
  modes: ['embedded', 'cluster'],
  crds: trainerCrds,
  defaults: () => [...publicConfig(), ...defaultRuntimes()],
  admission: [
    {
      // jobset's defaulting and validating webhooks.
      handles: (type) => type.group === JobSetGroup && type.kind === 'JobSet',
      admit: (object) => {
        const defaulted = jobSetDefaults(object as JobSet);
        (object as JobSet).spec = defaulted.spec;
        refuse(JobSetGroup, object, validateJobSet(defaulted));
      },
    },
    {
      handles: (type) => type.group === TrainerGroup && type.kind === 'TrainJob',
      admit: (object, old) => refuse(TrainerGroup, object, validateTrainJob(object as TrainJob, old as TrainJob | undefined)),
    },
    {
      handles: (type) => type.group === TrainerGroup && (type.kind === 'TrainingRuntime' || type.kind === 'ClusterTrainingRuntime'),
      admit: (object) => refuse(TrainerGroup, object, validateRuntime(object as TrainingRuntime)),
    },
  ],
  start(ctx) {
    addJobSetController(ctx.manager);
    addTrainJobController(ctx.manager, {
      // MPI runtimes: embedded, the Pods are processes here (no sshd; mpirun reaches the nodes through Floe's rsh agent).
      plan: { hostProcesses: ctx.mode === 'embedded', runsAsRoot: process.getuid?.() === 0 },
      // Kubeflow's initializer images download from the Hugging Face Hub; locally no environment stands for them.
      unsupportedStorage:
        ctx.mode === 'embedded'
          ? { hf: "Floe runs Pods on this machine, where Kubeflow's Hugging Face initializer images have no local environment and the Hub may not be reachable: download the dataset or model yourself into a PersistentVolumeClaim and mount it with a runtime patch" }
          : {},
    });
    return Promise.resolve({});
  },
};
