// Katib's v1beta1 kinds as TypeScript types: Experiment, Trial and Suggestion (field names as in
// pkg/apis/controller/*/v1beta1 of kubeflow/katib).
import type { KubeObject } from '../../api/meta.js';
import type { Assignment, ObjectiveType, ParameterSpec } from './algorithms/types.js';

export const Group = 'kubeflow.org';
export const ApiVersion = 'kubeflow.org/v1beta1';
export const ExperimentRef = { apiVersion: ApiVersion, kind: 'Experiment' } as const;
export const TrialRef = { apiVersion: ApiVersion, kind: 'Trial' } as const;
export const SuggestionRef = { apiVersion: ApiVersion, kind: 'Suggestion' } as const;

/** Labels Katib puts on Trials and their jobs. */
export const Labels = {
  experiment: 'katib.kubeflow.org/experiment',
  trial: 'katib.kubeflow.org/trial',
} as const;

export interface Setting {
  name: string;
  value: string;
}

export interface AlgorithmSpec {
  algorithmName: string;
  algorithmSettings?: Setting[];
}

export type MetricStrategyType = 'min' | 'max' | 'latest';

export interface ObjectiveSpec {
  type: ObjectiveType;
  goal?: number;
  objectiveMetricName: string;
  additionalMetricNames?: string[];
  metricStrategies?: { name: string; value: MetricStrategyType }[];
}

export type CollectorKind = 'StdOut' | 'File' | 'TensorFlowEvent' | 'PrometheusMetric' | 'Custom' | 'Push';

export interface MetricsCollectorSpec {
  source?: {
    fileSystemPath?: { path?: string; kind?: 'File' | 'Directory'; format?: 'TEXT' | 'JSON' };
    filter?: { metricsFormat?: string[] };
    httpGet?: Record<string, unknown>;
  };
  collector?: { kind: CollectorKind; customCollector?: Record<string, unknown> };
}

export interface TrialParameterSpec {
  name: string;
  description?: string;
  reference: string;
}

export interface TrialTemplate {
  retain?: boolean;
  trialSpec?: KubeObject;
  configMap?: { configMapName?: string; configMapNamespace?: string; templatePath?: string };
  trialParameters?: TrialParameterSpec[];
  primaryPodLabels?: Record<string, string>;
  primaryContainerName?: string;
  successCondition?: string;
  failureCondition?: string;
}

export type ResumePolicy = 'Never' | 'LongRunning' | 'FromVolume';

export interface ExperimentSpec {
  parameters?: ParameterSpec[];
  objective?: ObjectiveSpec;
  algorithm?: AlgorithmSpec;
  earlyStopping?: AlgorithmSpec;
  trialTemplate?: TrialTemplate;
  parallelTrialCount?: number;
  maxTrialCount?: number;
  maxFailedTrialCount?: number;
  metricsCollectorSpec?: MetricsCollectorSpec;
  resumePolicy?: ResumePolicy;
  nasConfig?: Record<string, unknown>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface Metric {
  name: string;
  min: string;
  max: string;
  latest: string;
}

export interface Observation {
  metrics?: Metric[];
}

export interface OptimalTrial {
  bestTrialName?: string;
  parameterAssignments?: Assignment[];
  observation?: Observation;
}

export interface ExperimentStatus {
  startTime?: string;
  completionTime?: string;
  lastReconcileTime?: string;
  conditions?: Condition[];
  currentOptimalTrial?: OptimalTrial;
  runningTrialList?: string[];
  pendingTrialList?: string[];
  failedTrialList?: string[];
  succeededTrialList?: string[];
  killedTrialList?: string[];
  earlyStoppedTrialList?: string[];
  metricsUnavailableTrialList?: string[];
  trials?: number;
  trialsSucceeded?: number;
  trialsFailed?: number;
  trialsKilled?: number;
  trialsPending?: number;
  trialsRunning?: number;
  trialsEarlyStopped?: number;
  trialMetricsUnavailable?: number;
}

export interface Experiment extends KubeObject {
  spec: ExperimentSpec;
  status?: ExperimentStatus;
}

export interface EarlyStoppingRule {
  name: string;
  value: string;
  comparison: 'equal' | 'less' | 'greater';
  startStep?: number;
}

export interface TrialSpec {
  objective?: ObjectiveSpec;
  parameterAssignments?: Assignment[];
  earlyStoppingRules?: EarlyStoppingRule[];
  runSpec?: KubeObject;
  retainRun?: boolean;
  metricsCollector?: MetricsCollectorSpec;
  primaryPodLabels?: Record<string, string>;
  primaryContainerName?: string;
  successCondition?: string;
  failureCondition?: string;
  labels?: Record<string, string>;
}

export interface Trial extends KubeObject {
  spec: TrialSpec;
  status?: {
    startTime?: string;
    completionTime?: string;
    lastReconcileTime?: string;
    conditions?: Condition[];
    observation?: Observation;
  };
}

export interface SuggestionItem {
  name: string;
  parameterAssignments: Assignment[];
  earlyStoppingRules?: EarlyStoppingRule[];
  labels?: Record<string, string>;
}

export interface Suggestion extends KubeObject {
  spec: { algorithm: AlgorithmSpec; earlyStopping?: AlgorithmSpec; requests: number; resumePolicy?: ResumePolicy };
  status?: {
    algorithmSettings?: Setting[];
    suggestionCount?: number;
    suggestions?: SuggestionItem[];
    conditions?: Condition[];
    startTime?: string;
    completionTime?: string;
    lastReconcileTime?: string;
  };
}

/** Trial condition types in the order Katib reports them; the last true one is the trial's state. */
export const TrialConditions = ['Created', 'Running', 'Succeeded', 'Killed', 'Failed', 'MetricsUnavailable', 'EarlyStopped'] as const;
export type TrialConditionType = (typeof TrialConditions)[number];
