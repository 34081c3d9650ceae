// Katib's standard trial templates: the `trial-templates` ConfigMap in `kubeflow` (label katib.kubeflow.org/component:
// trial-templates) that Experiments reference through trialTemplate.configMap and the Katib UI lists. Built here from
// the documented keys and shapes: a Job on the PyTorch MNIST image, a Job on the ENAS CIFAR-10 image, and a PyTorchJob.
import { stringify } from 'yaml';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';

export const TrialTemplatesName = 'trial-templates';
export const TrialTemplatesNamespace = 'kubeflow';
export const TrialTemplateLabel = { 'katib.kubeflow.org/component': 'trial-templates' } as const;

const mnistImage = 'ghcr.io/kubeflow/katib/pytorch-mnist-cpu:latest';
const mnist = (extra: string[]): string[] => ['python3', '/opt/pytorch-mnist/mnist.py', '--epochs=1', ...extra, '--lr=${trialParameters.learningRate}', '--momentum=${trialParameters.momentum}'];

const job = (container: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  spec: { template: { spec: { containers: [container], restartPolicy: 'Never' } } },
});

const pytorchReplica = (replicas: number): Record<string, unknown> => ({
  replicas,
  restartPolicy: 'OnFailure',
  template: { spec: { containers: [{ name: 'pytorch', image: mnistImage, command: mnist([]) }] } },
});

/** The ConfigMap's data: each key a trial template in YAML with `${trialParameters.*}` placeholders. */
export function trialTemplates(): Record<string, string> {
  return {
    'defaultTrialTemplate.yaml': stringify(job({ name: 'training-container', image: mnistImage, command: mnist(['--batch-size=16']) })),
    // JSON-valued parameters (the architecture and its config) arrive quoted, so the template quotes them itself.
    enasCPUTemplate: stringify(
      job({
        name: 'training-container',
        image: 'ghcr.io/kubeflow/katib/enas-cnn-cifar10-cpu:latest',
        command: ['python3', '-u', 'RunTrial.py', '--num_epochs=1', '--architecture="${trialParameters.neuralNetworkArchitecture}"', '--nn_config="${trialParameters.neuralNetworkConfig}"'],
      }),
    ),
    pytorchJobTemplate: stringify({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', spec: { pytorchReplicaSpecs: { Master: pytorchReplica(1), Worker: pytorchReplica(2) } } }),
  };
}

export function trialTemplatesConfigMap(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: TrialTemplatesName, namespace: TrialTemplatesNamespace, labels: { ...TrialTemplateLabel } },
    data: trialTemplates(),
  };
}

const alreadyExists = (err: unknown): boolean => err instanceof FloeError && err.reason === 'AlreadyExists';

/** Creates the `kubeflow` namespace and the ConfigMap when missing; a ConfigMap already there (a user's edits) is kept. */
export async function installTrialTemplates(client: Client): Promise<void> {
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: TrialTemplatesNamespace } });
  } catch (err) {
    if (!alreadyExists(err)) throw err;
  }
  try {
    await client.create(trialTemplatesConfigMap());
  } catch (err) {
    if (!alreadyExists(err)) throw err;
  }
}
