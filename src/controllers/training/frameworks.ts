// The four plug-ins: each says how its kind names things, defaults, checks, which environment its replicas get, and when it is done.
import { fieldErrors, type FieldError } from '../../api/errors.js';
import type { EnvVar } from '../../api/core-v1.js';
import { allSucceeded, env, replicaCount, totalReplicas, type EnvContext, type Framework, type ReplicaAddress } from './framework.js';
import type { ReplicaSpec } from './types.js';

const hostPort = (a: ReplicaAddress): string => `${a.host}:${a.port}`;

/** Addresses of every index of a replica type, in index order. */
function addresses(ctx: EnvContext, replicaType: string, form: 'short' | 'svc'): ReplicaAddress[] {
  const out: ReplicaAddress[] = [];
  for (let i = 0; i < replicaCount(ctx.replicas[replicaType]); i++) {
    const a = ctx.address(replicaType, i, form);
    if (a) out.push(a);
  }
  return out;
}

// ---- TFJob ------------------------------------------------------------------------------------------

export const tensorflow: Framework = {
  kind: 'TFJob',
  plural: 'tfjobs',
  singular: 'tfjob',
  shortNames: [],
  replicaSpecsField: 'tfReplicaSpecs',
  replicaTypes: ['Chief', 'Master', 'PS', 'Worker', 'Evaluator'],
  container: 'tensorflow',
  portName: 'tfjob-port',
  defaultPort: 2222,
  defaultRestartPolicy: 'Never',
  defaultCleanPodPolicy: 'Running',
  singleton: ['Chief', 'Master'],
  required: [],
  operatorName: 'tfjob-controller',
  specSchema: {
    successPolicy: { type: 'string', enum: ['', 'AllWorkers'] },
    enableDynamicWorker: { type: 'boolean' },
  },
  validate(_job, replicas) {
    if (replicas.Chief && replicas.Master) return [fieldErrors.forbidden('spec.tfReplicaSpecs', 'a TFJob has either a Chief or a Master replica, not both')];
    return [];
  },
  envOnAllContainers: false,
  env(ctx) {
    if (totalReplicas(ctx.replicas) === 1) return [];
    const dynamic = ctx.job.spec.enableDynamicWorker === true;
    const cluster: Record<string, string[] | Record<string, string>> = {};
    for (const type of this.replicaTypes) {
      if (!ctx.replicas[type]) continue;
      const key = type.toLowerCase();
      if (dynamic && type === 'Worker') {
        const own = ctx.replicaType === 'Worker' ? ctx.address('Worker', ctx.index, 'svc') : undefined;
        cluster[key] = own ? { [String(ctx.index)]: hostPort(own) } : {};
      } else {
        cluster[key] = addresses(ctx, type, 'svc').map(hostPort);
      }
    }
    const task = { type: ctx.replicaType.toLowerCase(), index: ctx.index };
    const config = dynamic ? { cluster, task } : { cluster, task, environment: 'cloud' };
    return [env('TF_CONFIG', JSON.stringify(config))];
  },
  isMasterRole(replicas, type, index) {
    if (type === 'Chief' || type === 'Master') return true;
    return !replicas.Chief && !replicas.Master && type === 'Worker' && index === 0;
  },
  succeeded(job, pods) {
    const chief = pods.Chief ?? pods.Master;
    if (chief) return allSucceeded(chief);
    const workers = pods.Worker;
    if (!workers) return false;
    if (job.spec.successPolicy === 'AllWorkers') return allSucceeded(workers);
    return workers.succeeded.has(0);
  },
};

// ---- PyTorchJob -------------------------------------------------------------------------------------

const nprocPattern = /^(auto|cpu|gpu|[0-9]+)$/;

