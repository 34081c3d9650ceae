// authorization.k8s.io/v1 SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview and
// authentication.k8s.io/v1 SelfSubjectReview: create-only review kinds answered by the authorizer (what `kubectl auth can-i` and
// `kubectl auth whoami` send).
import { fieldErrors, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceType, ReviewUser } from '../../api/resource-type.js';
import { builtinType } from '../../api/builtin/builtin-type.js';
import type { AuthorizationAttributes, Authorizer } from '../../server/auth.js';
import type { UserRules } from './authorizer.js';

interface ResourceAttributesSpec {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

interface NonResourceAttributesSpec {
  path?: string;
  verb?: string;
}

interface AccessReviewSpec {
  resourceAttributes?: ResourceAttributesSpec | null;
  nonResourceAttributes?: NonResourceAttributesSpec | null;
  user?: string;
  groups?: string[] | null;
  extra?: Record<string, string[]> | null;
  uid?: string;
}

export interface ReviewDependencies {
  authorizer: Authorizer;
  /** The rules a user holds in a namespace (SelfSubjectRulesReview). */
  rulesFor: (user: ReviewUser, namespace: string | undefined) => UserRules;
}

function specOf(object: KubeObject): AccessReviewSpec {
  const spec = object.spec;
  return spec && typeof spec === 'object' && !Array.isArray(spec) ? (spec) : {};
}

/** ValidateSubjectAccessReviewSpec's "exactly one" rule. */
function attributeErrors(spec: AccessReviewSpec): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    errs.push(fieldErrors.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  }
  return errs;
}

/** The decision for the spec's attributes on behalf of `user`, as the review status kube-apiserver returns. */
function decide(authorizer: Authorizer, user: ReviewUser, spec: AccessReviewSpec): Record<string, unknown> {
  const attributes: AuthorizationAttributes = { user: { name: user.name, groups: user.groups }, verb: '', group: '', resource: '' };
  if (user.uid !== undefined) attributes.user.uid = user.uid;
  if (user.extra !== undefined) attributes.user.extra = user.extra;
  if (spec.nonResourceAttributes) {
    attributes.verb = spec.nonResourceAttributes.verb ?? '';
    attributes.path = spec.nonResourceAttributes.path ?? '';
  } else {
    const r = spec.resourceAttributes ?? {};
    attributes.verb = r.verb ?? '';
    attributes.group = r.group ?? '';
    attributes.resource = r.resource ?? '';
    if (r.subresource) attributes.subresource = r.subresource;
    if (r.namespace) attributes.namespace = r.namespace;
    if (r.name) attributes.name = r.name;
  }
  const decision = authorizer.authorize(attributes);
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return status;
}

function reviewKind(group: string, kind: string, plural: string, namespaced: boolean, options: Partial<ResourceType>): ResourceType {
  return builtinType({ group, version: 'v1', kind, plural, namespaced, verbs: ['create'], ...options });
}

export function authorizationReviewTypes(deps: ReviewDependencies): ResourceType[] {
  const authz = 'authorization.k8s.io';
  return [
    reviewKind(authz, 'SubjectAccessReview', 'subjectaccessreviews', false, {
      validate: (o) => {
        const spec = specOf(o);
        const errs = attributeErrors(spec);
        if (!spec.user && (spec.groups ?? []).length === 0) errs.push(fieldErrors.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'));
        return errs;
      },
      review: (_request, object) => {
        const spec = specOf(object);
        const user: ReviewUser = { name: spec.user ?? '', groups: spec.groups ?? [] };
        if (spec.uid) user.uid = spec.uid;
        if (spec.extra) user.extra = spec.extra;
        object.status = decide(deps.authorizer, user, spec);
        return object;
      },
    }),
    reviewKind(authz, 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true, {
      validate: (o) => {
        const spec = specOf(o);
        const errs = attributeErrors(spec);
        if (!spec.user && (spec.groups ?? []).length === 0) errs.push(fieldErrors.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'));
        if (spec.nonResourceAttributes) errs.push(fieldErrors.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
        const ns = spec.resourceAttributes?.namespace ?? '';
        if (spec.resourceAttributes && ns !== o.metadata.namespace) {
          errs.push(fieldErrors.invalid('spec.resourceAttributes.namespace', ns, 'must match metadata.namespace'));
        }
        return errs;
      },
      review: (_request, object) => {
        const spec = specOf(object);
        const user: ReviewUser = { name: spec.user ?? '', groups: spec.groups ?? [] };
        if (spec.uid) user.uid = spec.uid;
        if (spec.extra) user.extra = spec.extra;
        object.status = decide(deps.authorizer, user, spec);
        return object;
      },
    }),
    reviewKind(authz, 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, {
      validate: (o) => attributeErrors(specOf(o)),
      review: (request, object) => {
        object.status = decide(deps.authorizer, request.user, specOf(object));
        return object;
      },
    }),
    reviewKind(authz, 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, {
      review: (request, object) => {
        const spec = (object.spec ?? {}) as { namespace?: string };
        const { rules, errors } = deps.rulesFor(request.user, spec.namespace || undefined);
        const resourceRules: Record<string, unknown>[] = [];
        const nonResourceRules: Record<string, unknown>[] = [];
        for (const r of rules) {
          if ((r.nonResourceURLs ?? []).length > 0) {
            nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
            continue;
          }
          const entry: Record<string, unknown> = { verbs: r.verbs };
          if ((r.apiGroups ?? []).length > 0) entry.apiGroups = r.apiGroups;
          if ((r.resources ?? []).length > 0) entry.resources = r.resources;
          if ((r.resourceNames ?? []).length > 0) entry.resourceNames = r.resourceNames;
          resourceRules.push(entry);
        }
        const status: Record<string, unknown> = { resourceRules, nonResourceRules, incomplete: errors.length > 0 };
        if (errors.length > 0) status.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
        object.status = status;
        return object;
      },
    }),
    reviewKind('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews', false, {
      review: (request, object) => {
        const userInfo: Record<string, unknown> = { username: request.user.name, groups: request.user.groups };
        if (request.user.uid) userInfo.uid = request.user.uid;
        if (request.user.extra && Object.keys(request.user.extra).length > 0) userInfo.extra = request.user.extra;
        object.status = { userInfo };
        return object;
      },
    }),
  ];
}
