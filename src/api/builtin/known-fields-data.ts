// The JSON fields of each built-in kind, as kube-apiserver's strict decoder knows them: data for fieldValidation and pruning.
//
// Generated from the JSON tags of the Go types in k8s.io/api, k8s.io/apimachinery and k8s.io/apiextensions-apiserver
// v0.32.3 (Kubernetes 1.32.3, the release tools/control-plane builds). Each entry lists a type's fields, space-separated;
// `field:T` is a struct, `field:[]T` a list of them, `field:{}T` a map of them, `field:*` a value decoded as opaque JSON
// (timestamps, RawExtension, JSON); a bare `field` holds scalars, or lists and maps of scalars.

/** `group/Kind` → its type below. */
export const builtinKinds: Readonly<Record<string, string>> = {
  '/Pod': 'core.Pod',
  '/Service': 'core.Service',
  '/ConfigMap': 'core.ConfigMap',
  '/Secret': 'core.Secret',
  '/ServiceAccount': 'core.ServiceAccount',
  '/PersistentVolumeClaim': 'core.PersistentVolumeClaim',
  '/Event': 'core.Event',
  '/Node': 'core.Node',
  '/Endpoints': 'core.Endpoints',
  '/Namespace': 'core.Namespace',
  'batch/Job': 'batch.Job',
  'discovery.k8s.io/EndpointSlice': 'discovery.EndpointSlice',
  'coordination.k8s.io/Lease': 'coordination.Lease',
  'apiextensions.k8s.io/CustomResourceDefinition': 'apiext.CustomResourceDefinition',
  'apps/Deployment': 'apps.Deployment',
  'apps/ReplicaSet': 'apps.ReplicaSet',
  'apps/StatefulSet': 'apps.StatefulSet',
  'apps/DaemonSet': 'apps.DaemonSet',
  'apps/ControllerRevision': 'apps.ControllerRevision',
  'batch/CronJob': 'batch.CronJob',
  'autoscaling/HorizontalPodAutoscaler': 'autoscaling.HorizontalPodAutoscaler',
  'autoscaling/v1/HorizontalPodAutoscaler': 'autoscalingv1.HorizontalPodAutoscaler',
  'policy/PodDisruptionBudget': 'policy.PodDisruptionBudget',
  '/PersistentVolume': 'core.PersistentVolume',
  '/ReplicationController': 'core.ReplicationController',
  '/PodTemplate': 'core.PodTemplate',
  'storage.k8s.io/StorageClass': 'storage.StorageClass',
  'networking.k8s.io/NetworkPolicy': 'networking.NetworkPolicy',
  'networking.k8s.io/Ingress': 'networking.Ingress',
  'networking.k8s.io/IngressClass': 'networking.IngressClass',
  'scheduling.k8s.io/PriorityClass': 'scheduling.PriorityClass',
  '/ResourceQuota': 'core.ResourceQuota',
  '/LimitRange': 'core.LimitRange',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': 'admission.ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': 'admission.MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': 'admission.ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': 'admission.ValidatingAdmissionPolicyBinding',
  'rbac.authorization.k8s.io/Role': 'rbac.Role',
  'rbac.authorization.k8s.io/ClusterRole': 'rbac.ClusterRole',
  'rbac.authorization.k8s.io/RoleBinding': 'rbac.RoleBinding',
  'rbac.authorization.k8s.io/ClusterRoleBinding': 'rbac.ClusterRoleBinding',
};

