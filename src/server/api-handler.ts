// The API handler chain behind every door (HTTP and the in-process Client): authorize → admit → store.
import { randomBytes, randomUUID } from 'node:crypto';
import { errors, FloeError, fieldErrors, type FieldError } from '../api/errors.js';
import { clone, parseApiVersion, type KubeList, type KubeObject, type WatchEvent } from '../api/meta.js';
import { builtinTypeName, objectMetaType, unknownFields } from '../api/builtin/known-fields.js';
import { checkObjectMetaTypes } from '../api/meta-types.js';
import { checkDns1123Label, checkDns1123Subdomain, validateLabelsAndAnnotations } from '../api/names.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../api/patch/index.js';
import type { ResourceRegistry } from '../api/registry.js';
import type { ResourceType, ReviewFunction, ReviewRequest, ScaleSubresource } from '../api/resource-type.js';
import { admitWithSchema, defaultCrd, validateCrd } from '../api/schema/index.js';
import { formatLabelSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, fieldsOf, selectorFromLabelSelectorObject } from '../api/selectors/index.js';
import { PatchType, type DeleteOptions, type PropagationPolicy } from '../client/client.js';
import { gcFinalizers, resourceKey, type Store, type StoreChange } from '../store/store.js';
import { forbiddenMessage, type AuthorizationAttributes, type Authorizer, type UserInfo } from './auth.js';

export interface RequestContext {
  user: UserInfo;
}

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchParams {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

/** The streaming subresources of Pods, which the API server hands to the node runtime. */
export type ConnectSubresource = 'exec' | 'attach' | 'portforward';

/** kube-apiserver's `fieldValidation`: what a field the kind does not declare does to a write. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteParams {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: 'status';
  force?: boolean;
  /**
   * Set for requests from outside (HTTP, where kube-apiserver defaults to Warn): unknown fields are dropped as
   * decoding into the Go types drops them, and then refused (Strict), reported (Warn) or not (Ignore). Unset for
   * in-process writes, which keep what they send (custom resources are still pruned by their schema).
   */
  fieldValidation?: FieldValidation;
  /** Receives the texts of `Warning` headers for the response (`unknown field "spec.x"`). */
  warnings?: string[];
}

/** kube-apiserver's admission operations. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What admission knows about a request beyond the object (kube-apiserver's admission.Attributes). */
export interface AdmissionAttributes {
  operation: AdmissionOperation;
  type: ResourceType;
  /** Set for namespaced kinds. */
  namespace?: string;
  name: string;
  subresource?: string;
  user: UserInfo;
  dryRun: boolean;
  /** The object as admitted so far (undefined for DELETE). */
  object: KubeObject | undefined;
  /** The stored object (UPDATE, DELETE). */
  oldObject: KubeObject | undefined;
  /** Receives `Warning` header texts for the response, when the request has any. */
  warnings?: string[];
}

/**
 * A synchronous admission step. In `admission`: mutating, after validation, before the write (kube-apiserver's
 * allocators work here: cluster IPs, node ports; LimitRanger). In `validating`: the last look at the final object,
 * right before the write (ResourceQuota).
 */
export interface AdmissionPlugin {
  handles(type: ResourceType): boolean;
  admit(object: KubeObject, old: KubeObject | undefined, attributes?: AdmissionAttributes): void;
}

/**
 * Admission that calls out of the process (admission webhooks): runs after the synchronous chain and before the
 * `validating` plug-ins and the write. `applies` is synchronous and cheap, so a request no webhook matches stays
 * synchronous; `admit` returns the object changed by mutating webhooks (re-validated through `revalidate`), or
 * undefined when nothing changed, and throws a FloeError to refuse the request.
 */
export interface RemoteAdmission {
  applies(attributes: AdmissionAttributes): boolean;
  admit(attributes: AdmissionAttributes, revalidate: (object: KubeObject) => KubeObject): Promise<KubeObject | undefined>;
}

/** A write's result: synchronous unless a webhook was called. */
export type MaybePromise<T> = T | Promise<T>;

export interface DeleteResult {
  object: KubeObject;
  gone: boolean;
}

export interface ApiHandlerOptions {
  store: Store;
  registry: ResourceRegistry;
  authorizer: Authorizer;
  admission?: AdmissionPlugin[];
  /** Webhooks (see RemoteAdmission). */
  remoteAdmission?: RemoteAdmission;
  /** Validating plug-ins run last, right before the write (ResourceQuota). */
  validating?: AdmissionPlugin[];
}

const namespacesKey = resourceKey('', 'namespaces');
const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

/** A watch sink receives events in order; the handler calls it synchronously from the store's commit. */
export type WatchSink = (event: WatchEvent) => void;

export class ApiHandler {
  readonly store: Store;
  readonly registry: ResourceRegistry;
  private readonly authorizer: Authorizer;
  private readonly admission: AdmissionPlugin[];
  private readonly remoteAdmission: RemoteAdmission | undefined;
  private readonly validating: AdmissionPlugin[];

  constructor(options: ApiHandlerOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.authorizer = options.authorizer;
    this.admission = options.admission ?? [];
    this.remoteAdmission = options.remoteAdmission;
    this.validating = options.validating ?? [];
  }

