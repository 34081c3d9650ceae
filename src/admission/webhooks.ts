// The admission webhook plug-in: Mutating then Validating WebhookConfigurations called over HTTPS with AdmissionReview v1.
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { FloeError, reasonForCode, StatusReason, type Status } from '../api/errors.js';
import { hostPorts } from '../api/host-ports.js';
import { list, record, text } from '../api/builtin/json.js';
import type { Logger } from '../api/logger.js';
import type { KubeObject } from '../api/meta.js';
import { applyJsonPatch } from '../api/patch/index.js';
import type { AdmissionAttributes, RemoteAdmission } from '../server/api-handler.js';
import { MatchConditions, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, type MatchRequest } from './webhook-match.js';

const group = 'admissionregistration.k8s.io';

/** Kinds whose writes never reach webhooks (kube's exemption: a bad webhook must not lock its own configuration). */
export const exemptFromAdmission = new Set(['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings']);

/** What the plug-in reads: configurations, Namespaces (for namespaceSelector) and Services (for clientConfig.service). */
export interface WebhookReader {
  /** Every object of a cluster-wide or namespaced kind. */
  list(group: string, plural: string): KubeObject[];
  get(group: string, plural: string, namespace: string, name: string): KubeObject | undefined;
  /** The versions a kind is served at (for matchPolicy Equivalent). */
  versionsOf?(group: string, plural: string): string[];
}

export interface WebhookAdmissionOptions {
  read: WebhookReader;
  logger: Logger;
}

interface Hook {
  config: string;
  webhook: Record<string, unknown>;
}

interface ReviewResponse {
  uid?: string;
  allowed?: boolean;
  status?: { code?: number; message?: string; reason?: string; status?: string };
  patch?: string;
  patchType?: string;
  warnings?: string[];
}

/** A webhook that could not be called or answered badly: failurePolicy decides what it means. */
class CallError extends Error {}

/**
 * A webhook's refusal: its own code, and its own reason or none (kube-apiserver passes the webhook's Status on, so a
 * denial without a reason reaches kubectl as `Error from server: admission webhook … denied the request: …`).
 */
class WebhookDenial extends FloeError {
  private readonly wireCode: number;
  private readonly wireReason: string | undefined;

  constructor(message: string, code: number, reason: string | undefined) {
    const known = (Object.values(StatusReason) as string[]).includes(reason ?? '') ? (reason as StatusReason) : reasonForCode(code);
    super(known, message);
    this.wireCode = code;
    this.wireReason = reason || undefined;
    Object.defineProperty(this, 'code', { value: code });
  }

  override toStatus(): Status {
    const status = super.toStatus();
    status.code = this.wireCode;
    if (this.wireReason === undefined) delete status.reason;
    else status.reason = this.wireReason;
    return status;
  }
}

/**
 * kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook. Configurations are read from the store at
 * request time; mutating webhooks run one after another (configurations by name, webhooks in order) and their JSON
 * patches apply in turn; the patched object is validated again; then validating webhooks run in parallel.
 */
export class WebhookAdmission implements RemoteAdmission {
  private readonly read: WebhookReader;
  private readonly logger: Logger;
  private readonly conditions = new MatchConditions();

  constructor(options: WebhookAdmissionOptions) {
    this.read = options.read;
    this.logger = options.logger;
  }

  applies(attributes: AdmissionAttributes): boolean {
    if (attributes.type.group === group && exemptFromAdmission.has(attributes.type.plural)) return false;
    const request = matchRequest(attributes);
    return [...this.hooks('mutatingwebhookconfigurations'), ...this.hooks('validatingwebhookconfigurations')].some((h) => this.rulesMatch(h, request));
  }

  async admit(attributes: AdmissionAttributes, revalidate: (object: KubeObject) => KubeObject): Promise<KubeObject | undefined> {
    const uid = randomUUID();
    let object = attributes.object;
    let changed = false;
    for (const hook of this.hooks('mutatingwebhookconfigurations')) {
      if (!this.shouldCall(hook, { ...attributes, object })) continue;
      const response = await this.call(hook, { ...attributes, object }, uid);
      if (!response) continue;
      if (response.patch && attributes.operation !== 'DELETE' && object) {
        if (response.patchType !== 'JSONPatch') throw this.failure(hook, `received invalid webhook response: expected patchType JSONPatch, got ${JSON.stringify(response.patchType ?? '')}`);
        let ops: unknown;
        try {
          ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
          object = applyJsonPatch(object, ops) as KubeObject;
        } catch (err) {
          throw this.failure(hook, `JSON Patch: ${err instanceof Error ? err.message : String(err)}`);
        }
        changed = true;
      }
    }
    if (changed && object) {
      object = revalidate(object);
      attributes.object = object;
    }
    const validating = this.hooks('validatingwebhookconfigurations').filter((h) => this.shouldCall(h, { ...attributes, object }));
    const results = await Promise.allSettled(validating.map((h) => this.call(h, { ...attributes, object }, uid)));
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    return changed ? object : undefined;
  }

