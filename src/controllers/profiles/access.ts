// Asking the API server whether a user may do something: a SubjectAccessReview, as KFP's and KFAM's backends ask it
// (KFP: resource_manager.go IsAuthorized). Members of system:masters are allowed without a review.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FloeError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { Client } from '../../client/client.js';
import { forbiddenMessage, type Caller, type ResourceAttributes } from '../../controller/index.js';

export interface AccessDecision {
  allowed: boolean;
  reason?: string;
}

/** Decides one request's attributes for one caller. */
export type AccessReviewer = (caller: Caller, attributes: ResourceAttributes & { version?: string }) => Promise<AccessDecision>;

interface SubjectAccessReview extends KubeObject {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** A reviewer that creates authorization.k8s.io/v1 SubjectAccessReviews through `client` (embedded or on a cluster). */
export function subjectAccessReviewer(client: Client): AccessReviewer {
  return async (caller, attributes) => {
    if (caller.groups.includes('system:masters')) return { allowed: true };
    const resourceAttributes: Record<string, string> = { verb: attributes.verb, group: attributes.group, resource: attributes.resource };
    if (attributes.version) resourceAttributes.version = attributes.version;
    if (attributes.subresource) resourceAttributes.subresource = attributes.subresource;
    if (attributes.namespace) resourceAttributes.namespace = attributes.namespace;
    if (attributes.name) resourceAttributes.name = attributes.name;
    const review = await client.create<SubjectAccessReview>({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: { user: caller.name, groups: caller.groups, resourceAttributes },
    });
    const reason = [review.status?.reason, review.status?.evaluationError].filter(Boolean).join('; ');
    return { allowed: review.status?.allowed === true, ...(reason ? { reason } : {}) };
  };
}

type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, caller: Caller) => Promise<boolean>;

/**
 * A route whose attributes the cluster decides: on a cluster Floe holds no RBAC of its own, so the question goes to
 * the API server as a SubjectAccessReview (members of system:masters pass without one), and a refusal is the 403 the
 * front door gives for a route it authorizes itself.
 */
export function reviewedByCluster(review: AccessReviewer, attributesOf: (req: IncomingMessage, url: URL) => ResourceAttributes, handle: RouteHandler): RouteHandler {
  return async (req, res, url, caller) => {
    const attributes = attributesOf(req, url);
    const decision = await review(caller, attributes);
    if (!decision.allowed) throw new FloeError('Forbidden', forbiddenMessage({ user: caller, ...attributes }, decision.reason));
    return handle(req, res, url, caller);
  };
}