export const builtinFieldTypes: Readonly<Record<string, string>> = {
  'admission.AuditAnnotation': 'key valueExpression',
  'admission.ExpressionWarning': 'fieldRef warning',
  'admission.MatchCondition': 'name expression',
  'admission.MatchResources':
    'namespaceSelector:meta.LabelSelector objectSelector:meta.LabelSelector ' +
    'resourceRules:[]admission.NamedRuleWithOperations excludeResourceRules:[]admission.NamedRuleWithOperations ' +
    'matchPolicy',
  'admission.MutatingWebhook':
    'name clientConfig:admission.WebhookClientConfig rules:[]admission.RuleWithOperations failurePolicy matchPolicy ' +
    'namespaceSelector:meta.LabelSelector objectSelector:meta.LabelSelector sideEffects timeoutSeconds ' +
    'admissionReviewVersions reinvocationPolicy matchConditions:[]admission.MatchCondition',
  'admission.MutatingWebhookConfiguration': 'kind apiVersion metadata:meta.ObjectMeta webhooks:[]admission.MutatingWebhook',
  'admission.NamedRuleWithOperations': 'resourceNames operations apiGroups apiVersions resources scope',
  'admission.ParamKind': 'apiVersion kind',
  'admission.ParamRef': 'name namespace selector:meta.LabelSelector parameterNotFoundAction',
  'admission.RuleWithOperations': 'operations apiGroups apiVersions resources scope',
  'admission.ServiceReference': 'namespace name path port',
  'admission.TypeChecking': 'expressionWarnings:[]admission.ExpressionWarning',
  'admission.ValidatingAdmissionPolicy':
    'kind apiVersion metadata:meta.ObjectMeta spec:admission.ValidatingAdmissionPolicySpec ' +
    'status:admission.ValidatingAdmissionPolicyStatus',
  'admission.ValidatingAdmissionPolicyBinding': 'kind apiVersion metadata:meta.ObjectMeta spec:admission.ValidatingAdmissionPolicyBindingSpec',
  'admission.ValidatingAdmissionPolicyBindingSpec': 'policyName paramRef:admission.ParamRef matchResources:admission.MatchResources validationActions',
  'admission.ValidatingAdmissionPolicySpec':
    'paramKind:admission.ParamKind matchConstraints:admission.MatchResources validations:[]admission.Validation ' +
    'failurePolicy auditAnnotations:[]admission.AuditAnnotation matchConditions:[]admission.MatchCondition ' +
    'variables:[]admission.Variable',
  'admission.ValidatingAdmissionPolicyStatus': 'observedGeneration typeChecking:admission.TypeChecking conditions:[]meta.Condition',
  'admission.ValidatingWebhook':
    'name clientConfig:admission.WebhookClientConfig rules:[]admission.RuleWithOperations failurePolicy matchPolicy ' +
    'namespaceSelector:meta.LabelSelector objectSelector:meta.LabelSelector sideEffects timeoutSeconds ' +
    'admissionReviewVersions matchConditions:[]admission.MatchCondition',
  'admission.ValidatingWebhookConfiguration': 'kind apiVersion metadata:meta.ObjectMeta webhooks:[]admission.ValidatingWebhook',
  'admission.Validation': 'expression message reason messageExpression',
  'admission.Variable': 'name expression',
  'admission.WebhookClientConfig': 'url service:admission.ServiceReference caBundle',
  'apiext.CustomResourceColumnDefinition': 'name type format description priority jsonPath',
  'apiext.CustomResourceConversion': 'strategy webhook:apiext.WebhookConversion',
  'apiext.CustomResourceDefinition':
    'kind apiVersion metadata:meta.ObjectMeta spec:apiext.CustomResourceDefinitionSpec ' +
    'status:apiext.CustomResourceDefinitionStatus',
  'apiext.CustomResourceDefinitionCondition': 'type status lastTransitionTime:* reason message',
  'apiext.CustomResourceDefinitionNames': 'plural singular shortNames kind listKind categories',
  'apiext.CustomResourceDefinitionSpec':
    'group names:apiext.CustomResourceDefinitionNames scope versions:[]apiext.CustomResourceDefinitionVersion ' +
    'conversion:apiext.CustomResourceConversion preserveUnknownFields',
  'apiext.CustomResourceDefinitionStatus':
    'conditions:[]apiext.CustomResourceDefinitionCondition acceptedNames:apiext.CustomResourceDefinitionNames ' +
    'storedVersions',
  'apiext.CustomResourceDefinitionVersion':
    'name served storage deprecated deprecationWarning schema:apiext.CustomResourceValidation ' +
    'subresources:apiext.CustomResourceSubresources ' +
    'additionalPrinterColumns:[]apiext.CustomResourceColumnDefinition selectableFields:[]apiext.SelectableField',
  'apiext.CustomResourceSubresources': 'status:apiext.CustomResourceSubresourceStatus scale:apiext.CustomResourceSubresourceScale',
  'apiext.CustomResourceSubresourceScale': 'specReplicasPath statusReplicasPath labelSelectorPath',
  'apiext.CustomResourceSubresourceStatus': '',
  'apiext.CustomResourceValidation': 'openAPIV3Schema:apiext.JSONSchemaProps',
  'apiext.ExternalDocumentation': 'description url',
  'apiext.JSONSchemaProps':
    'id $schema $ref description type format title default:* maximum exclusiveMaximum minimum exclusiveMinimum ' +
    'maxLength minLength pattern maxItems minItems uniqueItems multipleOf enum:[]* maxProperties minProperties ' +
    'required items:* allOf:[]apiext.JSONSchemaProps oneOf:[]apiext.JSONSchemaProps anyOf:[]apiext.JSONSchemaProps ' +
    'not:apiext.JSONSchemaProps properties:{}apiext.JSONSchemaProps additionalProperties:* ' +
    'patternProperties:{}apiext.JSONSchemaProps dependencies:{}* additionalItems:* ' +
    'definitions:{}apiext.JSONSchemaProps externalDocs:apiext.ExternalDocumentation example:* nullable ' +
    'x-kubernetes-preserve-unknown-fields x-kubernetes-embedded-resource x-kubernetes-int-or-string ' +
    'x-kubernetes-list-map-keys x-kubernetes-list-type x-kubernetes-map-type ' +
    'x-kubernetes-validations:[]apiext.ValidationRule',
  'apiext.SelectableField': 'jsonPath',
  'apiext.ServiceReference': 'namespace name path port',
  'apiext.ValidationRule': 'rule message messageExpression reason fieldPath optionalOldSelf',
  'apiext.WebhookClientConfig': 'url service:apiext.ServiceReference caBundle',
  'apiext.WebhookConversion': 'clientConfig:apiext.WebhookClientConfig conversionReviewVersions',
  'apps.ControllerRevision': 'kind apiVersion metadata:meta.ObjectMeta data:* revision',
  'apps.DaemonSet': 'kind apiVersion metadata:meta.ObjectMeta spec:apps.DaemonSetSpec status:apps.DaemonSetStatus',
  'apps.DaemonSetCondition': 'type status lastTransitionTime:* reason message',
  'apps.DaemonSetSpec':
    'selector:meta.LabelSelector template:core.PodTemplateSpec updateStrategy:apps.DaemonSetUpdateStrategy ' +
    'minReadySeconds revisionHistoryLimit',
  'apps.DaemonSetStatus':
    'currentNumberScheduled numberMisscheduled desiredNumberScheduled numberReady observedGeneration ' +
    'updatedNumberScheduled numberAvailable numberUnavailable collisionCount conditions:[]apps.DaemonSetCondition',
  'apps.DaemonSetUpdateStrategy': 'type rollingUpdate:apps.RollingUpdateDaemonSet',
  'apps.Deployment': 'kind apiVersion metadata:meta.ObjectMeta spec:apps.DeploymentSpec status:apps.DeploymentStatus',
  'apps.DeploymentCondition': 'type status lastUpdateTime:* lastTransitionTime:* reason message',
  'apps.DeploymentSpec':
    'replicas selector:meta.LabelSelector template:core.PodTemplateSpec strategy:apps.DeploymentStrategy ' +
    'minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds',
  'apps.DeploymentStatus':
    'observedGeneration replicas updatedReplicas readyReplicas availableReplicas unavailableReplicas ' +
    'conditions:[]apps.DeploymentCondition collisionCount',
  'apps.DeploymentStrategy': 'type rollingUpdate:apps.RollingUpdateDeployment',
  'apps.ReplicaSet': 'kind apiVersion metadata:meta.ObjectMeta spec:apps.ReplicaSetSpec status:apps.ReplicaSetStatus',
  'apps.ReplicaSetCondition': 'type status lastTransitionTime:* reason message',
  'apps.ReplicaSetSpec': 'replicas minReadySeconds selector:meta.LabelSelector template:core.PodTemplateSpec',
  'apps.ReplicaSetStatus':
    'replicas fullyLabeledReplicas readyReplicas availableReplicas observedGeneration ' +
    'conditions:[]apps.ReplicaSetCondition',
  'apps.RollingUpdateDaemonSet': 'maxUnavailable maxSurge',
  'apps.RollingUpdateDeployment': 'maxUnavailable maxSurge',
  'apps.RollingUpdateStatefulSetStrategy': 'partition maxUnavailable',
  'apps.StatefulSet': 'kind apiVersion metadata:meta.ObjectMeta spec:apps.StatefulSetSpec status:apps.StatefulSetStatus',
  'apps.StatefulSetCondition': 'type status lastTransitionTime:* reason message',
  'apps.StatefulSetOrdinals': 'start',
  'apps.StatefulSetPersistentVolumeClaimRetentionPolicy': 'whenDeleted whenScaled',
  'apps.StatefulSetSpec':
    'replicas selector:meta.LabelSelector template:core.PodTemplateSpec ' +
    'volumeClaimTemplates:[]core.PersistentVolumeClaim serviceName podManagementPolicy ' +
    'updateStrategy:apps.StatefulSetUpdateStrategy revisionHistoryLimit minReadySeconds ' +
    'persistentVolumeClaimRetentionPolicy:apps.StatefulSetPersistentVolumeClaimRetentionPolicy ' +
    'ordinals:apps.StatefulSetOrdinals',
  'apps.StatefulSetStatus':
    'observedGeneration replicas readyReplicas currentReplicas updatedReplicas currentRevision updateRevision ' +
    'collisionCount conditions:[]apps.StatefulSetCondition availableReplicas',
  'apps.StatefulSetUpdateStrategy': 'type rollingUpdate:apps.RollingUpdateStatefulSetStrategy',
  'autoscaling.ContainerResourceMetricSource': 'name target:autoscaling.MetricTarget container',
  'autoscaling.ContainerResourceMetricStatus': 'name current:autoscaling.MetricValueStatus container',
  'autoscaling.CrossVersionObjectReference': 'kind name apiVersion',
  'autoscaling.ExternalMetricSource': 'metric:autoscaling.MetricIdentifier target:autoscaling.MetricTarget',
  'autoscaling.ExternalMetricStatus': 'metric:autoscaling.MetricIdentifier current:autoscaling.MetricValueStatus',
  'autoscaling.HorizontalPodAutoscaler':
    'kind apiVersion metadata:meta.ObjectMeta spec:autoscaling.HorizontalPodAutoscalerSpec ' +
    'status:autoscaling.HorizontalPodAutoscalerStatus',
  'autoscaling.HorizontalPodAutoscalerBehavior': 'scaleUp:autoscaling.HPAScalingRules scaleDown:autoscaling.HPAScalingRules',
  'autoscaling.HorizontalPodAutoscalerCondition': 'type status lastTransitionTime:* reason message',
  'autoscaling.HorizontalPodAutoscalerSpec':
    'scaleTargetRef:autoscaling.CrossVersionObjectReference minReplicas maxReplicas ' +
    'metrics:[]autoscaling.MetricSpec behavior:autoscaling.HorizontalPodAutoscalerBehavior',
  'autoscaling.HorizontalPodAutoscalerStatus':
    'observedGeneration lastScaleTime:* currentReplicas desiredReplicas currentMetrics:[]autoscaling.MetricStatus ' +
    'conditions:[]autoscaling.HorizontalPodAutoscalerCondition',
  'autoscaling.HPAScalingPolicy': 'type value periodSeconds',
  'autoscaling.HPAScalingRules': 'stabilizationWindowSeconds selectPolicy policies:[]autoscaling.HPAScalingPolicy',
  'autoscaling.MetricIdentifier': 'name selector:meta.LabelSelector',
  'autoscaling.MetricSpec':
    'type object:autoscaling.ObjectMetricSource pods:autoscaling.PodsMetricSource ' +
    'resource:autoscaling.ResourceMetricSource containerResource:autoscaling.ContainerResourceMetricSource ' +
    'external:autoscaling.ExternalMetricSource',
  'autoscaling.MetricStatus':
    'type object:autoscaling.ObjectMetricStatus pods:autoscaling.PodsMetricStatus ' +
    'resource:autoscaling.ResourceMetricStatus containerResource:autoscaling.ContainerResourceMetricStatus ' +
    'external:autoscaling.ExternalMetricStatus',
  'autoscaling.MetricTarget': 'type value averageValue averageUtilization',
  'autoscaling.MetricValueStatus': 'value averageValue averageUtilization',
  'autoscaling.ObjectMetricSource':
    'describedObject:autoscaling.CrossVersionObjectReference target:autoscaling.MetricTarget ' +
    'metric:autoscaling.MetricIdentifier',
  'autoscaling.ObjectMetricStatus':
    'metric:autoscaling.MetricIdentifier current:autoscaling.MetricValueStatus ' +
    'describedObject:autoscaling.CrossVersionObjectReference',
  'autoscaling.PodsMetricSource': 'metric:autoscaling.MetricIdentifier target:autoscaling.MetricTarget',
  'autoscaling.PodsMetricStatus': 'metric:autoscaling.MetricIdentifier current:autoscaling.MetricValueStatus',
  'autoscaling.ResourceMetricSource': 'name target:autoscaling.MetricTarget',
  'autoscaling.ResourceMetricStatus': 'name current:autoscaling.MetricValueStatus',
  'autoscalingv1.CrossVersionObjectReference': 'kind name apiVersion',
  'autoscalingv1.HorizontalPodAutoscaler':
    'kind apiVersion metadata:meta.ObjectMeta spec:autoscalingv1.HorizontalPodAutoscalerSpec ' +
    'status:autoscalingv1.HorizontalPodAutoscalerStatus',
  'autoscalingv1.HorizontalPodAutoscalerSpec':
    'scaleTargetRef:autoscalingv1.CrossVersionObjectReference minReplicas maxReplicas ' +
    'targetCPUUtilizationPercentage',
  'autoscalingv1.HorizontalPodAutoscalerStatus': 'observedGeneration lastScaleTime:* currentReplicas desiredReplicas currentCPUUtilizationPercentage',
  'batch.CronJob': 'kind apiVersion metadata:meta.ObjectMeta spec:batch.CronJobSpec status:batch.CronJobStatus',
  'batch.CronJobSpec':
    'schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend jobTemplate:batch.JobTemplateSpec ' +
    'successfulJobsHistoryLimit failedJobsHistoryLimit',
  'batch.CronJobStatus': 'active:[]core.ObjectReference lastScheduleTime:* lastSuccessfulTime:*',
  'batch.Job': 'kind apiVersion metadata:meta.ObjectMeta spec:batch.JobSpec status:batch.JobStatus',
  'batch.JobCondition': 'type status lastProbeTime:* lastTransitionTime:* reason message',
  'batch.JobSpec':
    'parallelism completions activeDeadlineSeconds podFailurePolicy:batch.PodFailurePolicy ' +
    'successPolicy:batch.SuccessPolicy backoffLimit backoffLimitPerIndex maxFailedIndexes ' +
    'selector:meta.LabelSelector manualSelector template:core.PodTemplateSpec ttlSecondsAfterFinished ' +
    'completionMode suspend podReplacementPolicy managedBy',
  'batch.JobStatus':
    'conditions:[]batch.JobCondition startTime:* completionTime:* active succeeded failed terminating ' +
    'completedIndexes failedIndexes uncountedTerminatedPods:batch.UncountedTerminatedPods ready',
  'batch.JobTemplateSpec': 'metadata:meta.ObjectMeta spec:batch.JobSpec',
  'batch.PodFailurePolicy': 'rules:[]batch.PodFailurePolicyRule',
  'batch.PodFailurePolicyOnExitCodesRequirement': 'containerName operator values',
  'batch.PodFailurePolicyOnPodConditionsPattern': 'type status',
  'batch.PodFailurePolicyRule':
    'action onExitCodes:batch.PodFailurePolicyOnExitCodesRequirement ' +
    'onPodConditions:[]batch.PodFailurePolicyOnPodConditionsPattern',
  'batch.SuccessPolicy': 'rules:[]batch.SuccessPolicyRule',
  'batch.SuccessPolicyRule': 'succeededIndexes succeededCount',
  'batch.UncountedTerminatedPods': 'succeeded failed',
  'coordination.Lease': 'kind apiVersion metadata:meta.ObjectMeta spec:coordination.LeaseSpec',
  'coordination.LeaseSpec': 'holderIdentity leaseDurationSeconds acquireTime:* renewTime:* leaseTransitions strategy preferredHolder',
  'core.Affinity': 'nodeAffinity:core.NodeAffinity podAffinity:core.PodAffinity podAntiAffinity:core.PodAntiAffinity',
  'core.AppArmorProfile': 'type localhostProfile',
  'core.AttachedVolume': 'name devicePath',
  'core.AWSElasticBlockStoreVolumeSource': 'volumeID fsType partition readOnly',
  'core.AzureDiskVolumeSource': 'diskName diskURI cachingMode fsType readOnly kind',
  'core.AzureFilePersistentVolumeSource': 'secretName shareName readOnly secretNamespace',
  'core.AzureFileVolumeSource': 'secretName shareName readOnly',
  'core.Capabilities': 'add drop',
  'core.CephFSPersistentVolumeSource': 'monitors path user secretFile secretRef:core.SecretReference readOnly',
  'core.CephFSVolumeSource': 'monitors path user secretFile secretRef:core.LocalObjectReference readOnly',
  'core.CinderPersistentVolumeSource': 'volumeID fsType readOnly secretRef:core.SecretReference',
  'core.CinderVolumeSource': 'volumeID fsType readOnly secretRef:core.LocalObjectReference',
  'core.ClientIPConfig': 'timeoutSeconds',
  'core.ClusterTrustBundleProjection': 'name signerName labelSelector:meta.LabelSelector optional path',
  'core.ConfigMap': 'kind apiVersion metadata:meta.ObjectMeta immutable data binaryData',
  'core.ConfigMapEnvSource': 'name optional',
  'core.ConfigMapKeySelector': 'name key optional',
  'core.ConfigMapNodeConfigSource': 'namespace name uid resourceVersion kubeletConfigKey',
  'core.ConfigMapProjection': 'name items:[]core.KeyToPath optional',
  'core.ConfigMapVolumeSource': 'name items:[]core.KeyToPath defaultMode optional',
  'core.Container':
    'name image command args workingDir ports:[]core.ContainerPort envFrom:[]core.EnvFromSource env:[]core.EnvVar ' +
    'resources:core.ResourceRequirements resizePolicy:[]core.ContainerResizePolicy restartPolicy ' +
    'volumeMounts:[]core.VolumeMount volumeDevices:[]core.VolumeDevice livenessProbe:core.Probe ' +
    'readinessProbe:core.Probe startupProbe:core.Probe lifecycle:core.Lifecycle terminationMessagePath ' +
    'terminationMessagePolicy imagePullPolicy securityContext:core.SecurityContext stdin stdinOnce tty',
  'core.ContainerImage': 'names sizeBytes',
  'core.ContainerPort': 'name hostPort containerPort protocol hostIP',
  'core.ContainerResizePolicy': 'resourceName restartPolicy',
  'core.ContainerState': 'waiting:core.ContainerStateWaiting running:core.ContainerStateRunning terminated:core.ContainerStateTerminated',
  'core.ContainerStateRunning': 'startedAt:*',
  'core.ContainerStateTerminated': 'exitCode signal reason message startedAt:* finishedAt:* containerID',
  'core.ContainerStateWaiting': 'reason message',
  'core.ContainerStatus':
    'name state:core.ContainerState lastState:core.ContainerState ready restartCount image imageID containerID ' +
    'started allocatedResources resources:core.ResourceRequirements volumeMounts:[]core.VolumeMountStatus ' +
    'user:core.ContainerUser allocatedResourcesStatus:[]core.ResourceStatus',
  'core.ContainerUser': 'linux:core.LinuxContainerUser',
  'core.CSIPersistentVolumeSource':
    'driver volumeHandle readOnly fsType volumeAttributes controllerPublishSecretRef:core.SecretReference ' +
    'nodeStageSecretRef:core.SecretReference nodePublishSecretRef:core.SecretReference ' +
    'controllerExpandSecretRef:core.SecretReference nodeExpandSecretRef:core.SecretReference',
  'core.CSIVolumeSource': 'driver readOnly fsType volumeAttributes nodePublishSecretRef:core.LocalObjectReference',
  'core.DaemonEndpoint': 'Port',
  'core.DownwardAPIProjection': 'items:[]core.DownwardAPIVolumeFile',
  'core.DownwardAPIVolumeFile': 'path fieldRef:core.ObjectFieldSelector resourceFieldRef:core.ResourceFieldSelector mode',
  'core.DownwardAPIVolumeSource': 'items:[]core.DownwardAPIVolumeFile defaultMode',
  'core.EmptyDirVolumeSource': 'medium sizeLimit',
  'core.EndpointAddress': 'ip hostname nodeName targetRef:core.ObjectReference',
  'core.EndpointPort': 'name port protocol appProtocol',
  'core.Endpoints': 'kind apiVersion metadata:meta.ObjectMeta subsets:[]core.EndpointSubset',
  'core.EndpointSubset': 'addresses:[]core.EndpointAddress notReadyAddresses:[]core.EndpointAddress ports:[]core.EndpointPort',
  'core.EnvFromSource': 'prefix configMapRef:core.ConfigMapEnvSource secretRef:core.SecretEnvSource',
  'core.EnvVar': 'name value valueFrom:core.EnvVarSource',
  'core.EnvVarSource':
    'fieldRef:core.ObjectFieldSelector resourceFieldRef:core.ResourceFieldSelector ' +
    'configMapKeyRef:core.ConfigMapKeySelector secretKeyRef:core.SecretKeySelector',
  'core.EphemeralContainer':
    'name image command args workingDir ports:[]core.ContainerPort envFrom:[]core.EnvFromSource env:[]core.EnvVar ' +
    'resources:core.ResourceRequirements resizePolicy:[]core.ContainerResizePolicy restartPolicy ' +
    'volumeMounts:[]core.VolumeMount volumeDevices:[]core.VolumeDevice livenessProbe:core.Probe ' +
    'readinessProbe:core.Probe startupProbe:core.Probe lifecycle:core.Lifecycle terminationMessagePath ' +
    'terminationMessagePolicy imagePullPolicy securityContext:core.SecurityContext stdin stdinOnce tty ' +
    'targetContainerName',
  'core.EphemeralVolumeSource': 'volumeClaimTemplate:core.PersistentVolumeClaimTemplate',
  'core.Event':
    'kind apiVersion metadata:meta.ObjectMeta involvedObject:core.ObjectReference reason message ' +
    'source:core.EventSource firstTimestamp:* lastTimestamp:* count type eventTime:* series:core.EventSeries action ' +
    'related:core.ObjectReference reportingComponent reportingInstance',
  'core.EventSeries': 'count lastObservedTime:*',
  'core.EventSource': 'component host',
  'core.ExecAction': 'command',
  'core.FCVolumeSource': 'targetWWNs lun fsType readOnly wwids',
  'core.FlexPersistentVolumeSource': 'driver fsType secretRef:core.SecretReference readOnly options',
  'core.FlexVolumeSource': 'driver fsType secretRef:core.LocalObjectReference readOnly options',
  'core.FlockerVolumeSource': 'datasetName datasetUUID',
  'core.GCEPersistentDiskVolumeSource': 'pdName fsType partition readOnly',
  'core.GitRepoVolumeSource': 'repository revision directory',
  'core.GlusterfsPersistentVolumeSource': 'endpoints path readOnly endpointsNamespace',
  'core.GlusterfsVolumeSource': 'endpoints path readOnly',
  'core.GRPCAction': 'port service',
  'core.HostAlias': 'ip hostnames',
  'core.HostIP': 'ip',
  'core.HostPathVolumeSource': 'path type',
  'core.HTTPGetAction': 'path port host scheme httpHeaders:[]core.HTTPHeader',
  'core.HTTPHeader': 'name value',
  'core.ImageVolumeSource': 'reference pullPolicy',
  'core.ISCSIPersistentVolumeSource':
    'targetPortal iqn lun iscsiInterface fsType readOnly portals chapAuthDiscovery chapAuthSession ' +
    'secretRef:core.SecretReference initiatorName',
  'core.ISCSIVolumeSource':
    'targetPortal iqn lun iscsiInterface fsType readOnly portals chapAuthDiscovery chapAuthSession ' +
    'secretRef:core.LocalObjectReference initiatorName',
  'core.KeyToPath': 'key path mode',
  'core.Lifecycle': 'postStart:core.LifecycleHandler preStop:core.LifecycleHandler',
  'core.LifecycleHandler': 'exec:core.ExecAction httpGet:core.HTTPGetAction tcpSocket:core.TCPSocketAction sleep:core.SleepAction',
  'core.LimitRange': 'kind apiVersion metadata:meta.ObjectMeta spec:core.LimitRangeSpec',
  'core.LimitRangeItem': 'type max min default defaultRequest maxLimitRequestRatio',
  'core.LimitRangeSpec': 'limits:[]core.LimitRangeItem',
  'core.LinuxContainerUser': 'uid gid supplementalGroups',
  'core.LoadBalancerIngress': 'ip hostname ipMode ports:[]core.PortStatus',
  'core.LoadBalancerStatus': 'ingress:[]core.LoadBalancerIngress',
  'core.LocalObjectReference': 'name',
  'core.LocalVolumeSource': 'path fsType',
  'core.ModifyVolumeStatus': 'targetVolumeAttributesClassName status',
  'core.Namespace': 'kind apiVersion metadata:meta.ObjectMeta spec:core.NamespaceSpec status:core.NamespaceStatus',
  'core.NamespaceCondition': 'type status lastTransitionTime:* reason message',
  'core.NamespaceSpec': 'finalizers',
  'core.NamespaceStatus': 'phase conditions:[]core.NamespaceCondition',
  'core.NFSVolumeSource': 'server path readOnly',
  'core.Node': 'kind apiVersion metadata:meta.ObjectMeta spec:core.NodeSpec status:core.NodeStatus',
  'core.NodeAddress': 'type address',
  'core.NodeAffinity':
    'requiredDuringSchedulingIgnoredDuringExecution:core.NodeSelector ' +
    'preferredDuringSchedulingIgnoredDuringExecution:[]core.PreferredSchedulingTerm',
  'core.NodeCondition': 'type status lastHeartbeatTime:* lastTransitionTime:* reason message',
  'core.NodeConfigSource': 'configMap:core.ConfigMapNodeConfigSource',
  'core.NodeConfigStatus': 'assigned:core.NodeConfigSource active:core.NodeConfigSource lastKnownGood:core.NodeConfigSource error',
  'core.NodeDaemonEndpoints': 'kubeletEndpoint:core.DaemonEndpoint',
  'core.NodeFeatures': 'supplementalGroupsPolicy',
  'core.NodeRuntimeHandler': 'name features:core.NodeRuntimeHandlerFeatures',
  'core.NodeRuntimeHandlerFeatures': 'recursiveReadOnlyMounts userNamespaces',
  'core.NodeSelector': 'nodeSelectorTerms:[]core.NodeSelectorTerm',
  'core.NodeSelectorRequirement': 'key operator values',
  'core.NodeSelectorTerm': 'matchExpressions:[]core.NodeSelectorRequirement matchFields:[]core.NodeSelectorRequirement',
  'core.NodeSpec': 'podCIDR podCIDRs providerID unschedulable taints:[]core.Taint configSource:core.NodeConfigSource externalID',
  'core.NodeStatus':
    'capacity allocatable phase conditions:[]core.NodeCondition addresses:[]core.NodeAddress ' +
    'daemonEndpoints:core.NodeDaemonEndpoints nodeInfo:core.NodeSystemInfo images:[]core.ContainerImage ' +
    'volumesInUse volumesAttached:[]core.AttachedVolume config:core.NodeConfigStatus ' +
    'runtimeHandlers:[]core.NodeRuntimeHandler features:core.NodeFeatures',
  'core.NodeSystemInfo':
    'machineID systemUUID bootID kernelVersion osImage containerRuntimeVersion kubeletVersion kubeProxyVersion ' +
    'operatingSystem architecture',
  'core.ObjectFieldSelector': 'apiVersion fieldPath',
  'core.ObjectReference': 'kind namespace name uid apiVersion resourceVersion fieldPath',
  'core.PersistentVolume': 'kind apiVersion metadata:meta.ObjectMeta spec:core.PersistentVolumeSpec status:core.PersistentVolumeStatus',
  'core.PersistentVolumeClaim':
    'kind apiVersion metadata:meta.ObjectMeta spec:core.PersistentVolumeClaimSpec ' +
    'status:core.PersistentVolumeClaimStatus',
  'core.PersistentVolumeClaimCondition': 'type status lastProbeTime:* lastTransitionTime:* reason message',
  'core.PersistentVolumeClaimSpec':
    'accessModes selector:meta.LabelSelector resources:core.VolumeResourceRequirements volumeName storageClassName ' +
    'volumeMode dataSource:core.TypedLocalObjectReference dataSourceRef:core.TypedObjectReference ' +
    'volumeAttributesClassName',
  'core.PersistentVolumeClaimStatus':
    'phase accessModes capacity conditions:[]core.PersistentVolumeClaimCondition allocatedResources ' +
    'allocatedResourceStatuses currentVolumeAttributesClassName modifyVolumeStatus:core.ModifyVolumeStatus',
  'core.PersistentVolumeClaimTemplate': 'metadata:meta.ObjectMeta spec:core.PersistentVolumeClaimSpec',
  'core.PersistentVolumeClaimVolumeSource': 'claimName readOnly',
  'core.PersistentVolumeSpec':
    'capacity gcePersistentDisk:core.GCEPersistentDiskVolumeSource ' +
    'awsElasticBlockStore:core.AWSElasticBlockStoreVolumeSource hostPath:core.HostPathVolumeSource ' +
    'glusterfs:core.GlusterfsPersistentVolumeSource nfs:core.NFSVolumeSource rbd:core.RBDPersistentVolumeSource ' +
    'iscsi:core.ISCSIPersistentVolumeSource cinder:core.CinderPersistentVolumeSource ' +
    'cephfs:core.CephFSPersistentVolumeSource fc:core.FCVolumeSource flocker:core.FlockerVolumeSource ' +
    'flexVolume:core.FlexPersistentVolumeSource azureFile:core.AzureFilePersistentVolumeSource ' +
    'vsphereVolume:core.VsphereVirtualDiskVolumeSource quobyte:core.QuobyteVolumeSource ' +
    'azureDisk:core.AzureDiskVolumeSource photonPersistentDisk:core.PhotonPersistentDiskVolumeSource ' +
    'portworxVolume:core.PortworxVolumeSource scaleIO:core.ScaleIOPersistentVolumeSource ' +
    'local:core.LocalVolumeSource storageos:core.StorageOSPersistentVolumeSource csi:core.CSIPersistentVolumeSource ' +
    'accessModes claimRef:core.ObjectReference persistentVolumeReclaimPolicy storageClassName mountOptions ' +
    'volumeMode nodeAffinity:core.VolumeNodeAffinity volumeAttributesClassName',
  'core.PersistentVolumeStatus': 'phase message reason lastPhaseTransitionTime:*',
  'core.PhotonPersistentDiskVolumeSource': 'pdID fsType',
  'core.Pod': 'kind apiVersion metadata:meta.ObjectMeta spec:core.PodSpec status:core.PodStatus',
  'core.PodAffinity':
    'requiredDuringSchedulingIgnoredDuringExecution:[]core.PodAffinityTerm ' +
    'preferredDuringSchedulingIgnoredDuringExecution:[]core.WeightedPodAffinityTerm',
  'core.PodAffinityTerm':
    'labelSelector:meta.LabelSelector namespaces topologyKey namespaceSelector:meta.LabelSelector matchLabelKeys ' +
    'mismatchLabelKeys',
  'core.PodAntiAffinity':
    'requiredDuringSchedulingIgnoredDuringExecution:[]core.PodAffinityTerm ' +
    'preferredDuringSchedulingIgnoredDuringExecution:[]core.WeightedPodAffinityTerm',
  'core.PodCondition': 'type status lastProbeTime:* lastTransitionTime:* reason message',
  'core.PodDNSConfig': 'nameservers searches options:[]core.PodDNSConfigOption',
  'core.PodDNSConfigOption': 'name value',
  'core.PodIP': 'ip',
  'core.PodOS': 'name',
  'core.PodReadinessGate': 'conditionType',
  'core.PodResourceClaim': 'name resourceClaimName resourceClaimTemplateName',
  'core.PodResourceClaimStatus': 'name resourceClaimName',
  'core.PodSchedulingGate': 'name',
  'core.PodSecurityContext':
    'seLinuxOptions:core.SELinuxOptions windowsOptions:core.WindowsSecurityContextOptions runAsUser runAsGroup ' +
    'runAsNonRoot supplementalGroups supplementalGroupsPolicy fsGroup sysctls:[]core.Sysctl fsGroupChangePolicy ' +
    'seccompProfile:core.SeccompProfile appArmorProfile:core.AppArmorProfile seLinuxChangePolicy',
  'core.PodSpec':
    'volumes:[]core.Volume initContainers:[]core.Container containers:[]core.Container ' +
    'ephemeralContainers:[]core.EphemeralContainer restartPolicy terminationGracePeriodSeconds ' +
    'activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken ' +
    'nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext:core.PodSecurityContext ' +
    'imagePullSecrets:[]core.LocalObjectReference hostname subdomain affinity:core.Affinity schedulerName ' +
    'tolerations:[]core.Toleration hostAliases:[]core.HostAlias priorityClassName priority ' +
    'dnsConfig:core.PodDNSConfig readinessGates:[]core.PodReadinessGate runtimeClassName enableServiceLinks ' +
    'preemptionPolicy overhead topologySpreadConstraints:[]core.TopologySpreadConstraint setHostnameAsFQDN ' +
    'os:core.PodOS hostUsers schedulingGates:[]core.PodSchedulingGate resourceClaims:[]core.PodResourceClaim ' +
    'resources:core.ResourceRequirements',
  'core.PodStatus':
    'phase conditions:[]core.PodCondition message reason nominatedNodeName hostIP hostIPs:[]core.HostIP podIP ' +
    'podIPs:[]core.PodIP startTime:* initContainerStatuses:[]core.ContainerStatus ' +
    'containerStatuses:[]core.ContainerStatus qosClass ephemeralContainerStatuses:[]core.ContainerStatus resize ' +
    'resourceClaimStatuses:[]core.PodResourceClaimStatus',
  'core.PodTemplate': 'kind apiVersion metadata:meta.ObjectMeta template:core.PodTemplateSpec',
  'core.PodTemplateSpec': 'metadata:meta.ObjectMeta spec:core.PodSpec',
  'core.PortStatus': 'port protocol error',
  'core.PortworxVolumeSource': 'volumeID fsType readOnly',
  'core.PreferredSchedulingTerm': 'weight preference:core.NodeSelectorTerm',
  'core.Probe':
    'exec:core.ExecAction httpGet:core.HTTPGetAction tcpSocket:core.TCPSocketAction grpc:core.GRPCAction ' +
    'initialDelaySeconds timeoutSeconds periodSeconds successThreshold failureThreshold ' +
    'terminationGracePeriodSeconds',
  'core.ProjectedVolumeSource': 'sources:[]core.VolumeProjection defaultMode',
  'core.QuobyteVolumeSource': 'registry volume readOnly user group tenant',
  'core.RBDPersistentVolumeSource': 'monitors image fsType pool user keyring secretRef:core.SecretReference readOnly',
  'core.RBDVolumeSource': 'monitors image fsType pool user keyring secretRef:core.LocalObjectReference readOnly',
  'core.ReplicationController':
    'kind apiVersion metadata:meta.ObjectMeta spec:core.ReplicationControllerSpec ' +
    'status:core.ReplicationControllerStatus',
  'core.ReplicationControllerCondition': 'type status lastTransitionTime:* reason message',
  'core.ReplicationControllerSpec': 'replicas minReadySeconds selector template:core.PodTemplateSpec',
  'core.ReplicationControllerStatus':
    'replicas fullyLabeledReplicas readyReplicas availableReplicas observedGeneration ' +
    'conditions:[]core.ReplicationControllerCondition',
  'core.ResourceClaim': 'name request',
  'core.ResourceFieldSelector': 'containerName resource divisor',
  'core.ResourceHealth': 'resourceID health',
  'core.ResourceQuota': 'kind apiVersion metadata:meta.ObjectMeta spec:core.ResourceQuotaSpec status:core.ResourceQuotaStatus',
  'core.ResourceQuotaSpec': 'hard scopes scopeSelector:core.ScopeSelector',
  'core.ResourceQuotaStatus': 'hard used',
  'core.ResourceRequirements': 'limits requests claims:[]core.ResourceClaim',
  'core.ResourceStatus': 'name resources:[]core.ResourceHealth',
  'core.ScaleIOPersistentVolumeSource':
    'gateway system secretRef:core.SecretReference sslEnabled protectionDomain storagePool storageMode volumeName ' +
    'fsType readOnly',
  'core.ScaleIOVolumeSource':
    'gateway system secretRef:core.LocalObjectReference sslEnabled protectionDomain storagePool storageMode ' +
    'volumeName fsType readOnly',
  'core.ScopedResourceSelectorRequirement': 'scopeName operator values',
  'core.ScopeSelector': 'matchExpressions:[]core.ScopedResourceSelectorRequirement',
  'core.SeccompProfile': 'type localhostProfile',
  'core.Secret': 'kind apiVersion metadata:meta.ObjectMeta immutable data stringData type',
  'core.SecretEnvSource': 'name optional',
  'core.SecretKeySelector': 'name key optional',
  'core.SecretProjection': 'name items:[]core.KeyToPath optional',
  'core.SecretReference': 'name namespace',
  'core.SecretVolumeSource': 'secretName items:[]core.KeyToPath defaultMode optional',
  'core.SecurityContext':
    'capabilities:core.Capabilities privileged seLinuxOptions:core.SELinuxOptions ' +
    'windowsOptions:core.WindowsSecurityContextOptions runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem ' +
    'allowPrivilegeEscalation procMount seccompProfile:core.SeccompProfile appArmorProfile:core.AppArmorProfile',
  'core.SELinuxOptions': 'user role type level',
  'core.Service': 'kind apiVersion metadata:meta.ObjectMeta spec:core.ServiceSpec status:core.ServiceStatus',
  'core.ServiceAccount':
    'kind apiVersion metadata:meta.ObjectMeta secrets:[]core.ObjectReference ' +
    'imagePullSecrets:[]core.LocalObjectReference automountServiceAccountToken',
  'core.ServiceAccountTokenProjection': 'audience expirationSeconds path',
  'core.ServicePort': 'name protocol appProtocol port targetPort nodePort',
  'core.ServiceSpec':
    'ports:[]core.ServicePort selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP ' +
    'loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses ' +
    'sessionAffinityConfig:core.SessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts ' +
    'loadBalancerClass internalTrafficPolicy trafficDistribution',
  'core.ServiceStatus': 'loadBalancer:core.LoadBalancerStatus conditions:[]meta.Condition',
  'core.SessionAffinityConfig': 'clientIP:core.ClientIPConfig',
  'core.SleepAction': 'seconds',
  'core.StorageOSPersistentVolumeSource': 'volumeName volumeNamespace fsType readOnly secretRef:core.ObjectReference',
  'core.StorageOSVolumeSource': 'volumeName volumeNamespace fsType readOnly secretRef:core.LocalObjectReference',
  'core.Sysctl': 'name value',
  'core.Taint': 'key value effect timeAdded:*',
  'core.TCPSocketAction': 'port host',
  'core.Toleration': 'key operator value effect tolerationSeconds',
  'core.TopologySelectorLabelRequirement': 'key values',
  'core.TopologySelectorTerm': 'matchLabelExpressions:[]core.TopologySelectorLabelRequirement',
  'core.TopologySpreadConstraint':
    'maxSkew topologyKey whenUnsatisfiable labelSelector:meta.LabelSelector minDomains nodeAffinityPolicy ' +
    'nodeTaintsPolicy matchLabelKeys',
  'core.TypedLocalObjectReference': 'apiGroup kind name',
  'core.TypedObjectReference': 'apiGroup kind name namespace',
  'core.Volume':
    'name hostPath:core.HostPathVolumeSource emptyDir:core.EmptyDirVolumeSource ' +
    'gcePersistentDisk:core.GCEPersistentDiskVolumeSource ' +
    'awsElasticBlockStore:core.AWSElasticBlockStoreVolumeSource gitRepo:core.GitRepoVolumeSource ' +
    'secret:core.SecretVolumeSource nfs:core.NFSVolumeSource iscsi:core.ISCSIVolumeSource ' +
    'glusterfs:core.GlusterfsVolumeSource persistentVolumeClaim:core.PersistentVolumeClaimVolumeSource ' +
    'rbd:core.RBDVolumeSource flexVolume:core.FlexVolumeSource cinder:core.CinderVolumeSource ' +
    'cephfs:core.CephFSVolumeSource flocker:core.FlockerVolumeSource downwardAPI:core.DownwardAPIVolumeSource ' +
    'fc:core.FCVolumeSource azureFile:core.AzureFileVolumeSource configMap:core.ConfigMapVolumeSource ' +
    'vsphereVolume:core.VsphereVirtualDiskVolumeSource quobyte:core.QuobyteVolumeSource ' +
    'azureDisk:core.AzureDiskVolumeSource photonPersistentDisk:core.PhotonPersistentDiskVolumeSource ' +
    'projected:core.ProjectedVolumeSource portworxVolume:core.PortworxVolumeSource scaleIO:core.ScaleIOVolumeSource ' +
    'storageos:core.StorageOSVolumeSource csi:core.CSIVolumeSource ephemeral:core.EphemeralVolumeSource ' +
    'image:core.ImageVolumeSource',
  'core.VolumeDevice': 'name devicePath',
  'core.VolumeMount': 'name readOnly recursiveReadOnly mountPath subPath mountPropagation subPathExpr',
  'core.VolumeMountStatus': 'name mountPath readOnly recursiveReadOnly',
  'core.VolumeNodeAffinity': 'required:core.NodeSelector',
  'core.VolumeProjection':
    'secret:core.SecretProjection downwardAPI:core.DownwardAPIProjection configMap:core.ConfigMapProjection ' +
    'serviceAccountToken:core.ServiceAccountTokenProjection clusterTrustBundle:core.ClusterTrustBundleProjection',
  'core.VolumeResourceRequirements': 'limits requests',
  'core.VsphereVirtualDiskVolumeSource': 'volumePath fsType storagePolicyName storagePolicyID',
  'core.WeightedPodAffinityTerm': 'weight podAffinityTerm:core.PodAffinityTerm',
  'core.WindowsSecurityContextOptions': 'gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess',
  'discovery.Endpoint':
    'addresses conditions:discovery.EndpointConditions hostname targetRef:core.ObjectReference deprecatedTopology ' +
    'nodeName zone hints:discovery.EndpointHints',
  'discovery.EndpointConditions': 'ready serving terminating',
  'discovery.EndpointHints': 'forZones:[]discovery.ForZone',
  'discovery.EndpointPort': 'name protocol port appProtocol',
  'discovery.EndpointSlice':
    'kind apiVersion metadata:meta.ObjectMeta addressType endpoints:[]discovery.Endpoint ' +
    'ports:[]discovery.EndpointPort',
  'discovery.ForZone': 'name',
  'meta.Condition': 'type status observedGeneration lastTransitionTime:* reason message',
  'meta.LabelSelector': 'matchLabels matchExpressions:[]meta.LabelSelectorRequirement',
  'meta.LabelSelectorRequirement': 'key operator values',
  'meta.ManagedFieldsEntry': 'manager operation apiVersion time:* fieldsType fieldsV1:* subresource',
  'meta.ObjectMeta':
    'name generateName namespace selfLink uid resourceVersion generation creationTimestamp:* deletionTimestamp:* ' +
    'deletionGracePeriodSeconds labels annotations ownerReferences:[]meta.OwnerReference finalizers ' +
    'managedFields:[]meta.ManagedFieldsEntry',
  'meta.OwnerReference': 'apiVersion kind name uid controller blockOwnerDeletion',
  'networking.HTTPIngressPath': 'path pathType backend:networking.IngressBackend',
  'networking.HTTPIngressRuleValue': 'paths:[]networking.HTTPIngressPath',
  'networking.Ingress': 'kind apiVersion metadata:meta.ObjectMeta spec:networking.IngressSpec status:networking.IngressStatus',
  'networking.IngressBackend': 'service:networking.IngressServiceBackend resource:core.TypedLocalObjectReference',
  'networking.IngressClass': 'kind apiVersion metadata:meta.ObjectMeta spec:networking.IngressClassSpec',
  'networking.IngressClassParametersReference': 'apiGroup kind name scope namespace',
  'networking.IngressClassSpec': 'controller parameters:networking.IngressClassParametersReference',
  'networking.IngressLoadBalancerIngress': 'ip hostname ports:[]networking.IngressPortStatus',
  'networking.IngressLoadBalancerStatus': 'ingress:[]networking.IngressLoadBalancerIngress',
  'networking.IngressPortStatus': 'port protocol error',
  'networking.IngressRule': 'host http:networking.HTTPIngressRuleValue',
  'networking.IngressServiceBackend': 'name port:networking.ServiceBackendPort',
  'networking.IngressSpec':
    'ingressClassName defaultBackend:networking.IngressBackend tls:[]networking.IngressTLS ' +
    'rules:[]networking.IngressRule',
  'networking.IngressStatus': 'loadBalancer:networking.IngressLoadBalancerStatus',
  'networking.IngressTLS': 'hosts secretName',
  'networking.IPBlock': 'cidr except',
  'networking.NetworkPolicy': 'kind apiVersion metadata:meta.ObjectMeta spec:networking.NetworkPolicySpec',
  'networking.NetworkPolicyEgressRule': 'ports:[]networking.NetworkPolicyPort to:[]networking.NetworkPolicyPeer',
  'networking.NetworkPolicyIngressRule': 'ports:[]networking.NetworkPolicyPort from:[]networking.NetworkPolicyPeer',
  'networking.NetworkPolicyPeer': 'podSelector:meta.LabelSelector namespaceSelector:meta.LabelSelector ipBlock:networking.IPBlock',
  'networking.NetworkPolicyPort': 'protocol port endPort',
  'networking.NetworkPolicySpec':
    'podSelector:meta.LabelSelector ingress:[]networking.NetworkPolicyIngressRule ' +
    'egress:[]networking.NetworkPolicyEgressRule policyTypes',
  'networking.ServiceBackendPort': 'name number',
  'policy.PodDisruptionBudget':
    'kind apiVersion metadata:meta.ObjectMeta spec:policy.PodDisruptionBudgetSpec ' +
    'status:policy.PodDisruptionBudgetStatus',
  'policy.PodDisruptionBudgetSpec': 'minAvailable selector:meta.LabelSelector maxUnavailable unhealthyPodEvictionPolicy',
  'policy.PodDisruptionBudgetStatus':
    'observedGeneration disruptedPods:{}* disruptionsAllowed currentHealthy desiredHealthy expectedPods ' +
    'conditions:[]meta.Condition',
  'rbac.AggregationRule': 'clusterRoleSelectors:[]meta.LabelSelector',
  'rbac.ClusterRole': 'kind apiVersion metadata:meta.ObjectMeta rules:[]rbac.PolicyRule aggregationRule:rbac.AggregationRule',
  'rbac.ClusterRoleBinding': 'kind apiVersion metadata:meta.ObjectMeta subjects:[]rbac.Subject roleRef:rbac.RoleRef',
  'rbac.PolicyRule': 'verbs apiGroups resources resourceNames nonResourceURLs',
  'rbac.Role': 'kind apiVersion metadata:meta.ObjectMeta rules:[]rbac.PolicyRule',
  'rbac.RoleBinding': 'kind apiVersion metadata:meta.ObjectMeta subjects:[]rbac.Subject roleRef:rbac.RoleRef',
  'rbac.RoleRef': 'apiGroup kind name',
  'rbac.Subject': 'kind apiGroup name namespace',
  'scheduling.PriorityClass': 'kind apiVersion metadata:meta.ObjectMeta value globalDefault description preemptionPolicy',
  'storage.StorageClass':
    'kind apiVersion metadata:meta.ObjectMeta provisioner parameters reclaimPolicy mountOptions ' +
    'allowVolumeExpansion volumeBindingMode allowedTopologies:[]core.TopologySelectorTerm',
};
