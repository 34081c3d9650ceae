// Kubernetes' built-in kinds that Floe serves: names, scope, printers, defaults, validation and field selectors.
import type { ResourceType } from '../resource-type.js';
import { horizontalPodAutoscalerTypes } from './autoscaling.js';
import { controllerRevisionType } from './controller-revision.js';
import { cronJobType } from './cron-job.js';
import { daemonSetType } from './daemon-set.js';
import { deploymentType } from './deployment.js';
import { ingressClassType, ingressType, networkPolicyType } from './networking.js';
import { persistentVolumeType } from './persistent-volume.js';
import { podTemplateType } from './pod-template.js';
import { podDisruptionBudgetType } from './policy.js';
import { replicaSetType } from './replica-set.js';
import { replicationControllerType } from './replication-controller.js';
import { priorityClassType } from './scheduling.js';
import { statefulSetType } from './stateful-set.js';
import { storageClassType } from './storage-class.js';
import { mutatingWebhookConfigurationType, validatingAdmissionPolicyBindingType, validatingAdmissionPolicyType, validatingWebhookConfigurationType } from './admission-registration.js';
import { limitRangeType } from './limit-range.js';
import { resourceQuotaType } from './resource-quota.js';
import { configMapType, secretType } from './config-data.js';
import { customResourceDefinitionType } from './custom-resource-definition.js';
import { endpointSliceType } from './endpoint-slice.js';
import { endpointsType } from './endpoints.js';
import { eventType } from './event.js';
import { jobType } from './job.js';
import { leaseType } from './lease.js';
import { namespaceType } from './namespace.js';
import { nodeType } from './node.js';
import { claimType } from './persistent-volume-claim.js';
import { podType } from './pod.js';
import { rbacTypes } from './rbac.js';
import { serviceAccountType } from './service-account.js';
import { serviceType } from './service.js';

export { parseQuantity } from './quantity.js';
export { qosClass, type QosClass } from './pod.js';
export { CompletionIndexAnnotation, JobLabels } from './job.js';

/** One ResourceType per built-in kind, freshly built (callers may keep and change them). */
export function builtinResourceTypes(): ResourceType[] {
  return [
    namespaceType(),
    podType(),
    serviceType(),
    configMapType(),
    secretType(),
    serviceAccountType(),
    claimType(),
    eventType(),
    nodeType(),
    endpointsType(),
    endpointSliceType(),
    leaseType(),
    jobType(),
    customResourceDefinitionType(),
    ...rbacTypes(),
    // Workload and platform kinds (issue 17).
    deploymentType(),
    replicaSetType(),
    statefulSetType(),
    daemonSetType(),
    controllerRevisionType(),
    cronJobType(),
    ...horizontalPodAutoscalerTypes(),
    podDisruptionBudgetType(),
    persistentVolumeType(),
    replicationControllerType(),
    podTemplateType(),
    storageClassType(),
    networkPolicyType(),
    ingressType(),
    ingressClassType(),
    priorityClassType(),
    validatingWebhookConfigurationType(),
    mutatingWebhookConfigurationType(),
    validatingAdmissionPolicyType(),
    validatingAdmissionPolicyBindingType(),
    resourceQuotaType(),
    limitRangeType(),
  ];
}
