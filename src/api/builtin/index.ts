// Kubernetes' built-in kinds that Floe serves: names, scope, printers, defaults, validation and field selectors.
import type { ResourceType } from '../resource-type.js';
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
  ];
}
