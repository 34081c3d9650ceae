// The CustomResourceDefinitions of JobSet, TrainJob, TrainingRuntime and ClusterTrainingRuntime: what Floe serves and `floe install` applies.
import type { KubeObject } from '../../api/meta.js';
import { JobSetGroup, TrainerGroup, TrainerNames } from './types.js';

const str = { type: 'string' };
const bool = { type: 'boolean' };
const int32 = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'integer', format: 'int32', ...extra });
const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const stringMap = { type: 'object', additionalProperties: str };
const openList = { type: 'array', items: open };
const condition = {
  type: 'object',
  required: ['type', 'status'],
  properties: { type: str, status: str, reason: str, message: str, lastTransitionTime: str, observedGeneration: { type: 'integer', format: 'int64' } },
};
const meta = { type: 'object', properties: { labels: stringMap, annotations: stringMap } };
const labels = { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'trainer' };

// ---- JobSet ----------------------------------------------------------------------------------------------------------

const replicatedJob = {
  type: 'object',
  required: ['name', 'template'],
  properties: {
    name: str,
    groupName: str,
    replicas: int32({ minimum: 0, default: 1 }),
    dependsOn: { type: 'array', maxItems: 1, items: { type: 'object', required: ['name', 'status'], properties: { name: str, status: { type: 'string', enum: ['Ready', 'Complete'] } } } },
    // A batch/v1 JobTemplateSpec: checked as a Job when the controller creates it.
    template: open,
  },
};

export const jobSetSpecSchema = {
  type: 'object',
  properties: {
    replicatedJobs: { type: 'array', items: replicatedJob },
    network: { type: 'object', properties: { enableDNSHostnames: bool, subdomain: str, publishNotReadyAddresses: bool } },
    successPolicy: { type: 'object', properties: { operator: { type: 'string', enum: ['All', 'Any'] }, targetReplicatedJobs: { type: 'array', items: str } } },
    failurePolicy: {
      type: 'object',
      properties: { maxRestarts: int32({ minimum: 0 }), restartStrategy: { type: 'string', enum: ['Recreate', 'BlockingRecreate', 'InPlaceRestart'] }, rules: openList },
    },
    startupPolicy: { type: 'object', properties: { startupPolicyOrder: { type: 'string', enum: ['AnyOrder', 'InOrder'] } } },
    suspend: bool,
    coordinator: { type: 'object', properties: { replicatedJob: str, jobIndex: int32(), podIndex: int32() } },
    managedBy: str,
    ttlSecondsAfterFinished: int32({ minimum: 0 }),
    volumeClaimPolicies: openList,
  },
};

const jobSetStatus = {
  type: 'object',
  properties: {
    conditions: { type: 'array', items: condition },
    restarts: int32(),
    restartsCountTowardsMax: int32(),
    terminalState: str,
    replicatedJobsStatus: {
      type: 'array',
      items: { type: 'object', properties: { name: str, ready: int32(), succeeded: int32(), failed: int32(), active: int32(), suspended: int32() } },
    },
    individualJobRecreates: open,
  },
};