  /** Finds the type a URL names, or 404 like kube-apiserver ("the server could not find the requested resource"). */
  resolve(group: string, version: string, plural: string): ResourceType {
    const type = this.registry.byPlural(group, version, plural);
    if (!type) throw new FloeError('NotFound', 'the server could not find the requested resource', { details: { group, kind: plural } });
    return type;
  }

  /** Finds the type of a manifest's apiVersion/kind. */
  resolveKind(apiVersion: string, kind: string): ResourceType {
    const type = this.registry.byApiVersionKind(apiVersion, kind);
    if (!type) {
      throw new FloeError('NotFound', `no matches for kind "${kind}" in version "${apiVersion}": the kind is not served by Floe`, { details: { group: parseApiVersion(apiVersion).group, kind } });
    }
    return type;
  }

  get(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, subresource?: 'status' | 'log'): KubeObject {
    this.authorize(ctx, 'get', type, namespace, name, subresource);
    if (type.readOnly) return type.readOnly.get(namespace, name);
    refuseOnReview(type);
    return this.read(type, namespace, name);
  }

  /**
   * A connect subresource (`pods/exec`, `pods/attach`, `pods/portforward`): authorized as `create` on the subresource,
   * as kube-apiserver authorizes the WebSocket upgrades kubectl sends for them; returns the object (or NotFound).
   */
  connect(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, subresource: ConnectSubresource): KubeObject {
    this.authorize(ctx, 'create', type, namespace, name, subresource);
    return this.read(type, namespace, name);
  }

  list(ctx: RequestContext, type: ResourceType, namespace: string | undefined, params: ListParams = {}): KubeList {
    this.authorize(ctx, 'list', type, namespace);
    if (type.readOnly) return type.readOnly.list(namespace, params);
    refuseOnReview(type);
    const filter = this.filterFor(type, params.labelSelector, params.fieldSelector);
    const after = params.continue ? decodeContinue(params.continue) : undefined;
    const query: Parameters<Store['list']>[1] = { filter };
    if (type.namespaced && namespace !== undefined) query.namespace = namespace;
    if (after !== undefined) query.after = after;
    if (params.limit !== undefined) query.limit = params.limit;
    const result = this.store.list(this.keyOf(type), query);
    const list: KubeList = {
      apiVersion: this.registry.apiVersionOf(type),
      kind: type.listKind,
      metadata: { resourceVersion: String(result.revision) },
      items: result.items.map((o) => this.present(type, o)),
    };
    if (result.continueAfter !== undefined) list.metadata.continue = encodeContinue(result.continueAfter, result.revision);
    return list;
  }

