// The training operator as a Floe capability: its four CRDs, its validating webhook, one controller per kind.
import { errors } from '../../api/errors.js';
import type { Capability } from '../../controller/index.js';
import { addTrainingControllers, TrainingGroup, trainingKinds, validateTrainingJob } from './index.js';
import { trainingCrds } from './crds.js';

export const trainingCapability: Capability = {
  name: 'training',
  modes: ['embedded', 'cluster'],
  crds: trainingCrds,
  admission: [
    {
      // Kubeflow checks training jobs in a validating webhook; here admission does it, with every bad field at once.
      handles: (type) => type.group === TrainingGroup && trainingKinds.includes(type.kind),
      admit: (object) => {
        const problems = validateTrainingJob(object);
        if (problems.length > 0) throw errors.invalid(TrainingGroup, object.kind ?? '', object.metadata.name ?? '', problems);
      },
    },
  ],
  start(ctx) {
    addTrainingControllers(ctx.manager);
    return Promise.resolve({});
  },
};
