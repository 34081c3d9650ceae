// admissionregistration.k8s.io/v1: webhook configurations and ValidatingAdmissionPolicy(+Binding), with kube's v1 defaults and checks.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, text, type JsonObject } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

const group = 'admissionregistration.k8s.io';

/** kube's v1 defaults (SetDefaults_ValidatingWebhook / MutatingWebhook / Rule / ServiceReference). */
function defaultWebhooks(mutating: boolean): (object: KubeObject) => void {
  return (object) => {
    const hooks = (object as { webhooks?: unknown }).webhooks;
    if (!Array.isArray(hooks)) return;
    for (const hook of hooks) {
      if (!isRecord(hook)) continue;
      hook.failurePolicy ??= 'Fail';
      hook.matchPolicy ??= 'Equivalent';
      hook.namespaceSelector ??= {};
      hook.objectSelector ??= {};
      hook.timeoutSeconds ??= 10;
      if (mutating) hook.reinvocationPolicy ??= 'Never';
      for (const rule of list(hook.rules)) if (isRecord(rule)) rule.scope ??= '*';
      const service = record(record(hook.clientConfig).service);
      if (isRecord(record(hook.clientConfig).service)) service.port ??= 443;
    }
  };
}

const operations = ['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

function validateRules(rules: unknown, path: string, errs: FieldError[]): void {
  list(rules).forEach((raw, i) => {
    const rule = record(raw);
    const at = `${path}[${i}]`;
    for (const f of ['apiGroups', 'apiVersions', 'resources'] as const) {
      const values = list(rule[f]);
      if (values.length === 0) errs.push(fieldErrors.required(`${at}.${f}`));
      if (values.length > 1 && values.includes('*')) errs.push(fieldErrors.invalid(`${at}.${f}`, values, `if '*' is present, must not specify other ${f === 'apiGroups' ? 'API groups' : f === 'apiVersions' ? 'API versions' : 'resources'}`));
    }
    const ops = list(rule.operations);
    if (ops.length === 0) errs.push(fieldErrors.required(`${at}.operations`));
    if (ops.length > 1 && ops.includes('*')) errs.push(fieldErrors.invalid(`${at}.operations`, ops, "if '*' is present, must not specify other operations"));
    ops.forEach((op, j) => {
      if (!operations.includes(text(op))) errs.push(fieldErrors.notSupported(`${at}.operations[${j}]`, op, operations));
    });
    const scope = rule.scope;
    if (scope !== undefined && !['Cluster', 'Namespaced', '*'].includes(text(scope))) errs.push(fieldErrors.notSupported(`${at}.scope`, scope, ['Cluster', 'Namespaced', '*']));
  });
}

function validateClientConfig(config: unknown, path: string, errs: FieldError[]): void {
  const c = record(config);
  const hasUrl = c.url !== undefined;
  const hasService = c.service !== undefined;
  if (hasUrl === hasService) {
    errs.push(fieldErrors.required(path, 'exactly one of url or service is required'));
    return;
  }
  if (hasUrl) {
    let url: URL | undefined;
    try {
      url = new URL(text(c.url));
    } catch {
      errs.push(fieldErrors.invalid(`${path}.url`, c.url, 'host must be specified'));
    }
    if (url) {
      if (url.protocol !== 'https:') errs.push(fieldErrors.invalid(`${path}.url`, url.protocol.slice(0, -1), "'https' is the only allowed URL scheme; desired format: https://host[/path]"));
      if (url.hash) errs.push(fieldErrors.invalid(`${path}.url`, url.hash.slice(1), 'fragments are not permitted'));
      if (url.search) errs.push(fieldErrors.invalid(`${path}.url`, url.search.slice(1), 'query parameters are not permitted'));
      if (url.username || url.password) errs.push(fieldErrors.invalid(`${path}.url`, url.username, 'user information is not permitted in the URL'));
    }
  } else {
    const s = record(c.service);
    if (!text(s.name)) errs.push(fieldErrors.required(`${path}.service.name`, 'service name is required'));
    if (!text(s.namespace)) errs.push(fieldErrors.required(`${path}.service.namespace`, 'service namespace is required'));
    const port = s.port;
    if (port !== undefined && (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)) {
      errs.push(fieldErrors.invalid(`${path}.service.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'));
    }
  }
}

function validateWebhooks(mutating: boolean): (object: KubeObject) => FieldError[] {
  return (object) => {
    const errs: FieldError[] = [];
    const seen = new Set<string>();
    list((object as { webhooks?: unknown }).webhooks).forEach((raw, i) => {
      const hook = record(raw);
      const at = `webhooks[${i}]`;
      const name = text(hook.name);
      if (!name) errs.push(fieldErrors.required(`${at}.name`));
      else if (name.split('.').length < 3) errs.push(fieldErrors.invalid(`${at}.name`, name, 'should be a domain with at least three segments separated by dots'));
      if (name && seen.has(name)) errs.push(fieldErrors.duplicate(`${at}.name`, name));
      seen.add(name);
      validateRules(hook.rules, `${at}.rules`, errs);
      const fp = hook.failurePolicy;
      if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') errs.push(fieldErrors.notSupported(`${at}.failurePolicy`, fp, ['Fail', 'Ignore']));
      const mp = hook.matchPolicy;
      if (mp !== undefined && mp !== 'Equivalent' && mp !== 'Exact') errs.push(fieldErrors.notSupported(`${at}.matchPolicy`, mp, ['Equivalent', 'Exact']));
      const se = hook.sideEffects;
      if (se === undefined) errs.push(fieldErrors.required(`${at}.sideEffects`, 'must specify one of None, NoneOnDryRun'));
      else if (se !== 'None' && se !== 'NoneOnDryRun') errs.push(fieldErrors.notSupported(`${at}.sideEffects`, se, ['None', 'NoneOnDryRun']));
      const timeout = hook.timeoutSeconds;
      if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > 30)) {
        errs.push(fieldErrors.invalid(`${at}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'));
      }
      if (mutating) {
        const rp = hook.reinvocationPolicy;
        if (rp !== undefined && rp !== 'Never' && rp !== 'IfNeeded') errs.push(fieldErrors.notSupported(`${at}.reinvocationPolicy`, rp, ['Never', 'IfNeeded']));
      }
      validateClientConfig(hook.clientConfig, `${at}.clientConfig`, errs);
      const versions = list(hook.admissionReviewVersions);
      if (versions.length === 0) errs.push(fieldErrors.required(`${at}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
      else if (!versions.some((v) => v === 'v1' || v === 'v1beta1')) errs.push(fieldErrors.invalid(`${at}.admissionReviewVersions`, versions, 'must include at least one of v1, v1beta1'));
      const conditions = list(hook.matchConditions);
      const names = new Set<string>();
      conditions.forEach((c, j) => {
        const cond = record(c);
        const cn = text(cond.name);
        if (!cn) errs.push(fieldErrors.required(`${at}.matchConditions[${j}].name`));
        else if (names.has(cn)) errs.push(fieldErrors.duplicate(`${at}.matchConditions[${j}].name`, cn));
        names.add(cn);
        if (!text(cond.expression)) errs.push(fieldErrors.required(`${at}.matchConditions[${j}].expression`));
      });
      if (conditions.length > 64) errs.push({ type: 'FieldValueTooMany', field: `${at}.matchConditions`, message: `Too many: ${conditions.length}: must have at most 64 items` });
    });
    return errs;
  };
}

function webhookConfigurationType(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration', plural: string): ResourceType {
  const mutating = kind === 'MutatingWebhookConfiguration';
  return builtinType({
    group,
    version: 'v1',
    kind,
    plural,
    namespaced: false,
    categories: ['api-extensions'],
    generationFrom: 'all-but-metadata-and-status',
    columns: [column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration.'), ageColumn],
    cells: (o) => [list((o as { webhooks?: unknown }).webhooks).length, ageCell],
    defaults: defaultWebhooks(mutating),
    validate: validateWebhooks(mutating),
  });
}

export function validatingWebhookConfigurationType(): ResourceType {
  return webhookConfigurationType('ValidatingWebhookConfiguration', 'validatingwebhookconfigurations');
}

export function mutatingWebhookConfigurationType(): ResourceType {
  return webhookConfigurationType('MutatingWebhookConfiguration', 'mutatingwebhookconfigurations');
}

function spec(o: KubeObject): JsonObject {
  if (!isRecord(o.spec)) o.spec = {};
  return o.spec as JsonObject;
}

export function validatingAdmissionPolicyType(): ResourceType {
  return builtinType({
    group,
    version: 'v1',
    kind: 'ValidatingAdmissionPolicy',
    plural: 'validatingadmissionpolicies',
    namespaced: false,
    categories: ['api-extensions'],
    statusSubresource: true,
    generationFrom: 'spec',
    columns: [column('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'), column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'), ageColumn],
    cells: (o) => {
      const s = record(o.spec);
      const pk = record(s.paramKind);
      return [list(s.validations).length, pk.kind ? `${text(pk.apiVersion)}/${text(pk.kind)}` : '<unset>', ageCell];
    },
    defaults: (o) => {
      const s = spec(o);
      s.failurePolicy ??= 'Fail';
      const constraints = isRecord(s.matchConstraints) ? s.matchConstraints : undefined;
      if (constraints) {
        constraints.matchPolicy ??= 'Equivalent';
        constraints.namespaceSelector ??= {};
        constraints.objectSelector ??= {};
        for (const rule of list(constraints.resourceRules)) if (isRecord(rule)) rule.scope ??= '*';
      }
    },
    validate: (o) => {
      const errs: FieldError[] = [];
      const s = record(o.spec);
      const fp = s.failurePolicy;
      if (fp !== 'Fail' && fp !== 'Ignore') errs.push(fieldErrors.notSupported('spec.failurePolicy', fp, ['Fail', 'Ignore']));
      if (!isRecord(s.matchConstraints)) errs.push(fieldErrors.required('spec.matchConstraints'));
      else validateRules(s.matchConstraints.resourceRules, 'spec.matchConstraints.resourceRules', errs);
      const validations = list(s.validations);
      if (validations.length === 0 && list(s.auditAnnotations).length === 0) errs.push(fieldErrors.required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
      validations.forEach((v, i) => {
        if (!text(record(v).expression)) errs.push(fieldErrors.required(`spec.validations[${i}].expression`, 'expression is not specified'));
      });
      return errs;
    },
  });
}

export function validatingAdmissionPolicyBindingType(): ResourceType {
  return builtinType({
    group,
    version: 'v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    plural: 'validatingadmissionpolicybindings',
    namespaced: false,
    categories: ['api-extensions'],
    generationFrom: 'spec',
    columns: [column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'), column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'), ageColumn],
    cells: (o) => {
      const s = record(o.spec);
      const ref = record(s.paramRef);
      const refText = ref.name ? (ref.namespace ? `${text(ref.namespace)}/${text(ref.name)}` : `*/${text(ref.name)}`) : '<unset>';
      return [text(s.policyName), refText, ageCell];
    },
    defaults: (o) => {
      const s = spec(o);
      if (isRecord(s.matchResources)) {
        s.matchResources.matchPolicy ??= 'Equivalent';
        s.matchResources.namespaceSelector ??= {};
        s.matchResources.objectSelector ??= {};
      }
    },
    validate: (o) => {
      const errs: FieldError[] = [];
      const s = record(o.spec);
      if (!text(s.policyName)) errs.push(fieldErrors.required('spec.policyName'));
      const actions = list(s.validationActions);
      if (actions.length === 0) errs.push(fieldErrors.required('spec.validationActions'));
      actions.forEach((a, i) => {
        if (!['Deny', 'Warn', 'Audit'].includes(text(a))) errs.push(fieldErrors.notSupported(`spec.validationActions[${i}]`, a, ['Audit', 'Deny', 'Warn']));
      });
      if (actions.includes('Deny') && actions.includes('Warn')) errs.push(fieldErrors.invalid('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
      return errs;
    },
  });
}