  /** Webhooks of one kind of configuration, configurations by name, webhooks in their order. */
  private hooks(plural: string): Hook[] {
    const configs = this.read.list(group, plural).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    return configs.flatMap((c) => list((c as { webhooks?: unknown }).webhooks).map((w) => ({ config: c.metadata.name ?? '', webhook: record(w) })));
  }

  private rulesMatch(hook: Hook, request: MatchRequest): boolean {
    const equivalent = text(hook.webhook.matchPolicy) !== 'Exact';
    const served = equivalent ? this.read.versionsOf?.(request.group, request.resource) : undefined;
    const versionMatches = (versions: string[]): boolean =>
      versions.includes('*') || versions.includes(request.version) || (served !== undefined && served.some((v) => versions.includes(v)));
    return list(hook.webhook.rules).some((rule) => ruleMatches(rule, request, versionMatches));
  }

  private shouldCall(hook: Hook, attributes: AdmissionAttributes): boolean {
    const request = matchRequest(attributes);
    if (!this.rulesMatch(hook, request)) return false;
    const ns = request.namespace && request.resource !== 'namespaces' ? this.read.get('', 'namespaces', '', request.namespace) : undefined;
    try {
      if (!namespaceSelectorMatches(hook.webhook.namespaceSelector, request, attributes.object ?? attributes.oldObject, ns)) return false;
      if (!objectSelectorMatches(hook.webhook.objectSelector, attributes.object, attributes.oldObject)) return false;
    } catch (err) {
      throw this.failure(hook, err instanceof Error ? err.message : String(err), true);
    }
    const conditions = list(hook.webhook.matchConditions);
    if (conditions.length === 0) return true;
    const verdict = this.conditions.evaluate(conditions, {
      object: attributes.object ?? null,
      oldObject: attributes.oldObject ?? null,
      request: reviewRequest(attributes, ''),
    });
    if (verdict.error) {
      if (text(hook.webhook.failurePolicy) === 'Ignore') return false;
      // kube-apiserver refuses as the admission plug-in itself: `<resource> "<name>" is forbidden: expression '…' resulted in error: …`.
      const { group: g, plural } = attributes.type;
      const name = attributes.object?.metadata.name || attributes.oldObject?.metadata.name || attributes.name || 'Unknown';
      throw new FloeError('Forbidden', `${g ? `${plural}.${g}` : plural} "${name}" is forbidden: ${verdict.error}`, { details: { name, group: g, kind: plural } });
    }
    return verdict.matched;
  }

  /** One call; undefined when it failed and failurePolicy is Ignore. Throws the denial or (Fail) the failure. */
  private async call(hook: Hook, attributes: AdmissionAttributes, uid: string): Promise<ReviewResponse | undefined> {
    const name = text(hook.webhook.name);
    let response: ReviewResponse;
    try {
      response = await this.post(hook, attributes, uid);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (text(hook.webhook.failurePolicy) === 'Ignore') {
        this.logger.warn({ webhook: name, configuration: hook.config, err: why }, 'admission webhook failed; failurePolicy Ignore lets the request through');
        return undefined;
      }
      throw this.failure(hook, why);
    }
    for (const w of list(response.warnings)) if (typeof w === 'string' && w) attributes.warnings?.push(w);
    if (response.allowed === true) return response;
    const status = response.status ?? {};
    const code = typeof status.code === 'number' && status.code >= 400 ? status.code : 400;
    const denied = `admission webhook ${JSON.stringify(name)} denied the request`;
    const message = status.message ? `${denied}: ${status.message}` : status.reason ? `${denied}: ${status.reason}` : `${denied} without explanation`;
    throw new WebhookDenial(message, code, status.reason);
  }

  private failure(hook: Hook, why: string, condition = false): FloeError {
    const name = JSON.stringify(text(hook.webhook.name));
    return new FloeError('InternalError', condition ? `Internal error occurred: failed calling webhook ${name}: ${why}` : `Internal error occurred: failed calling webhook ${name}: failed to call webhook: ${why}`);
  }