  /**
   * Streams changes to `sink`. Without a resourceVersion (or "0") it first sends ADDED for every current
   * object, as kube-apiserver does. Returns the function that stops the watch.
   */
  watch(ctx: RequestContext, type: ResourceType, namespace: string | undefined, params: WatchParams, sink: WatchSink): () => void {
    this.authorize(ctx, 'watch', type, namespace);
    refuseOnReview(type);
    const filter = this.filterFor(type, params.labelSelector, params.fieldSelector);
    const inScope = (o: KubeObject): boolean => !type.namespaced || namespace === undefined || o.metadata.namespace === namespace;
    const matches = (o: KubeObject): boolean => inScope(o) && filter(o);
    let from: number;
    const rv = params.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      const snapshot = this.store.list(this.keyOf(type), type.namespaced && namespace !== undefined ? { namespace, filter } : { filter });
      from = snapshot.revision;
      for (const o of snapshot.items) sink({ type: 'ADDED', object: this.present(type, o) });
    } else {
      from = Number(rv);
      if (!Number.isInteger(from) || from < 0) throw errors.badRequest(`invalid resourceVersion "${rv}": must be a non-negative integer`);
    }
    return this.store.watch(this.keyOf(type), from, (change: StoreChange) => {
      const now = matches(change.object);
      const before = change.previous === undefined ? undefined : matches(change.previous);
      let eventType = change.type;
      if (change.type === 'MODIFIED' && before !== undefined && before !== now) eventType = now ? 'ADDED' : 'DELETED';
      else if (!now) return;
      sink({ type: eventType, object: this.present(type, change.object) });
    });
  }

  create(ctx: RequestContext, type: ResourceType, namespace: string | undefined, body: unknown, params: WriteParams = {}): MaybePromise<KubeObject> {
    this.authorize(ctx, 'create', type, namespace);
    if (type.readOnly) refuseOnReview(type);
    if (type.review) return this.answerReview(ctx, type, type.review, namespace, body, params);
    const object = this.decode(type, body, namespace);
    this.checkFields(type, object, params);
    if (object.metadata.name === undefined && object.metadata.generateName) {
      object.metadata.name = object.metadata.generateName + randomSuffix();
    }
    this.checkNamespaceForWrite(type, object.metadata.namespace);
    if (type.statusSubresource && (type.source.from === 'crd' || type.createClearsStatus === true)) delete object.status;
    // The server names the uid (a client's is ignored), before admission: a Job's default selector is built from it.
    object.metadata.uid = randomUUID();
    const attributes = admissionAttributes(ctx, 'CREATE', type, object.metadata.namespace, object.metadata.name ?? '', params, object, undefined);
    const admitted = this.admit(type, object, undefined, attributes);
    return this.admitRemotely(type, attributes, admitted, undefined, (final) => {
      const storage = this.toStorage(type, final);
      if (params.dryRun) {
        this.ensureAbsent(type, storage);
        storage.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (type.generationFrom === 'none') delete storage.metadata.generation;
        else storage.metadata.generation = 1;
        return this.present(type, storage);
      }
      const stored = this.store.create(this.keyOf(type), storage, { generation: type.generationFrom !== 'none' });
      this.afterWrite(type, stored);
      return this.present(type, stored);
    });
  }

  /** PUT: replaces the object (or its status when `subresource` is 'status'). */
  update(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, body: unknown, params: WriteParams = {}): MaybePromise<KubeObject> {
    this.authorize(ctx, 'update', type, namespace, name, params.subresource);
    refuseOnReview(type);
    const incoming = this.decode(type, body, namespace);
    this.checkFields(type, incoming, params);
    if (incoming.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${incoming.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const current = this.tryRead(type, namespace, name);
    if (!current) throw errors.notFound(type.group, type.plural, name);
    const rv = incoming.metadata.resourceVersion;
    if ((rv === undefined || rv === '') && type.source.from === 'crd') {
      throw errors.invalid(type.group, type.kind, name, [fieldErrors.invalid('metadata.resourceVersion', 0, 'must be specified for an update')]);
    }
    return this.replace(ctx, type, current, incoming, rv === '' ? undefined : rv, params);
  }

  patch(
    ctx: RequestContext,
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    patchType: PatchType,
    params: WriteParams = {},
  ): MaybePromise<KubeObject> {
    this.authorize(ctx, 'patch', type, namespace, name, params.subresource);
    refuseOnReview(type);
    const existing = this.tryRead(type, namespace, name);
    if (!existing) {
      if (patchType !== PatchType.Apply) throw errors.notFound(type.group, type.plural, name);
      // Server-side apply creates what does not exist yet.
      const object = this.decode(type, patch, namespace);
      this.checkFields(type, object, params);
      if (object.metadata.name !== name) throw errors.badRequest(`the name of the object (${object.metadata.name ?? ''}) does not match the name on the URL (${name})`);
      return this.create(ctx, type, namespace, object, params);
    }
    const current = this.present(type, existing);
    let patched: unknown;
    switch (patchType) {
      case PatchType.Merge:
        patched = applyMergePatch(current, patch);
        break;
      case PatchType.Json:
        patched = applyJsonPatch(current, patch);
        break;
      case PatchType.StrategicMerge:
        if (!type.patchMeta) {
          throw new FloeError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
        }
        patched = applyStrategicMergePatch(current, patch, type.patchMeta);
        break;
      case PatchType.Apply: {
        const applied = this.decode(type, patch, namespace);
        this.checkFields(type, applied, params);
        patched = type.patchMeta ? applyStrategicMergePatch(current, applied, type.patchMeta) : applyMergePatch(current, applied);
        break;
      }
    }
    if (!isObject(patched)) throw errors.badRequest('the patch did not produce an object');
    const result = patched as KubeObject;
    if (!isObject(result.metadata)) throw errors.badRequest('the patch removed metadata');
    if (patchType !== PatchType.Apply) {
      // kube-apiserver decodes the patched object as it decodes a body, and reports what fails on `patch`.
      const typeProblem = checkObjectMetaTypes(result, type.kind);
      if (typeProblem) throw errors.invalid('', '', '', [fieldErrors.invalid('patch', JSON.stringify(patched), typeProblem)]);
      this.checkFields(type, result, params, params.fieldValidation === 'Strict' ? JSON.stringify(patched) : undefined);
    }
    // A patch cannot rename the object (as in kube-apiserver) or move it; a resourceVersion in the patch is a precondition.
    const patchedName: unknown = result.metadata.name;
    if (typeof patchedName === 'string' && patchedName !== name) {
      throw errors.badRequest(`the name of the object (${patchedName}) does not match the name on the URL (${name})`);
    }
    const patchedRv = result.metadata.resourceVersion as string | undefined;
    result.metadata.name = name;
    if (type.namespaced) result.metadata.namespace = existing.metadata.namespace!;
    return this.replace(ctx, type, existing, result, patchedRv ?? existing.metadata.resourceVersion, params);
  }

  // ---- the scale subresource (autoscaling/v1 Scale) --------------------------------------------------------

  /** GET `.../NAME/scale`: the object's replica counts and selector as an autoscaling/v1 Scale. */
  getScale(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const scale = scaleOf(type);
    this.authorize(ctx, 'get', type, namespace, name, 'scale');
    return toScale(scale, this.read(type, namespace, name));
  }

  /** PUT `.../NAME/scale`: changes only the desired replicas (a resourceVersion in the Scale is a precondition). */
  updateScale(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, body: unknown, params: WriteParams = {}): MaybePromise<KubeObject> {
    scaleOf(type);
    this.authorize(ctx, 'update', type, namespace, name, 'scale');
    return this.writeScale(ctx, type, namespace, name, body, params);
  }

  /** PATCH `.../NAME/scale`: the patch applies to the Scale (as `kubectl scale` sends it), then as a PUT. */
  patchScale(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, patch: unknown, patchType: PatchType, params: WriteParams = {}): MaybePromise<KubeObject> {
    const scale = scaleOf(type);
    this.authorize(ctx, 'patch', type, namespace, name, 'scale');
    const current = toScale(scale, this.read(type, namespace, name));
    let patched: unknown;
    switch (patchType) {
      case PatchType.Json:
        patched = applyJsonPatch(current, patch);
        break;
      case PatchType.StrategicMerge:
        patched = applyStrategicMergePatch(current, patch, { fields: {} });
        break;
      case PatchType.Merge:
      case PatchType.Apply:
        patched = applyMergePatch(current, patch);
        break;
    }
    return this.writeScale(ctx, type, namespace, name, patched, params);
  }

  private writeScale(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, body: unknown, params: WriteParams): MaybePromise<KubeObject> {
    const scale = scaleOf(type);
    if (!isObject(body)) throw errors.badRequest('the body of the request must be a Scale object');
    const apiVersion = body.apiVersion ?? 'autoscaling/v1';
    const kind = body.kind ?? 'Scale';
    if (apiVersion !== 'autoscaling/v1' || kind !== 'Scale') {
      throw errors.badRequest(`the API version in the data (${JSON.stringify(apiVersion)}) or kind (${JSON.stringify(kind)}) does not match the expected API version (autoscaling/v1) and kind (Scale)`);
    }
    const meta = isObject(body.metadata) ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) throw errors.badRequest(`the name of the object (${JSON.stringify(meta.name)}) does not match the name on the URL (${name})`);
    const replicas = isObject(body.spec) ? body.spec.replicas ?? 0 : 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw errors.badRequest(`Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`);
    if (replicas < 0) throw errors.invalid('autoscaling', 'Scale', name, [fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
    const existing = this.tryRead(type, namespace, name);
    if (!existing) throw errors.notFound(type.group, type.plural, name);
    const next = clone(this.present(type, existing));
    setJsonPath(next, scale.specReplicasPath, replicas);
    const rv = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
    const write: WriteParams = { ...params };
    delete write.subresource;
    delete write.fieldValidation;
    const result = this.replace(ctx, type, existing, next, rv, write);
    return result instanceof Promise ? result.then((o) => toScale(scale, o)) : toScale(scale, result);
  }

  delete(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): MaybePromise<DeleteResult> {
    this.authorize(ctx, 'delete', type, namespace, name);
    refuseOnReview(type);
    const current = this.read(type, namespace, name);
    const key = this.keyOf(type);
    if (key === namespacesKey && immortalNamespaces.has(name)) {
      throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
    const attributes = admissionAttributes(ctx, 'DELETE', type, namespace, name, { dryRun: options.dryRun === true }, undefined, current);
    const remote = this.remoteAdmission;
    if (remote?.applies(attributes)) return remote.admit(attributes, (o) => o).then(() => this.remove(type, namespace, name, current, options));
    return this.remove(type, namespace, name, current, options);
  }

  /** The tail of DELETE, after admission. */
  private remove(type: ResourceType, namespace: string | undefined, name: string, current: KubeObject, options: DeleteOptions): DeleteResult {
    const key = this.keyOf(type);
    if (options.dryRun) return { object: this.present(type, current), gone: false };
    const request: Parameters<Store['delete']>[3] = {};
    if (options.preconditions) request.preconditions = options.preconditions;
    const policy = options.propagationPolicy;
    if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [fieldErrors.notSupported('propagationPolicy', policy, ['Foreground', 'Background', 'Orphan'])]);
    }
    const finalizer = propagationFinalizer(policy);
    if (finalizer) request.propagationFinalizer = finalizer;
    if (key === namespacesKey) request.alwaysMark = true;
    if (isGracefulPod(key, current)) {
      const grace = options.gracePeriodSeconds ?? (current.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
      if (grace > 0) request.alwaysMark = true;
      request.gracePeriodSeconds = grace;
    } else if (options.gracePeriodSeconds !== undefined) {
      request.gracePeriodSeconds = options.gracePeriodSeconds;
    }
    if (type.source.from === 'builtin' && type.kind === 'CustomResourceDefinition') this.deleteCustomResources(current);
    const result = this.store.delete(key, namespace ?? '', name, request);
    if (result.gone) this.afterDelete(type, result.object);
    return { object: this.present(type, result.object), gone: result.gone };
  }

  /**
   * POST to a create-only subresource (`serviceaccounts/<name>/token`): authorized as `create` on the subresource with
   * the parent's name, the parent must exist, the body is decoded as the subresource's kind and answered by its function.
   */
  createSubresource(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, subresource: string, body: unknown, params: WriteParams = {}): KubeObject {
    const sub = type.createSubresources?.[subresource];
    if (!sub) throw new FloeError('NotFound', 'the server could not find the requested resource');
    this.authorize(ctx, 'create', type, namespace, name, subresource);
    const parent = this.read(type, namespace, name);
    if (!isObject(body)) throw errors.badRequest(`the body of the request must be a ${sub.kind} object`);
    const object = clone(body) as KubeObject;
    const apiVersion = sub.group ? `${sub.group}/${sub.version}` : sub.version;
    if (object.apiVersion === undefined || object.apiVersion === '') object.apiVersion = apiVersion;
    if (object.kind === undefined || object.kind === '') object.kind = sub.kind;
    if (object.kind !== sub.kind || object.apiVersion !== apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(object.apiVersion)}) or kind (${String(object.kind)}) does not match the expected API version (${apiVersion}) and kind (${sub.kind})`);
    }
    const typeProblem = checkObjectMetaTypes(object, sub.kind);
    if (typeProblem) throw errors.badRequest(`${sub.kind} in version "${sub.version}" cannot be handled as a ${sub.kind}: ${typeProblem}`);
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    sub.defaults?.(object);
    const fieldErrs = sub.validate?.(object) ?? [];
    if (fieldErrs.length > 0) throw errors.invalid(sub.group, sub.kind, object.metadata.name ?? name, fieldErrs);
    const request: ReviewRequest = { user: ctx.user, parent, dryRun: params.dryRun === true };
    if (namespace !== undefined) request.namespace = namespace;
    return sub.review(request, object);
  }

  /** The create of a review kind: decoded and checked like any create, answered by the kind's function, never stored. */
  private answerReview(ctx: RequestContext, type: ResourceType, review: ReviewFunction, namespace: string | undefined, body: unknown, params: WriteParams): KubeObject {
    const object = this.decode(type, body, namespace);
    this.checkFields(type, object, params);
    type.defaults?.(object);
    const fieldErrs = type.validate?.(object) ?? [];
    if (fieldErrs.length > 0) throw errors.invalid(type.group, type.kind, object.metadata.name ?? '', fieldErrs);
    const request: ReviewRequest = { user: ctx.user, dryRun: params.dryRun === true };
    const ns = type.namespaced ? object.metadata.namespace : undefined;
    if (ns !== undefined) request.namespace = ns;
    const answer = review(request, object);
    answer.apiVersion = this.registry.apiVersionOf(type);
    answer.kind = type.kind;
    return answer;
  }

  deleteCollection(ctx: RequestContext, type: ResourceType, namespace: string | undefined, params: ListParams, options: DeleteOptions = {}): MaybePromise<KubeList> {
    this.authorize(ctx, 'deletecollection', type, namespace);
    refuseOnReview(type);
    const list = this.list(ctx, type, namespace, { ...params, limit: 0 });
    const notFound = (err: unknown): undefined => {
      if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      return undefined;
    };
    const results = list.items.map((item) => {
      try {
        return this.delete(ctx, type, item.metadata.namespace, item.metadata.name ?? '', options);
      } catch (err) {
        return notFound(err);
      }
    });
    const done = (all: (DeleteResult | undefined)[]): KubeList => ({ ...list, items: all.flatMap((r) => (r ? [r.object] : [])) });
    if (!results.some((r) => r instanceof Promise)) return done(results as (DeleteResult | undefined)[]);
    return Promise.all(results.map((r) => Promise.resolve(r).catch(notFound))).then(done);
  }

  /**
   * Applies `params.fieldValidation` to a decoded object (or a patched one, `patchedJson` being what the patch produced):
   * unknown fields of built-in kinds, from the table of their Go types, and of custom resources, from their schema,
   * metadata included. Drops them from `object`; Strict refuses them, Warn lists them in `params.warnings`.
   */
  private checkFields(type: ResourceType, object: KubeObject, params: WriteParams, patchedJson?: string): void {
    const mode = params.fieldValidation;
    if (mode === undefined) return;
    const builtin = builtinTypeName(type.group, type.kind, type.version);
    let unknown: string[];
    if (builtin) {
      unknown = unknownFields(builtin, object, { prune: true });
    } else {
      unknown = unknownFields(objectMetaType, object.metadata, { prune: true, path: 'metadata' });
      // The schema prunes the rest at admission; here it only names what it will drop.
      if (type.schema) unknown.push(...admitWithSchema(object, type.schema).unknownFields);
    }
    if (unknown.length === 0 || mode === 'Ignore') return;
    const texts = unknown.map((f) => `unknown field "${f}"`);
    if (mode === 'Warn') {
      params.warnings?.push(...texts);
      return;
    }
    const strict = `strict decoding error: ${texts.join(', ')}`;
    if (patchedJson !== undefined) throw errors.invalid('', '', '', [fieldErrors.invalid('patch', patchedJson, strict)]);
    throw cannotHandle(type, strict);
  }

  // ---- admission ------------------------------------------------------------------------------------

  /** Parses a request body into an object of `type`, checking apiVersion, kind and namespace. */
  decode(type: ResourceType, body: unknown, namespace: string | undefined): KubeObject {
    if (!isObject(body)) throw errors.badRequest(`the body of the request must be a ${type.kind} object`);
    const object = clone(body) as KubeObject;
    const apiVersion = this.registry.apiVersionOf(type);
    if (object.apiVersion === undefined || object.apiVersion === '') object.apiVersion = apiVersion;
    if (object.kind === undefined || object.kind === '') object.kind = type.kind;
    if (object.kind !== type.kind || object.apiVersion !== apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(object.apiVersion)}) or kind (${String(object.kind)}) does not match the expected API version (${apiVersion}) and kind (${type.kind})`);
    }
    // Types first, as decoding into Go's ObjectMeta checks them: a name that is a number never reaches validation.
    const typeProblem = checkObjectMetaTypes(object, type.kind);
    if (typeProblem) throw cannotHandle(type, typeProblem);
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    const meta = object.metadata;
    if (type.namespaced) {
      if (namespace !== undefined && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      const ns = namespace ?? meta.namespace;
      if (ns === undefined || ns === '') throw errors.badRequest('a namespace is required for a namespaced resource');
      meta.namespace = ns;
    } else {
      delete meta.namespace;
    }
    return object;
  }

  /** Defaults, schema and semantic validation: every bad field in one 422. */
  private admit(type: ResourceType, object: KubeObject, old: KubeObject | undefined, attributes?: AdmissionAttributes, plugins = true): KubeObject {
    const fieldErrs: FieldError[] = [];
    fieldErrs.push(...this.validateMeta(type, object));
    let result = object;
    if (type.source.from === 'builtin' && type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io') {
      defaultCrd(result);
      fieldErrs.push(...validateCrd(result));
    }
    type.defaults?.(result);
    if (type.schema) {
      const admitted = admitWithSchema(result, type.schema);
      result = admitted.object as unknown as KubeObject;
      fieldErrs.push(...admitted.errors);
    }
    if (type.validate) fieldErrs.push(...type.validate(result, old));
    if (fieldErrs.length > 0) throw errors.invalid(type.group, type.kind, object.metadata.name ?? '', fieldErrs);
    if (plugins) for (const plugin of this.admission) if (plugin.handles(type)) plugin.admit(result, old, attributes);
    return result;
  }

  /**
   * The admission that may call out of the process (webhooks), then the validating plug-ins that see the final object
   * right before the write (ResourceQuota), then `commit`. Synchronous when no webhook applies.
   */
  private admitRemotely<T>(type: ResourceType, attributes: AdmissionAttributes, object: KubeObject, old: KubeObject | undefined, commit: (object: KubeObject) => T): MaybePromise<T> {
    const finish = (final: KubeObject): T => {
      attributes.object = final;
      for (const plugin of this.validating) if (plugin.handles(type)) plugin.admit(final, old, attributes);
      return commit(final);
    };
    const remote = this.remoteAdmission;
    if (!remote?.applies(attributes)) return finish(object);
    // A mutated object is checked again (kube-apiserver validates after mutating admission), without the plug-ins.
    return remote.admit(attributes, (changed) => this.admit(type, changed, old, attributes, false)).then((changed) => finish(changed ?? object));
  }

  private validateMeta(type: ResourceType, object: KubeObject): FieldError[] {
    const meta = object.metadata;
    const errs: FieldError[] = [];
    const dnsLabel = type.group === '' && type.plural === 'services';
    const checkName = type.validateName ?? (dnsLabel ? checkDns1123Label : checkDns1123Subdomain);
    if (meta.generateName !== undefined && meta.generateName !== '') {
      // A prefix may end in '-' (the random suffix follows it), as kube-apiserver's prefix check allows.
      const prefix = meta.generateName.endsWith('-') ? `${meta.generateName.slice(0, -1)}a` : meta.generateName;
      for (const m of checkName(prefix)) errs.push(fieldErrors.invalid('metadata.generateName', meta.generateName, m));
    }
    if (meta.name === undefined || meta.name === '') {
      errs.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
    } else {
      for (const m of checkName(meta.name)) errs.push(fieldErrors.invalid('metadata.name', meta.name, m));
    }
    errs.push(...validateLabelsAndAnnotations(meta));
    if (meta.finalizers !== undefined && (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== 'string'))) {
      errs.push(fieldErrors.typeInvalid('metadata.finalizers', meta.finalizers, 'must be a list of strings'));
    }
    (meta.ownerReferences ?? []).forEach((ref, i) => {
      for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
        if (!ref[f]) errs.push(fieldErrors.required(`metadata.ownerReferences[${i}].${f}`));
      }
    });
    if ((meta.ownerReferences ?? []).filter((r) => r.controller).length > 1) {
      errs.push(fieldErrors.invalid('metadata.ownerReferences', meta.ownerReferences, 'Only one reference can have Controller set to true'));
    }
    return errs;
  }

  /** The shared tail of PUT and PATCH. */
  private replace(ctx: RequestContext, type: ResourceType, existing: KubeObject, incoming: KubeObject, expectRevision: string | undefined, params: WriteParams): MaybePromise<KubeObject> {
    const name = existing.metadata.name ?? '';
    const old = this.present(type, existing);
    let next: KubeObject;
    if (params.subresource === 'status') {
      if (!type.statusSubresource) throw new FloeError('NotFound', 'the server could not find the requested resource');
      next = clone(old);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = incoming;
      if (type.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      const meta = next.metadata;
      meta.uid = old.metadata.uid!;
      meta.creationTimestamp = old.metadata.creationTimestamp!;
      if (old.metadata.deletionTimestamp !== undefined) meta.deletionTimestamp = old.metadata.deletionTimestamp;
      delete meta.generateName;
      if (old.metadata.generateName !== undefined) meta.generateName = old.metadata.generateName;
    }
    next.metadata.name = name;
    if (type.namespaced) next.metadata.namespace = existing.metadata.namespace!;
    const attributes = admissionAttributes(ctx, 'UPDATE', type, existing.metadata.namespace, name, params, next, old);
    const admitted = this.admit(type, next, old, attributes);
    return this.admitRemotely(type, attributes, admitted, old, (final) => {
      const bump = generationChanged(type, old, final);
      const storage = this.toStorage(type, final);
      if (expectRevision !== undefined && expectRevision !== existing.metadata.resourceVersion) {
        throw errors.conflict(type.group, type.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      if (params.dryRun) {
        storage.metadata.resourceVersion = existing.metadata.resourceVersion!;
        if (existing.metadata.generation === undefined) delete storage.metadata.generation;
        else storage.metadata.generation = existing.metadata.generation + (bump ? 1 : 0);
        return this.present(type, storage);
      }
      const options: { expectRevision?: string; bumpGeneration?: boolean } = { bumpGeneration: bump };
      if (expectRevision !== undefined) options.expectRevision = expectRevision;
      const stored = this.store.update(this.keyOf(type), storage, options);
      this.afterWrite(type, stored);
      return this.present(type, stored);
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  private authorize(ctx: RequestContext, verb: string, type: ResourceType, namespace: string | undefined, name?: string, subresource?: string): void {
    const attrs: Parameters<Authorizer['authorize']>[0] = { user: ctx.user, verb, group: type.group, resource: type.plural };
    if (namespace !== undefined) attrs.namespace = namespace;
    if (name !== undefined) attrs.name = name;
    if (subresource !== undefined) attrs.subresource = subresource;
    const decision = this.authorizer.authorize(attrs);
    if (!decision.allowed) {
      const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
      throw errors.forbidden(`${type.plural}${type.group ? `.${type.group}` : ''}${name ? ` "${name}"` : ''} is forbidden: User "${ctx.user.name}" cannot ${verb} resource "${type.plural}${subresource ? `/${subresource}` : ''}" in API group "${type.group}"${scope}${decision.reason ? `: ${decision.reason}` : ''}`);
    }
  }

  /** A non-resource request (`/version`, `/apis`, discovery documents): RBAC's nonResourceURLs decide. */
  authorizePath(ctx: RequestContext, verb: string, path: string): void {
    const attrs: AuthorizationAttributes = { user: ctx.user, verb, group: '', resource: '', path };
    const decision = this.authorizer.authorize(attrs);
    if (!decision.allowed) throw errors.forbidden(forbiddenMessage(attrs, decision.reason));
  }

  private keyOf(type: ResourceType): string {
    return resourceKey(type.group, type.plural);
  }

  private tryRead(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(this.keyOf(type), type.namespaced ? namespace ?? '' : '', name);
  }

  private read(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.tryRead(type, namespace, name);
    if (!object) throw errors.notFound(type.group, type.plural, name);
    return this.present(type, object);
  }

  private ensureAbsent(type: ResourceType, object: KubeObject): void {
    if (this.tryRead(type, object.metadata.namespace, object.metadata.name ?? '')) {
      throw errors.alreadyExists(type.group, type.plural, object.metadata.name ?? '');
    }
  }

  /** Objects are stored at the storage version and presented at the version asked for. */
  private present(type: ResourceType, stored: KubeObject): KubeObject {
    const object = type.convert && type.version !== type.storageVersion ? type.convert.fromStorage(stored) : stored;
    object.apiVersion = this.registry.apiVersionOf(type);
    object.kind = type.kind;
    return object;
  }

  private toStorage(type: ResourceType, admitted: KubeObject): KubeObject {
    const storage = this.registry.storageTypeOf(type);
    const object = type.convert ? type.convert.toStorage(admitted) : admitted;
    object.apiVersion = this.registry.apiVersionOf(storage);
    return object;
  }

  private checkNamespaceForWrite(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced || namespace === undefined) return;
    const ns = this.store.get(namespacesKey, '', namespace);
    if (!ns) throw errors.notFound('', 'namespaces', namespace);
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw errors.forbidden(`unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private filterFor(type: ResourceType, labelSelector: string | undefined, fieldSelector: string | undefined): (o: KubeObject) => boolean {
    const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
    const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
    if (fields) {
      for (const f of fieldsOf(fields)) {
        if (f !== 'metadata.name' && f !== 'metadata.namespace' && !type.selectableFields?.[f]) {
          throw errors.badRequest(`field label not supported: ${f}`);
        }
      }
    }
    const getters = type.selectableFields ?? {};
    return (o: KubeObject) => {
      if (labels && !matchesLabels(labels, o.metadata.labels)) return false;
      if (fields) {
        const get = (f: string): string | undefined =>
          f === 'metadata.name' ? o.metadata.name : f === 'metadata.namespace' ? o.metadata.namespace ?? '' : getters[f]?.(o);
        if (!matchesFields(fields, get)) return false;
      }
      return true;
    };
  }

  /** Hooks that keep the registry in step with CRDs. */
  private afterWrite(type: ResourceType, object: KubeObject): void {
    this.onWrite?.(type, object);
  }

  private afterDelete(type: ResourceType, object: KubeObject): void {
    this.onDelete?.(type, object);
  }

  /** Set by the server: called after each committed write and final delete. */
  onWrite: ((type: ResourceType, object: KubeObject) => void) | undefined;
  onDelete: ((type: ResourceType, object: KubeObject) => void) | undefined;

  private deleteCustomResources(crd: KubeObject): void {
    const spec = crd.spec as { group?: string; names?: { plural?: string } } | undefined;
    if (!spec?.group || !spec.names?.plural) return;
    const key = resourceKey(spec.group, spec.names.plural);
    this.store.transaction(() => {
      for (const item of this.store.list(key).items) {
        this.store.forceRemove(key, item.metadata.namespace ?? '', item.metadata.name ?? '');
      }
    });
  }
}

/** Review kinds answer `create` only, read-only kinds (metrics.k8s.io) get and list; kube-apiserver registers no other method. */
function refuseOnReview(type: ResourceType): void {
  if (type.review || type.readOnly) throw new FloeError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

function admissionAttributes(
  ctx: RequestContext,
  operation: AdmissionOperation,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  params: { dryRun?: boolean; subresource?: string; warnings?: string[] },
  object: KubeObject | undefined,
  oldObject: KubeObject | undefined,
): AdmissionAttributes {
  const attributes: AdmissionAttributes = { operation, type, name, user: ctx.user, dryRun: params.dryRun === true, object, oldObject };
  if (type.namespaced && namespace !== undefined) attributes.namespace = namespace;
  if (params.subresource !== undefined) attributes.subresource = params.subresource;
  if (params.warnings) attributes.warnings = params.warnings;
  return attributes;
}

/** kube-apiserver's 400 for a body its decoder refuses: `Pod in version "v1" cannot be handled as a Pod: …`. */
function cannotHandle(type: ResourceType, why: string): FloeError {
  return errors.badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function propagationFinalizer(policy: PropagationPolicy | undefined): string | undefined {
  if (policy === 'Foreground') return gcFinalizers.foreground;
  if (policy === 'Orphan') return gcFinalizers.orphan;
  return undefined;
}

function isGracefulPod(key: string, pod: KubeObject): boolean {
  if (key !== resourceKey('', 'pods')) return false;
  const spec = pod.spec as { nodeName?: string } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return Boolean(spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Spec changes bump generation; for kinds without a spec, any change outside metadata and status does. */
function generationChanged(type: ResourceType, old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const rest: Record<string, unknown> = { ...o };
    delete rest.metadata;
    delete rest.apiVersion;
    delete rest.kind;
    if (type.statusSubresource || type.generationFrom === 'spec') delete rest.status;
    return stableStringify(type.generationFrom === 'spec' && 'spec' in o ? { spec: o.spec } : rest);
  };
  return strip(old) !== strip(next);
}

export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

function encodeContinue(after: string, revision: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: after })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start !== 'string') throw new Error('no start key');
    return parsed.start;
  } catch {
    throw errors.badRequest(`invalid continue token "${token}": it was not produced by this server`);
  }
}

/** The scale subresource of a kind, or 404 as kube-apiserver answers for kinds without one. */
function scaleOf(type: ResourceType): ScaleSubresource {
  if (!type.scale) throw new FloeError('NotFound', 'the server could not find the requested resource');
  return type.scale;
}

function jsonPathSegments(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter((p) => p !== '');
}

function getJsonPath(object: unknown, path: string): unknown {
  let cur: unknown = object;
  for (const key of jsonPathSegments(path)) cur = isObject(cur) ? cur[key] : undefined;
  return cur;
}

function setJsonPath(object: KubeObject, path: string, value: unknown): void {
  const keys = jsonPathSegments(path);
  let cur: Record<string, unknown> = object;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (isObject(next)) cur = next;
    else cur = cur[key] = {};
  }
  const last = keys[keys.length - 1];
  if (last !== undefined) cur[last] = value;
}

/** The autoscaling/v1 Scale of an object: its metadata, desired replicas, observed replicas and selector text. */
function toScale(scale: ScaleSubresource, object: KubeObject): KubeObject {
  const meta: KubeObject['metadata'] = { name: object.metadata.name ?? '' };
  if (object.metadata.namespace !== undefined) meta.namespace = object.metadata.namespace;
  for (const key of ['uid', 'resourceVersion', 'creationTimestamp'] as const) if (object.metadata[key] !== undefined) meta[key] = object.metadata[key];
  const desired = getJsonPath(object, scale.specReplicasPath);
  const observed = getJsonPath(object, scale.statusReplicasPath);
  const status: Record<string, unknown> = { replicas: typeof observed === 'number' ? observed : 0 };
  const rawSelector = scale.labelSelectorPath ? getJsonPath(object, scale.labelSelectorPath) : undefined;
  let selector: string | undefined;
  if (scale.selector === 'text') selector = typeof rawSelector === 'string' ? rawSelector : undefined;
  else if (scale.selector === 'map') selector = isObject(rawSelector) ? Object.keys(rawSelector).sort().map((k) => `${k}=${String(rawSelector[k])}`).join(',') : undefined;
  else if (isObject(rawSelector)) {
    try {
      selector = formatLabelSelector(selectorFromLabelSelectorObject(rawSelector));
    } catch {
      selector = undefined;
    }
  }
  if (selector) status.selector = selector;
  return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta, spec: typeof desired === 'number' && desired !== 0 ? { replicas: desired } : {}, status };
}