function crd(options: { group: string; kind: string; plural: string; singular: string; scope: 'Namespaced' | 'Cluster'; version: string; shortNames?: string[]; spec: unknown; status?: unknown; columns: unknown[] }): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${options.group}`, labels },
    spec: {
      group: options.group,
      scope: options.scope,
      names: { kind: options.kind, listKind: `${options.kind}List`, plural: options.plural, singular: options.singular, ...(options.shortNames ? { shortNames: options.shortNames } : {}) },
      versions: [
        {
          name: options.version,
          served: true,
          storage: true,
          ...(options.status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: options.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec: options.spec, ...(options.status ? { status: options.status } : {}) },
            },
          },
        },
      ],
    },
  };
}

const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

// ---- Trainer ---------------------------------------------------------------------------------------------------------

const envList = openList;
const initializerSource = { type: 'object', properties: { storageUri: str, env: envList, secretRef: { type: 'object', properties: { name: str } } } };

const containerPatch = { type: 'object', required: ['name'], properties: { name: str, env: envList, volumeMounts: openList, securityContext: open } };
const podSpecPatch = {
  type: 'object',
  properties: {
    serviceAccountName: str,
    volumes: openList,
    initContainers: { type: 'array', items: containerPatch },
    containers: { type: 'array', items: containerPatch },
    imagePullSecrets: openList,
    securityContext: open,
    nodeSelector: stringMap,
    affinity: open,
    tolerations: openList,
    schedulingGates: openList,
    terminationGracePeriodSeconds: { type: 'integer', format: 'int64' },
  },
};
const runtimePatch = {
  type: 'object',
  required: ['manager'],
  properties: {
    manager: str,
    time: str,
    trainingRuntimeSpec: {
      type: 'object',
      properties: {
        template: {
          type: 'object',
          properties: {
            metadata: meta,
            spec: {
              type: 'object',
              properties: {
                replicatedJobs: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['name'],
                    properties: {
                      name: str,
                      template: {
                        type: 'object',
                        properties: { metadata: meta, spec: { type: 'object', properties: { template: { type: 'object', properties: { metadata: meta, spec: podSpecPatch } } } } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const trainJobSpec = {
  type: 'object',
  required: ['runtimeRef'],
  properties: {
    runtimeRef: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        apiGroup: { type: 'string', default: TrainerGroup },
        kind: { type: 'string', enum: ['TrainingRuntime', 'ClusterTrainingRuntime'], default: 'ClusterTrainingRuntime' },
      },
    },
    initializer: { type: 'object', properties: { dataset: initializerSource, model: initializerSource } },
    trainer: {
      type: 'object',
      properties: {
        image: str,
        command: { type: 'array', items: str },
        args: { type: 'array', items: str },
        env: envList,
        numNodes: int32({ minimum: 1 }),
        resourcesPerNode: open,
        numProcPerNode: { 'x-kubernetes-int-or-string': true },
      },
    },
    runtimePatches: { type: 'array', maxItems: 16, items: runtimePatch },
    suspend: { type: 'boolean', default: false },
    activeDeadlineSeconds: { type: 'integer', format: 'int64', minimum: 1 },
    managedBy: { type: 'string', default: TrainerNames.defaultManagedBy },
  },
};

const jobStatus = { type: 'object', properties: { name: str, ready: int32(), succeeded: int32(), failed: int32(), active: int32(), suspended: int32() } };
const trainJobStatus = {
  type: 'object',
  properties: { conditions: { type: 'array', items: condition }, jobsStatus: { type: 'array', items: jobStatus }, trainerStatus: open },
};

const mlPolicy = {
  type: 'object',
  properties: {
    numNodes: int32({ minimum: 1, default: 1 }),
    torch: {
      type: 'object',
      properties: {
        numProcPerNode: { 'x-kubernetes-int-or-string': true },
        elasticPolicy: open,
        envInjection: { type: 'object', properties: { targets: { type: 'array', items: { type: 'object', properties: { jobName: str, containerNames: { type: 'array', items: str } } } } } },
      },
    },
    mpi: {
      type: 'object',
      properties: {
        numProcPerNode: int32({ minimum: 1, default: 1 }),
        mpiImplementation: { type: 'string', enum: ['OpenMPI', 'Intel', 'MPICH'], default: 'OpenMPI' },
        sshAuthMountPath: { type: 'string', default: '/root/.ssh' },
        runLauncherAsNode: { type: 'boolean', default: false },
      },
    },
    jax: open,
    xgboost: open,
    flux: { type: 'object', properties: { numProcPerNode: int32({ minimum: 1, default: 1 }) } },
  },
};

const runtimeSpec = {
  type: 'object',
  required: ['template'],
  properties: {
    mlPolicy,
    podGroupPolicy: open,
    template: { type: 'object', properties: { metadata: meta, spec: jobSetSpecSchema } },
  },
};

export function trainerCrds(): KubeObject[] {
  return [
    crd({
      group: JobSetGroup,
      kind: 'JobSet',
      plural: 'jobsets',
      singular: 'jobset',
      scope: 'Namespaced',
      version: 'v1alpha2',
      spec: jobSetSpecSchema,
      status: jobSetStatus,
      columns: [
        { name: 'TerminalState', type: 'string', jsonPath: '.status.terminalState' },
        { name: 'Restarts', type: 'string', jsonPath: '.status.restarts' },
        { name: 'Completed', type: 'string', jsonPath: ".status.conditions[?(@.type==\"Completed\")].status" },
        { name: 'Suspended', type: 'string', jsonPath: '.spec.suspend' },
        age,
      ],
    }),
    crd({
      group: TrainerGroup,
      kind: 'TrainJob',
      plural: 'trainjobs',
      singular: 'trainjob',
      scope: 'Namespaced',
      version: 'v1alpha1',
      spec: trainJobSpec,
      status: trainJobStatus,
      columns: [{ name: 'State', type: 'string', jsonPath: '.status.conditions[-1:].type' }, age],
    }),
    crd({ group: TrainerGroup, kind: 'TrainingRuntime', plural: 'trainingruntimes', singular: 'trainingruntime', scope: 'Namespaced', version: 'v1alpha1', spec: runtimeSpec, columns: [age] }),
    crd({ group: TrainerGroup, kind: 'ClusterTrainingRuntime', plural: 'clustertrainingruntimes', singular: 'clustertrainingruntime', scope: 'Cluster', version: 'v1alpha1', spec: runtimeSpec, columns: [age] }),
  ];
}