  private post(hook: Hook, attributes: AdmissionAttributes, uid: string): Promise<ReviewResponse> {
    const cc = record(hook.webhook.clientConfig);
    const timeoutSeconds = typeof hook.webhook.timeoutSeconds === 'number' ? hook.webhook.timeoutSeconds : 10;
    const target = this.target(cc, timeoutSeconds);
    const version = list(hook.webhook.admissionReviewVersions).includes('v1') ? 'v1' : 'v1beta1';
    const body = JSON.stringify({ apiVersion: `admission.k8s.io/${version}`, kind: 'AdmissionReview', request: reviewRequest(attributes, uid) });
    const ca = text(cc.caBundle) ? Buffer.from(text(cc.caBundle), 'base64').toString('utf8') : undefined;
    const shown = `Post ${JSON.stringify(target.shown)}`;
    return new Promise<ReviewResponse>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: target.host,
          port: target.port,
          path: target.path,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
          ...(ca ? { ca } : {}),
          ...(target.servername ? { servername: target.servername } : {}),
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new CallError(`${shown}: ${err.message}`)));
          res.on('end', () => {
            clearTimeout(timer);
            const raw = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
              reject(new CallError(`the server responded with the status code ${res.statusCode ?? 0} but did not return more information`));
              return;
            }
            let review: { response?: ReviewResponse };
            try {
              review = JSON.parse(raw) as { response?: ReviewResponse };
            } catch (err) {
              reject(new CallError(`received invalid webhook response: ${err instanceof Error ? err.message : String(err)}`));
              return;
            }
            const response = review.response;
            if (!response) return reject(new CallError('received invalid webhook response: response is nil'));
            if (response.uid !== uid) return reject(new CallError(`received invalid webhook response: expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`));
            resolve(response);
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new CallError(`${shown}: context deadline exceeded`)), timeoutSeconds * 1000);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err instanceof CallError ? err : new CallError(`${shown}: ${goError(err, target)}`));
      });
      req.end(body);
    });
  }

  /** Where a clientConfig points: its URL, or the loopback host port Floe gave the Service's port. */
  private target(cc: Record<string, unknown>, timeoutSeconds: number): { host: string; port: number; path: string; servername?: string; shown: string } {
    if (text(cc.url)) {
      const url = new URL(text(cc.url));
      url.searchParams.set('timeout', `${timeoutSeconds}s`);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      return { host, port: url.port ? Number(url.port) : 443, path: `${url.pathname}${url.search}`, shown: url.toString() };
    }
    const svc = record(cc.service);
    const name = text(svc.name);
    const namespace = text(svc.namespace);
    const port = typeof svc.port === 'number' ? svc.port : 443;
    const path = `${text(svc.path) || '/'}?timeout=${timeoutSeconds}s`;
    const dns = `${name}.${namespace}.svc`;
    const shown = `https://${dns}:${port}${path}`;
    const service = this.read.get('', 'services', namespace, name);
    if (!service) throw new CallError(`Post ${JSON.stringify(shown)}: service "${name}" not found`);
    const servicePort = list(record(service.spec).ports).map(record).find((p) => p.port === port);
    if (!servicePort) throw new CallError(`Post ${JSON.stringify(shown)}: service "${name}" has no port ${port}`);
    const local = hostPorts(service)[text(servicePort.name) || String(port)];
    if (local === undefined) throw new CallError(`Post ${JSON.stringify(shown)}: no endpoints available for service "${name}"`);
    // The certificate names the Service's DNS name, as a cluster's webhook certificates do; the bytes go to loopback.
    return { host: '127.0.0.1', port: local, path, servername: dns, shown };
  }
}

/** Go's net/http wording of the common failures, as kube-apiserver's messages carry them. */
function goError(err: NodeJS.ErrnoException, target: { host: string; port: number }): string {
  switch (err.code ?? '') {
    case 'ECONNREFUSED':
      return `dial tcp ${target.host}:${target.port}: connect: connection refused`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_SIGNATURE_FAILURE':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: ${err.message}`;
    default:
      return err.message;
  }
}

export function matchRequest(a: AdmissionAttributes): MatchRequest {
  const isNamespace = a.type.group === '' && a.type.plural === 'namespaces';
  return {
    operation: a.operation,
    group: a.type.group,
    version: a.type.version,
    resource: a.type.plural,
    subresource: a.subresource ?? '',
    namespace: isNamespace ? a.name : a.namespace ?? '',
  };
}

const optionsKind: Record<string, string> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };

/** AdmissionReview v1 `request`. */
export function reviewRequest(a: AdmissionAttributes, uid: string): Record<string, unknown> {
  const kind = { group: a.type.group, version: a.type.version, kind: a.type.kind };
  const resource = { group: a.type.group, version: a.type.version, resource: a.type.plural };
  const request: Record<string, unknown> = {
    uid,
    kind,
    resource,
    requestKind: kind,
    requestResource: resource,
    name: a.name,
    operation: a.operation,
    userInfo: { username: a.user.name, groups: a.user.groups },
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    dryRun: a.dryRun,
  };
  if (a.subresource) {
    request.subResource = a.subresource;
    request.requestSubResource = a.subresource;
  }
  if (a.namespace) request.namespace = a.namespace;
  const options = optionsKind[a.operation];
  if (options) request.options = { apiVersion: 'meta.k8s.io/v1', kind: options };
  return request;
}
