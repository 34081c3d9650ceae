// The API handler chain behind every door (HTTP and the in-process Client): authorize → admit → store.
import { randomBytes, randomUUID } from 'node:crypto';
import { errors, FloeError, fieldErrors, type FieldError } from '../api/errors.js';
import { clone, type KubeList, type KubeObject, type WatchEvent } from '../api/meta.js';
import { builtinTypeName, objectMetaType, unknownFields } from '../api/builtin/known-fields.js';
import { checkObjectMetaTypes } from '../api/meta-types.js';
import { checkDns1123Label, checkDns1123Subdomain, validateLabelsAndAnnotations } from '../api/names.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../api/patch/index.js';
import type { ResourceRegistry } from '../api/registry.js';
import type { ResourceType } from '../api/resource-type.js';
import { admitWithSchema, defaultCrd, validateCrd } from '../api/schema/index.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, fieldsOf } from '../api/selectors/index.js';
import { PatchType, type DeleteOptions, type PropagationPolicy } from '../client/client.js';
import { gcFinalizers, resourceKey, type Store, type StoreChange } from '../store/store.js';
import type { Authorizer, UserInfo } from './auth.js';

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

/** A mutating step after validation, before the write (kube-apiserver's allocators work here: cluster IPs, node ports). */
export interface AdmissionPlugin {
  handles(type: ResourceType): boolean;
  admit(object: KubeObject, old: KubeObject | undefined): void;
}

export interface ApiHandlerOptions {
  store: Store;
  registry: ResourceRegistry;
  authorizer: Authorizer;
  admission?: AdmissionPlugin[];
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

  constructor(options: ApiHandlerOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.authorizer = options.authorizer;
    this.admission = options.admission ?? [];
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
    if (!type) throw errors.notFound('', 'kinds', `${kind} in ${apiVersion}`);
    return type;
  }

  get(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, subresource?: 'status'): KubeObject {
    this.authorize(ctx, 'get', type, namespace, name, subresource);
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

  create(ctx: RequestContext, type: ResourceType, namespace: string | undefined, body: unknown, params: WriteParams = {}): KubeObject {
    this.authorize(ctx, 'create', type, namespace);
    const object = this.decode(type, body, namespace);
    this.checkFields(type, object, params);
    if (object.metadata.name === undefined && object.metadata.generateName) {
      object.metadata.name = object.metadata.generateName + randomSuffix();
    }
    this.checkNamespaceForWrite(type, object.metadata.namespace);
    if (type.statusSubresource && type.source.from === 'crd') delete object.status;
    // The server names the uid (a client's is ignored), before admission: a Job's default selector is built from it.
    object.metadata.uid = randomUUID();
    const admitted = this.admit(type, object, undefined);
    const storage = this.toStorage(type, admitted);
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
  }

  /** PUT: replaces the object (or its status when `subresource` is 'status'). */
  update(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, body: unknown, params: WriteParams = {}): KubeObject {
    this.authorize(ctx, 'update', type, namespace, name, params.subresource);
    const incoming = this.decode(type, body, namespace);
    this.checkFields(type, incoming, params);
    if (incoming.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${incoming.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const current = this.read(type, namespace, name);
    const rv = incoming.metadata.resourceVersion;
    if ((rv === undefined || rv === '') && type.source.from === 'crd') {
      throw errors.invalid(type.group, type.kind, name, [fieldErrors.invalid('metadata.resourceVersion', 0, 'must be specified for an update')]);
    }
    return this.replace(type, current, incoming, rv === '' ? undefined : rv, params);
  }

  patch(
    ctx: RequestContext,
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    patchType: PatchType,
    params: WriteParams = {},
  ): KubeObject {
    this.authorize(ctx, 'patch', type, namespace, name, params.subresource);
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
    return this.replace(type, existing, result, patchedRv ?? existing.metadata.resourceVersion, params);
  }

  delete(ctx: RequestContext, type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): { object: KubeObject; gone: boolean } {
    this.authorize(ctx, 'delete', type, namespace, name);
    const current = this.read(type, namespace, name);
    const key = this.keyOf(type);
    if (key === namespacesKey && immortalNamespaces.has(name)) {
      throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
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

  deleteCollection(ctx: RequestContext, type: ResourceType, namespace: string | undefined, params: ListParams, options: DeleteOptions = {}): KubeList {
    this.authorize(ctx, 'deletecollection', type, namespace);
    const list = this.list(ctx, type, namespace, { ...params, limit: 0 });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      try {
        deleted.push(this.delete(ctx, type, item.metadata.namespace, item.metadata.name ?? '', options).object);
      } catch (err) {
        if (!(err instanceof FloeError && err.reason === 'NotFound')) throw err;
      }
    }
    return { ...list, items: deleted };
  }

  /**
   * Applies `params.fieldValidation` to a decoded object (or a patched one, `patchedJson` being what the patch produced):
   * unknown fields of built-in kinds, from the table of their Go types, and of custom resources, from their schema,
   * metadata included. Drops them from `object`; Strict refuses them, Warn lists them in `params.warnings`.
   */
  private checkFields(type: ResourceType, object: KubeObject, params: WriteParams, patchedJson?: string): void {
    const mode = params.fieldValidation;
    if (mode === undefined) return;
    const builtin = builtinTypeName(type.group, type.kind);
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
  private admit(type: ResourceType, object: KubeObject, old: KubeObject | undefined): KubeObject {
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
    for (const plugin of this.admission) if (plugin.handles(type)) plugin.admit(result, old);
    return result;
  }

  private validateMeta(type: ResourceType, object: KubeObject): FieldError[] {
    const meta = object.metadata;
    const errs: FieldError[] = [];
    const dnsLabel = type.group === '' && type.plural === 'services';
    const checkName = dnsLabel ? checkDns1123Label : checkDns1123Subdomain;
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
  private replace(type: ResourceType, existing: KubeObject, incoming: KubeObject, expectRevision: string | undefined, params: WriteParams): KubeObject {
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
    const admitted = this.admit(type, next, old);
    const bump = generationChanged(type, old, admitted);
    const storage = this.toStorage(type, admitted);
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
    const object = stored;
    object.apiVersion = this.registry.apiVersionOf(type);
    object.kind = type.kind;
    return object;
  }

  private toStorage(type: ResourceType, object: KubeObject): KubeObject {
    const storage = this.registry.storageTypeOf(type);
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
