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
};

export const builtinFieldTypes: Readonly<Record<string, string>> = {
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
  'core.AzureFileVolumeSource': 'secretName shareName readOnly',
  'core.Capabilities': 'add drop',
  'core.CephFSVolumeSource': 'monitors path user secretFile secretRef:core.LocalObjectReference readOnly',
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
  'core.FlexVolumeSource': 'driver fsType secretRef:core.LocalObjectReference readOnly options',
  'core.FlockerVolumeSource': 'datasetName datasetUUID',
  'core.GCEPersistentDiskVolumeSource': 'pdName fsType partition readOnly',
  'core.GitRepoVolumeSource': 'repository revision directory',
  'core.GlusterfsVolumeSource': 'endpoints path readOnly',
  'core.GRPCAction': 'port service',
  'core.HostAlias': 'ip hostnames',
  'core.HostIP': 'ip',
  'core.HostPathVolumeSource': 'path type',
  'core.HTTPGetAction': 'path port host scheme httpHeaders:[]core.HTTPHeader',
  'core.HTTPHeader': 'name value',
  'core.ImageVolumeSource': 'reference pullPolicy',
  'core.ISCSIVolumeSource':
    'targetPortal iqn lun iscsiInterface fsType readOnly portals chapAuthDiscovery chapAuthSession ' +
    'secretRef:core.LocalObjectReference initiatorName',
  'core.KeyToPath': 'key path mode',
  'core.Lifecycle': 'postStart:core.LifecycleHandler preStop:core.LifecycleHandler',
  'core.LifecycleHandler': 'exec:core.ExecAction httpGet:core.HTTPGetAction tcpSocket:core.TCPSocketAction sleep:core.SleepAction',
  'core.LinuxContainerUser': 'uid gid supplementalGroups',
  'core.LoadBalancerIngress': 'ip hostname ipMode ports:[]core.PortStatus',
  'core.LoadBalancerStatus': 'ingress:[]core.LoadBalancerIngress',
  'core.LocalObjectReference': 'name',
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
  'core.RBDVolumeSource': 'monitors image fsType pool user keyring secretRef:core.LocalObjectReference readOnly',
  'core.ResourceClaim': 'name request',
  'core.ResourceFieldSelector': 'containerName resource divisor',
  'core.ResourceHealth': 'resourceID health',
  'core.ResourceRequirements': 'limits requests claims:[]core.ResourceClaim',
  'core.ResourceStatus': 'name resources:[]core.ResourceHealth',
  'core.ScaleIOVolumeSource':
    'gateway system secretRef:core.LocalObjectReference sslEnabled protectionDomain storagePool storageMode ' +
    'volumeName fsType readOnly',
  'core.SeccompProfile': 'type localhostProfile',
  'core.Secret': 'kind apiVersion metadata:meta.ObjectMeta immutable data stringData type',
  'core.SecretEnvSource': 'name optional',
  'core.SecretKeySelector': 'name key optional',
  'core.SecretProjection': 'name items:[]core.KeyToPath optional',
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
  'core.StorageOSVolumeSource': 'volumeName volumeNamespace fsType readOnly secretRef:core.LocalObjectReference',
  'core.Sysctl': 'name value',
  'core.Taint': 'key value effect timeAdded:*',
  'core.TCPSocketAction': 'port host',
  'core.Toleration': 'key operator value effect tolerationSeconds',
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
};