export const pytorch: Framework = {
  kind: 'PyTorchJob',
  plural: 'pytorchjobs',
  singular: 'pytorchjob',
  shortNames: [],
  replicaSpecsField: 'pytorchReplicaSpecs',
  replicaTypes: ['Master', 'Worker'],
  container: 'pytorch',
  portName: 'pytorchjob-port',
  defaultPort: 23456,
  defaultRestartPolicy: 'OnFailure',
  defaultCleanPodPolicy: 'None',
  singleton: ['Master'],
  required: [],
  operatorName: 'pytorchjob-controller',
  specSchema: {
    nprocPerNode: { type: 'string' },
    elasticPolicy: {
      type: 'object',
      properties: {
        minReplicas: { type: 'integer', format: 'int32', minimum: 1 },
        maxReplicas: { type: 'integer', format: 'int32', minimum: 1 },
        rdzvBackend: { type: 'string' },
        rdzvPort: { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
        rdzvHost: { type: 'string' },
        rdzvId: { type: 'string' },
        rdzvConf: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' } } } },
        standalone: { type: 'boolean' },
        nProcPerNode: { type: 'integer', format: 'int32', minimum: 1 },
        maxRestarts: { type: 'integer', format: 'int32', minimum: 0 },
        metrics: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    },
  },
  setDefaults(job) {
    const elastic = job.spec.elasticPolicy;
    if (job.spec.nprocPerNode === undefined && elastic?.nProcPerNode === undefined) job.spec.nprocPerNode = 'auto';
    if (!elastic) return;
    const workers = replicaCount((job.spec.pytorchReplicaSpecs as Record<string, ReplicaSpec> | undefined)?.Worker);
    if (elastic.minReplicas === undefined && elastic.maxReplicas === undefined) {
      elastic.minReplicas = workers;
      elastic.maxReplicas = workers;
    } else if (elastic.minReplicas === undefined && elastic.maxReplicas !== undefined) {
      elastic.minReplicas = elastic.maxReplicas;
    } else if (elastic.maxReplicas === undefined && elastic.minReplicas !== undefined) {
      elastic.maxReplicas = elastic.minReplicas;
    }
  },
  validate(job) {
    const errs: FieldError[] = [];
    const nproc = job.spec.nprocPerNode;
    if (nproc !== undefined && !nprocPattern.test(nproc)) errs.push(fieldErrors.invalid('spec.nprocPerNode', nproc, 'must be auto, cpu, gpu or a whole number'));
    const e = job.spec.elasticPolicy;
    if (e && e.minReplicas !== undefined && e.maxReplicas !== undefined && e.minReplicas > e.maxReplicas) {
      errs.push(fieldErrors.invalid('spec.elasticPolicy.minReplicas', e.minReplicas, `must not exceed maxReplicas (${e.maxReplicas})`));
    }
    return errs;
  },
  envOnAllContainers: true,
  env(ctx) {
    const { job, replicas } = ctx;
    const out: EnvVar[] = [env('PYTHONUNBUFFERED', '1')];
    const elastic = job.spec.elasticPolicy;
    const nproc = elastic?.nProcPerNode !== undefined ? String(elastic.nProcPerNode) : (job.spec.nprocPerNode ?? 'auto');
    const total = totalReplicas(replicas);
    const master = replicas.Master ? ctx.address('Master', 0, 'short') : undefined;
    if (master) {
      const perNode = Number.parseInt(nproc, 10);
      const rank = ctx.replicaType === 'Master' ? ctx.index : ctx.index + replicaCount(replicas.Master);
      out.push(
        env('MASTER_ADDR', master.host),
        env('PET_MASTER_ADDR', master.host),
        env('MASTER_PORT', String(master.port)),
        env('PET_MASTER_PORT', String(master.port)),
        env('WORLD_SIZE', String(total * (Number.isNaN(perNode) ? 1 : perNode))),
        env('RANK', String(rank)),
        env('PET_NODE_RANK', String(rank)),
      );
    }
    out.push(env('PET_NPROC_PER_NODE', nproc));
    if (!elastic) {
      out.push(env('PET_NNODES', String(total)));
      return out;
    }
    out.push(env('PET_NNODES', `${elastic.minReplicas ?? 1}:${elastic.maxReplicas ?? 1}`));
    const worker0 = ctx.address('Worker', 0, 'short');
    const host = elastic.rdzvHost ?? worker0?.host;
    const port = elastic.rdzvPort ?? worker0?.port;
    if (host !== undefined && port !== undefined) out.push(env('PET_RDZV_ENDPOINT', `${host}:${port}`));
    out.push(env('PET_RDZV_BACKEND', elastic.rdzvBackend ?? 'c10d'));
    if (elastic.rdzvId !== undefined) out.push(env('PET_RDZV_ID', elastic.rdzvId));
    if (elastic.rdzvConf && elastic.rdzvConf.length > 0) out.push(env('PET_RDZV_CONF', elastic.rdzvConf.map((c) => `${c.key}=${c.value}`).join(',')));
    if (elastic.maxRestarts !== undefined) out.push(env('PET_MAX_RESTARTS', String(elastic.maxRestarts)));
    if (elastic.standalone === true) out.push(env('PET_STANDALONE', ''));
    return out;
  },
  isMasterRole(_replicas, type) {
    return type === 'Master';
  },
  succeeded(job, pods) {
    if (pods.Master) return allSucceeded(pods.Master);
    const workers = pods.Worker;
    if (!workers) return false;
    return allSucceeded(workers) || (job.spec.elasticPolicy !== undefined && workers.succeeded.size > 0);
  },
};

// ---- XGBoostJob -------------------------------------------------------------------------------------

export const xgboost: Framework = {
  kind: 'XGBoostJob',
  plural: 'xgboostjobs',
  singular: 'xgboostjob',
  shortNames: [],
  replicaSpecsField: 'xgbReplicaSpecs',
  replicaTypes: ['Master', 'Worker'],
  container: 'xgboost',
  portName: 'xgboostjob-port',
  defaultPort: 9999,
  defaultRestartPolicy: 'Never',
  defaultCleanPodPolicy: 'Running',
  singleton: ['Master'],
  required: ['Master'],
  operatorName: 'xgboostjob-controller',
  specSchema: {},
  envOnAllContainers: true,
  env(ctx) {
    const { replicas } = ctx;
    const master = ctx.address('Master', 0, 'short');
    const total = totalReplicas(replicas);
    const rank = ctx.replicaType === 'Master' ? ctx.index : ctx.index + replicaCount(replicas.Master);
    const out: EnvVar[] = [];
    if (master) out.push(env('MASTER_ADDR', master.host), env('MASTER_PORT', String(master.port)));
    out.push(env('WORLD_SIZE', String(total)), env('RANK', String(rank)), env('PYTHONUNBUFFERED', '1'));
    if (total > 1) {
      const workers = addresses(ctx, 'Worker', 'short');
      const first = workers[0];
      if (first) out.push(env('WORKER_PORT', String(first.port)));
      out.push(env('WORKER_ADDRS', workers.map((w) => w.host).join(',')));
    }
    return out;
  },
  isMasterRole(_replicas, type) {
    return type === 'Master';
  },
  succeeded(_job, pods) {
    return allSucceeded(pods.Master);
  },
};

// ---- MXJob ------------------------------------------------------------------------------------------

export const mxnet: Framework = {
  kind: 'MXJob',
  plural: 'mxjobs',
  singular: 'mxjob',
  shortNames: [],
  replicaSpecsField: 'mxReplicaSpecs',
  replicaTypes: ['Scheduler', 'Server', 'Worker', 'TunerTracker', 'TunerServer', 'Tuner'],
  container: 'mxnet',
  portName: 'mxjob-port',
  defaultPort: 9091,
  defaultRestartPolicy: 'Never',
  defaultCleanPodPolicy: 'Running',
  singleton: ['Scheduler'],
  required: [],
  operatorName: 'mxjob-controller',
  specSchema: { jobMode: { type: 'string', enum: ['MXTrain', 'MXTune'] } },
  setDefaults(job) {
    job.spec.jobMode ??= 'MXTrain';
  },
  validate(job, replicas) {
    if (job.spec.jobMode === 'MXTrain' && !replicas.Scheduler) return [fieldErrors.required('spec.mxReplicaSpecs[Scheduler]', 'an MXJob in MXTrain mode needs a Scheduler replica')];
    if (job.spec.jobMode === 'MXTune' && !replicas.Tuner) return [fieldErrors.required('spec.mxReplicaSpecs[Tuner]', 'an MXJob in MXTune mode needs a Tuner replica')];
    return [];
  },
  envOnAllContainers: true,
  env(ctx) {
    const { replicas, job } = ctx;
    const cluster: Record<string, { url: string; port: number }[]> = {};
    const labels: Record<string, string> = {};
    for (const type of this.replicaTypes) {
      if (!replicas[type]) continue;
      cluster[type.toLowerCase()] = addresses(ctx, type, 'short').map((a) => ({ url: a.host, port: a.port }));
      labels[type.toLowerCase()] = replicas[type]?.template.metadata?.annotations?.['mxnet/tuner-server-key'] ?? '';
    }
    const role = ctx.replicaType.toLowerCase();
    const out: EnvVar[] = [env('MX_CONFIG', JSON.stringify({ cluster, labels, task: { type: role, index: ctx.index } }))];
    if (job.spec.jobMode !== 'MXTune') {
      const scheduler = ctx.address('Scheduler', 0, 'short');
      if (scheduler) out.push(env('DMLC_PS_ROOT_PORT', String(scheduler.port)), env('DMLC_PS_ROOT_URI', scheduler.host));
      out.push(
        env('DMLC_NUM_SERVER', String(replicas.Server ? replicaCount(replicas.Server) : 0)),
        env('DMLC_NUM_WORKER', String(replicas.Worker ? replicaCount(replicas.Worker) : 0)),
        env('DMLC_ROLE', role),
        env('DMLC_USE_KUBERNETES', '1'),
      );
      if (ctx.replicaType === 'Worker') out.push(env('DMLC_WORKER_ID', String(ctx.index)));
    }
    return out;
  },
  isMasterRole(_replicas, type) {
    return type === 'Scheduler';
  },
  succeeded(job, pods) {
    return job.spec.jobMode === 'MXTune' ? allSucceeded(pods.Tuner) : allSucceeded(pods.Worker);
  },
};

export const frameworks: readonly Framework[] = [tensorflow, pytorch, xgboost, mxnet];

export function frameworkOf(kind: string): Framework | undefined {
  return frameworks.find((f) => f.kind === kind);
}

