// The KFP v2 PipelineSpec IR as the `kfp` SDK 2.x compiles it (api/v2alpha1/pipeline_spec.proto, JSON names), and the
// Kubernetes platform spec (kubernetes_executor_config.proto). Only the fields Floe reads are typed; the rest pass through.

export type ParameterType =
  | 'PARAMETER_TYPE_ENUM_UNSPECIFIED'
  | 'NUMBER_DOUBLE'
  | 'NUMBER_INTEGER'
  | 'STRING'
  | 'BOOLEAN'
  | 'LIST'
  | 'STRUCT'
  | 'TASK_FINAL_STATUS'
  | 'TASK_CONFIG';

/** A JSON value as google.protobuf.Value carries it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface ArtifactTypeSchema {
  schemaTitle?: string;
  schemaVersion?: string;
  schemaUri?: string;
  instanceSchema?: string;
}

export interface InputParameterSpec {
  parameterType?: ParameterType;
  defaultValue?: JsonValue;
  isOptional?: boolean;
  description?: string;
}

export interface InputArtifactSpec {
  artifactType?: ArtifactTypeSchema;
  isArtifactList?: boolean;
  isOptional?: boolean;
}

export interface OutputParameterSpec {
  parameterType?: ParameterType;
}

export interface OutputArtifactSpec {
  artifactType?: ArtifactTypeSchema;
  isArtifactList?: boolean;
  metadata?: Record<string, JsonValue>;
}

export interface InputsSpec {
  parameters?: Record<string, InputParameterSpec>;
  artifacts?: Record<string, InputArtifactSpec>;
}

export interface OutputsSpec {
  parameters?: Record<string, OutputParameterSpec>;
  artifacts?: Record<string, OutputArtifactSpec>;
}

export interface ComponentSpec {
  inputDefinitions?: InputsSpec;
  outputDefinitions?: OutputsSpec;
  dag?: DagSpec;
  executorLabel?: string;
}

export interface ParameterSelector {
  producerSubtask: string;
  outputParameterKey: string;
}

export interface ArtifactSelector {
  producerSubtask: string;
  outputArtifactKey: string;
}

export interface DagOutputsSpec {
  artifacts?: Record<string, { artifactSelectors?: ArtifactSelector[] }>;
  parameters?: Record<string, { valueFromParameter?: ParameterSelector; valueFromOneof?: { parameterSelectors?: ParameterSelector[] } }>;
}

export interface DagSpec {
  tasks?: Record<string, TaskSpec>;
  outputs?: DagOutputsSpec;
}

/** How a task input parameter gets its value (one of). */
export interface TaskInputParameterSpec {
  componentInputParameter?: string;
  taskOutputParameter?: { producerTask: string; outputParameterKey: string };
  runtimeValue?: { constant?: JsonValue; constantValue?: { stringValue?: string; intValue?: string | number; doubleValue?: number } };
  taskFinalStatus?: { producerTask: string };
  parameterExpressionSelector?: string;
}

export interface TaskInputArtifactSpec {
  taskOutputArtifact?: { producerTask: string; outputArtifactKey: string };
  componentInputArtifact?: string;
}

export type TriggerStrategy = 'TRIGGER_STRATEGY_UNSPECIFIED' | 'ALL_UPSTREAM_TASKS_SUCCEEDED' | 'ALL_UPSTREAM_TASKS_COMPLETED';

export interface TaskSpec {
  taskInfo?: { name?: string };
  componentRef: { name: string };
  dependentTasks?: string[];
  inputs?: { parameters?: Record<string, TaskInputParameterSpec>; artifacts?: Record<string, TaskInputArtifactSpec> };
  cachingOptions?: { enableCache?: boolean; cacheKey?: string };
  triggerPolicy?: { condition?: string; strategy?: TriggerStrategy };
  parameterIterator?: { items: { raw?: string; inputParameter?: string }; itemInput: string };
  artifactIterator?: { items: { inputArtifact?: string }; itemInput: string };
  iteratorPolicy?: { parallelismLimit?: number };
  retryPolicy?: { maxRetryCount?: number; backoffDuration?: string; backoffFactor?: number; backoffMaxDuration?: string };
}

/** A command/args item: a string with placeholders, or the Concat / IfPresent structs. */
export type CommandItem = string | { Concat: CommandItem[] } | { IfPresent: { InputName: string; Then?: CommandItem | CommandItem[]; Else?: CommandItem | CommandItem[] } };

export interface ContainerSpec {
  image: string;
  command?: CommandItem[];
  args?: CommandItem[];
  env?: { name: string; value?: string }[];
  resources?: {
    resourceCpuLimit?: string;
    resourceMemoryLimit?: string;
    resourceCpuRequest?: string;
    resourceMemoryRequest?: string;
    cpuLimit?: number;
    memoryLimit?: number;
    accelerator?: { resourceType?: string; resourceCount?: string; type?: string; count?: string };
  };
}

export interface ImporterSpec {
  artifactUri?: { constant?: JsonValue; runtimeParameter?: string };
  typeSchema?: ArtifactTypeSchema;
  reimport?: boolean;
  metadata?: Record<string, JsonValue>;
}

export interface ExecutorSpec {
  container?: ContainerSpec;
  importer?: ImporterSpec;
  resolver?: unknown;
  customJob?: unknown;
}

export interface PipelineSpec {
  pipelineInfo: { name: string; displayName?: string; description?: string };
  deploymentSpec?: { executors?: Record<string, ExecutorSpec> };
  components?: Record<string, ComponentSpec>;
  root: ComponentSpec;
  schemaVersion?: string;
  sdkVersion?: string;
  defaultPipelineRoot?: string;
}

/** A parameter given to a platform-spec field: the same shape as a task input parameter. */
export type PlatformParameter = TaskInputParameterSpec;

export interface KubernetesExecutorConfig {
  secretAsVolume?: { secretName?: string; secretNameParameter?: PlatformParameter; mountPath: string; optional?: boolean }[];
  secretAsEnv?: { secretName?: string; secretNameParameter?: PlatformParameter; keyToEnv?: { secretKey: string; envVar: string }[]; optional?: boolean }[];
  configMapAsVolume?: { configMapName?: string; configMapNameParameter?: PlatformParameter; mountPath: string; optional?: boolean }[];
  configMapAsEnv?: { configMapName?: string; configMapNameParameter?: PlatformParameter; keyToEnv?: { configMapKey: string; envVar: string }[]; optional?: boolean }[];
  pvcMount?: { constant?: string; pvcNameParameter?: PlatformParameter; taskOutputParameter?: unknown; componentInputParameter?: string; mountPath: string }[];
  emptyDirMounts?: { volumeName: string; mountPath: string; medium?: string; sizeLimit?: string }[];
  fieldPathAsEnv?: { name: string; fieldPath: string }[];
  nodeSelector?: { labels?: Record<string, string> };
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }[];
  podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  imagePullPolicy?: string;
  activeDeadlineSeconds?: number;
}

export interface PlatformSpec {
  platforms?: { kubernetes?: { deploymentSpec?: { executors?: Record<string, KubernetesExecutorConfig> }; pipelineConfig?: Record<string, unknown> } };
}
