// The ClusterTrainingRuntimes Kubeflow Trainer installs by default (manifests/base/runtimes), and the public ConfigMap
// the SDK reads the control plane's version from. Locally their images stand for Floe's environments (config.ts).
import type { KubeObject } from '../../api/meta.js';
import { TrainerApiVersion, TrainerLabels, TrainerNames } from './types.js';

/** The Trainer release whose API Floe serves (runtimePatches, envInjection). */
export const TrainerVersion = 'v2.3.0';

const ancestor = (step: string): Record<string, string> => ({ [TrainerLabels.ancestorStep]: step });

function runtime(name: string, framework: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: TrainerApiVersion, kind: 'ClusterTrainingRuntime', metadata: { name, labels: { [TrainerLabels.framework]: framework } }, spec };
}

const torchDistributed = runtime('torch-distributed', 'torch', {
  mlPolicy: { numNodes: 1, torch: {} },
  template: {
    spec: {
      replicatedJobs: [
        {
          name: TrainerNames.node,
          template: {
            metadata: { labels: ancestor(TrainerNames.trainerStep) },
            spec: {
              template: {
                spec: {
                  containers: [
                    {
                      name: TrainerNames.node,
                      image: 'pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime',
                      command: ['/bin/bash', '-c', 'echo "Torch Distributed Runtime"\n\necho "--------------------------------------"\necho "Torch Default Runtime Env"\nenv | grep PET_\n\npip list\n'],
                    },
                  ],
                },
              },
            },
          },
        },
      ],
    },
  },
});

const mpiUser = { runAsUser: 1000, runAsGroup: 1000 };
const deepspeedImage = 'ghcr.io/kubeflow/trainer/deepspeed-runtime';
const deepspeedDistributed = runtime('deepspeed-distributed', 'deepspeed', {
  mlPolicy: { numNodes: 1, mpi: { numProcPerNode: 1, mpiImplementation: 'OpenMPI', sshAuthMountPath: '/home/mpiuser/.ssh', runLauncherAsNode: true } },
  template: {
    spec: {
      network: { publishNotReadyAddresses: true },
      successPolicy: { operator: 'All', targetReplicatedJobs: [TrainerNames.launcher] },
      replicatedJobs: [
        {
          name: TrainerNames.node,
          template: {
            spec: {
              template: {
                spec: {
                  securityContext: { fsGroup: 1000 },
                  containers: [
                    {
                      name: TrainerNames.node,
                      image: deepspeedImage,
                      securityContext: mpiUser,
                      command: ['/usr/sbin/sshd'],
                      args: ['-De', '-f', '/home/mpiuser/.sshd_config'],
                      readinessProbe: { tcpSocket: { port: 2222 }, initialDelaySeconds: 5 },
                    },
                  ],
                },
              },
            },
          },
        },
        {
          name: TrainerNames.launcher,
          dependsOn: [{ name: TrainerNames.node, status: 'Ready' }],
          template: {
            metadata: { labels: ancestor(TrainerNames.trainerStep) },
            spec: { template: { spec: { securityContext: { fsGroup: 1000 }, containers: [{ name: TrainerNames.node, image: deepspeedImage, securityContext: mpiUser }] } } },
          },
        },
      ],
    },
  },
});

const xgboostDistributed = runtime('xgboost-distributed', 'xgboost', {
  mlPolicy: { numNodes: 1, xgboost: {} },
  template: {
    spec: {
      replicatedJobs: [
        {
          name: TrainerNames.node,
          template: {
            metadata: { labels: ancestor(TrainerNames.trainerStep) },
            spec: { template: { spec: { containers: [{ name: TrainerNames.node, image: 'ghcr.io/kubeflow/trainer/xgboost-runtime', command: ['/bin/bash', '-c', 'echo "XGBoost Distributed Runtime"\nenv | grep DMLC_\n'] }] } } },
          },
        },
      ],
    },
  },
});

export function defaultRuntimes(): KubeObject[] {
  return [torchDistributed, deepspeedDistributed, xgboostDistributed].map((r) => structuredClone(r));
}

/** kubeflow-system/kubeflow-trainer-public: the SDK's TrainerClient reads `kubeflow_trainer_version` from it. */
export function publicConfig(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubeflow-system' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubeflow-trainer-public', namespace: 'kubeflow-system' }, data: { kubeflow_trainer_version: TrainerVersion } },
  ];
}
