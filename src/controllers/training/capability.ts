// The training operator as a Floe capability: its four CRDs, its validating webhook, one controller per kind.
import { errors } from '../../api/errors.js';
import type { Capability } from '../../controller/index.js';
import { addTrainingControllers, defaultTrainingJob, TrainingGroup, trainingKinds, validateTrainingJob } from './index.js';
import { trainingCrds } from './crds.js';
import { mpiJobAdmission, mpiJobCrd } from './mpi-job.js';
import { addMpiJobController } from './mpi-reconciler.js';

export const trainingCapability: Capability = {
  name: 'training',
  modes: ['embedded', 'cluster'],
  crds: () => [...trainingCrds(), mpiJobCrd()],
  admission: [
    {
      // Kubeflow checks training jobs in a validating webhook; here admission does it, with every bad field at once,
      // after writing the operator's defaults into the stored job.
      handles: (type) => type.group === TrainingGroup && trainingKinds.includes(type.kind),
      admit: (object, old) => {
        defaultTrainingJob(object);
        const problems = validateTrainingJob(object, old);
        if (problems.length > 0) throw errors.invalid(TrainingGroup, object.kind ?? '', object.metadata.name ?? '', problems);
      },
    },
    mpiJobAdmission,
  ],
  start(ctx) {
    addTrainingControllers(ctx.manager);
    // MPIJob: embedded, the Pods are processes here (no sshd; mpirun reaches workers through Floe's rsh agent).
    addMpiJobController(ctx.manager, { hostProcesses: ctx.mode === 'embedded', runsAsRoot: process.getuid?.() === 0 });
    return Promise.resolve({});
  },
};
