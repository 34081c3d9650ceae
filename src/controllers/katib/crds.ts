// The CustomResourceDefinitions of Katib's three kinds (kubeflow.org/v1beta1), as Floe serves them and `floe install`
// applies them: structural schemas for what users write (Experiment spec), open objects for templates and status.
// Enumerations are checked in admission, not here, so one answer names every bad field.
import type { KubeObject } from '../../api/meta.js';
import { Group } from './types.js';

const str = { type: 'string' };
const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const int32 = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'integer', format: 'int32', ...extra });
const settings = { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str, value: str } } };
const algorithm = { type: 'object', properties: { algorithmName: str, algorithmSettings: settings } };

const parameter = {
  type: 'object',
  properties: {
    name: str,
    parameterType: str,
    feasibleSpace: {
      type: 'object',
      properties: { max: str, min: str, step: str, list: { type: 'array', items: str }, distribution: str },
    },
  },
};

const objective = {
  type: 'object',
  properties: {
    type: str,
    goal: { type: 'number' },
    objectiveMetricName: str,
    additionalMetricNames: { type: 'array', items: str },
    metricStrategies: { type: 'array', items: { type: 'object', properties: { name: str, value: str } } },
  },
};

const metricsCollectorSpec = {
  type: 'object',
  properties: {
    source: {
      type: 'object',
      properties: {
        fileSystemPath: { type: 'object', properties: { path: str, kind: str, format: str } },
        filter: { type: 'object', properties: { metricsFormat: { type: 'array', items: str } } },
        httpGet: open,
      },
    },
    collector: { type: 'object', properties: { kind: str, customCollector: open } },
  },
};

const experimentSpec = {
  type: 'object',
  properties: {
    parameters: { type: 'array', items: parameter },
    objective,
    algorithm,
    earlyStopping: algorithm,
    trialTemplate: {
      type: 'object',
      properties: {
        retain: { type: 'boolean' },
        trialSpec: open,
        configMap: { type: 'object', properties: { configMapName: str, configMapNamespace: str, templatePath: str } },
        trialParameters: { type: 'array', items: { type: 'object', properties: { name: str, description: str, reference: str } } },
        primaryPodLabels: { type: 'object', additionalProperties: str },
        primaryContainerName: str,
        successCondition: str,
        failureCondition: str,
      },
    },
    parallelTrialCount: int32(),
    maxTrialCount: int32(),
    maxFailedTrialCount: int32(),
    metricsCollectorSpec,
    nasConfig: open,
    resumePolicy: str,
  },
};

const condition = (column: string): Record<string, unknown> => ({ name: column, type: 'string', jsonPath: column === 'Type' ? '.status.conditions[-1:].type' : '.status.conditions[-1:].status' });
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function crd(kind: string, plural: string, spec: Record<string, unknown>, columns: Record<string, unknown>[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${Group}`, labels: { 'app.kubernetes.io/part-of': 'floe', 'app.kubernetes.io/component': 'katib' } },
    spec: {
      group: Group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), categories: ['all', 'kubeflow', 'katib'] },
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...columns, age],
          schema: { openAPIV3Schema: { type: 'object', properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec, status: open } } },
        },
      ],
    },
  };
}

export function katibCrds(): KubeObject[] {
  return [
    crd('Experiment', 'experiments', experimentSpec, [
      condition('Type'),
      condition('Status'),
      { name: 'Trials', type: 'integer', jsonPath: '.status.trials' },
      { name: 'Best', type: 'string', jsonPath: '.status.currentOptimalTrial.bestTrialName', priority: 1 },
    ]),
    crd('Trial', 'trials', open, [condition('Type'), condition('Status')]),
    crd('Suggestion', 'suggestions', open, [
      condition('Type'),
      condition('Status'),
      { name: 'Requested', type: 'integer', jsonPath: '.spec.requests' },
      { name: 'Assigned', type: 'integer', jsonPath: '.status.suggestionCount' },
    ]),
  ];
}
