// The batch/v1 Job and CronJob controllers as a Floe capability: embedded only (on a cluster, kube-controller-manager runs Jobs).
import type { Capability } from '../../controller/index.js';
import { addCronJobController } from './cron-job.js';
import { addJobController } from './job-controller.js';

export const batchCapability: Capability = {
  name: 'batch',
  modes: ['embedded'],
  start(ctx) {
    addJobController(ctx.manager);
    addCronJobController(ctx.manager);
    return Promise.resolve({});
  },
};
