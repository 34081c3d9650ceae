// networking.k8s.io/v1 NetworkPolicy, Ingress and IngressClass: defaults, validation and `kubectl get` rows.
// Floe serves these objects; it enforces no network policy and runs no ingress controller (docs/compatibility.md).
import { isIP } from 'node:net';
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1035Label, checkDns1123Label, checkDns1123Subdomain } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { validateLabelSelectorObject } from '../selectors/index.js';
import { formatSelectorCell, specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { workloadPatchMeta } from './pod-template.js';
import { checkPortNumber, portNameMessages, regexError } from './field-checks.js';
import { isRecord, list, record, sameJson, text } from './json.js';
import { ageCell, ageColumn, column } from './printing.js';

const set = (v: unknown): boolean => v !== undefined && v !== null;

// ---- NetworkPolicy ---------------------------------------------------------------------------------------------------

export function defaultNetworkPolicy(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(spec.podSelector)) spec.podSelector = {};
  for (const rule of [...list(spec.ingress), ...list(spec.egress)]) {
    for (const port of list(record(rule).ports)) if (isRecord(port) && !set(port.protocol)) port.protocol = 'TCP';
  }
  if (list(spec.policyTypes).length === 0) spec.policyTypes = list(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function checkSelector(value: unknown, path: string): FieldError[] {
  return isRecord(value) ? validateLabelSelectorObject(value, path) : [];
}

function checkPolicyPort(value: unknown, path: string): FieldError[] {
  const port = record(value);
  const errs: FieldError[] = [];
  if (set(port.protocol) && !['TCP', 'UDP', 'SCTP'].includes(text(port.protocol))) errs.push(fieldErrors.notSupported(`${path}.protocol`, port.protocol, ['TCP', 'UDP', 'SCTP']));
  if (set(port.port)) {
    if (typeof port.port === 'number') {
      errs.push(...checkPortNumber(`${path}.port`, port.port));
      if (set(port.endPort)) {
        if ((port.endPort as number) < port.port) errs.push(fieldErrors.invalid(`${path}.endPort`, port.port, 'must be greater than or equal to `port`'));
        errs.push(...checkPortNumber(`${path}.endPort`, port.endPort));
      }
    } else {
      if (set(port.endPort)) errs.push(fieldErrors.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
      for (const m of portNameMessages(text(port.port))) errs.push(fieldErrors.invalid(`${path}.port`, port.port, m));
    }
  } else if (set(port.endPort)) {
    errs.push(fieldErrors.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function checkCidr(value: string): boolean {
  const [ip, bits, extra] = value.split('/');
  if (extra !== undefined || ip === undefined || bits === undefined || !/^\d+$/.test(bits)) return false;
  const family = isIP(ip);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

function checkPeer(value: unknown, path: string): FieldError[] {
  const peer = record(value);
  const errs: FieldError[] = [];
  let count = 0;
  for (const key of ['podSelector', 'namespaceSelector']) {
    if (!set(peer[key])) continue;
    count++;
    errs.push(...checkSelector(peer[key], `${path}.${key}`));
  }
  if (set(peer.ipBlock)) {
    count++;
    const block = record(peer.ipBlock);
    const cidr = text(block.cidr);
    if (!cidr) errs.push(fieldErrors.required(`${path}.ipBlock.cidr`));
    else if (!checkCidr(cidr)) errs.push(fieldErrors.invalid(`${path}.ipBlock.cidr`, cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    list(block.except).forEach((e, i) => {
      if (!checkCidr(text(e))) errs.push(fieldErrors.invalid(`${path}.ipBlock.except[${i}]`, e, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  if (count === 0) errs.push(fieldErrors.required(path, 'must specify a peer'));
  else if (count > 1 && set(peer.ipBlock)) errs.push(fieldErrors.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateNetworkPolicy(object: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs = checkSelector(spec.podSelector, 'spec.podSelector');
  for (const [key, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    list(spec[key]).forEach((rule, i) => {
      const at = `spec.${key}[${i}]`;
      list(record(rule).ports).forEach((p, j) => errs.push(...checkPolicyPort(p, `${at}.ports[${j}]`)));
      list(record(rule)[peers]).forEach((p, j) => errs.push(...checkPeer(p, `${at}.${peers}[${j}]`)));
    });
  }
  const types = list(spec.policyTypes);
  if (types.length > 2) errs.push(fieldErrors.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  else types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErrors.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  return errs;
}

export function networkPolicyType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    shortNames: ['netpol'],
    generationFrom: 'spec',
    columns: [column('Pod-Selector', 'string', 'podSelector selects the pods to which this NetworkPolicy object applies.'), ageColumn],
    cells: (o) => [formatSelectorCell(record(o.spec).podSelector), ageCell],
    defaults: defaultNetworkPolicy,
    validate: validateNetworkPolicy,
  });
}

// ---- Ingress ---------------------------------------------------------------------------------------------------------

const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];

/** IsWildcardDNS1123Subdomain. */
function wildcardMessages(host: string): string[] {
  const re = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  const out: string[] = [];
  if (host.length > 253) out.push('must be no more than 253 characters');
  if (!re.test(host)) {
    out.push(regexError("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character", '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', '*.example.com'));
  }
  return out;
}

function checkHost(host: string, path: string): FieldError[] {
  const messages = host.includes('*') ? wildcardMessages(host) : checkDns1123Subdomain(host);
  return messages.map((m) => fieldErrors.invalid(path, host, m));
}

function checkBackend(value: unknown, path: string): FieldError[] {
  const backend = record(value);
  const hasResource = set(backend.resource);
  const hasService = set(backend.service);
  if (hasResource && hasService) return [fieldErrors.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) {
    const r = record(backend.resource);
    const errs: FieldError[] = [];
    if (!text(r.kind)) errs.push(fieldErrors.required(`${path}.resource.kind`));
    if (!text(r.name)) errs.push(fieldErrors.required(`${path}.resource.name`));
    return errs;
  }
  if (!hasService) return [fieldErrors.invalid(path, '', 'resource or service backend is required')];
  const service = record(backend.service);
  const errs: FieldError[] = [];
  const name = text(service.name);
  if (!name) errs.push(fieldErrors.required(`${path}.service.name`));
  else for (const m of checkDns1035Label(name)) errs.push(fieldErrors.invalid(`${path}.service.name`, name, m));
  const port = record(service.port);
  const portName = text(port.name);
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber !== 0) errs.push(fieldErrors.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of portNameMessages(portName)) errs.push(fieldErrors.invalid(`${path}.service.port.name`, portName, m));
  else if (portNumber !== 0) errs.push(...checkPortNumber(`${path}.service.port.number`, portNumber));
  else errs.push(fieldErrors.required(path, 'port name or number is required'));
  return errs;
}

function checkHttpPath(value: unknown, path: string): FieldError[] {
  const p = record(value);
  if (!set(p.pathType)) return [fieldErrors.required(`${path}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const route = text(p.path);
  const type = text(p.pathType);
  if (type === 'Exact' || type === 'Prefix') {
    if (!route.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, route, 'must be an absolute path'));
    if (route.length > 0) {
      for (const seq of invalidPathSequences) if (route.includes(seq)) errs.push(fieldErrors.invalid(`${path}.path`, route, `must not contain '${seq}'`));
      for (const suffix of invalidPathSuffixes) if (route.endsWith(suffix)) errs.push(fieldErrors.invalid(`${path}.path`, route, `cannot end with '${suffix}'`));
    }
  } else if (type === 'ImplementationSpecific') {
    if (route.length > 0 && !route.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, route, 'must be an absolute path'));
  } else {
    errs.push(fieldErrors.notSupported(`${path}.pathType`, type, ['Exact', 'ImplementationSpecific', 'Prefix']));
  }
  errs.push(...checkBackend(p.backend, `${path}.backend`));
  return errs;
}

export function validateIngress(object: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  const rules = list(spec.rules);
  if (rules.length === 0 && !set(spec.defaultBackend)) errs.push({ type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified' });
  if (set(spec.defaultBackend)) errs.push(...checkBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((item, i) => {
    const rule = record(item);
    const at = `spec.rules[${i}]`;
    const host = text(rule.host);
    if (host) {
      if (isIP(host) !== 0) errs.push(fieldErrors.invalid(`${at}.host`, host, 'must be a DNS name, not an IP address'));
      errs.push(...checkHost(host, `${at}.host`));
    }
    if (isRecord(rule.http)) {
      const paths = list(rule.http.paths);
      if (paths.length === 0) errs.push(fieldErrors.required(`${at}.http.paths`));
      paths.forEach((p, j) => errs.push(...checkHttpPath(p, `${at}.http.paths[${j}]`)));
    }
  });
  list(spec.tls).forEach((item, i) => {
    const tls = record(item);
    list(tls.hosts).forEach((h, j) => errs.push(...checkHost(text(h), `spec.tls[${i}].hosts[${j}]`)));
    const secret = text(tls.secretName);
    if (secret) for (const m of checkDns1123Subdomain(secret)) errs.push(fieldErrors.invalid(`spec.tls[${i}].secretName`, secret, m));
  });
  if (set(spec.ingressClassName)) for (const m of checkDns1123Subdomain(text(spec.ingressClassName))) errs.push(fieldErrors.invalid('spec.ingressClassName', spec.ingressClassName, m));
  return errs;
}

function ingressCells(o: KubeObject): unknown[] {
  const spec = record(o.spec);
  const rules = list(spec.rules).map(record);
  const hosts: string[] = [];
  for (const r of rules.slice(0, 3)) if (text(r.host)) hosts.push(text(r.host));
  const hostCell = hosts.length === 0 ? '*' : rules.length > 3 ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
  const addresses = [...new Set(list(record(record(o.status).loadBalancer).ingress).map((i) => text(record(i).ip) || text(record(i).hostname)).filter(Boolean))].sort();
  let address = addresses.join(',');
  if (address.length > 16) address = `${address.slice(0, 13)}...`;
  return [set(spec.ingressClassName) ? text(spec.ingressClassName) : '<none>', hostCell, address, list(spec.tls).length > 0 ? '80, 443' : '80', ageCell];
}

export function ingressType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    shortNames: ['ing'],
    statusSubresource: true,
    createClearsStatus: true,
    generationFrom: 'spec',
    columns: [
      column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
      column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'string', 'Ports of TLS configurations that open'),
      ageColumn,
    ],
    cells: ingressCells,
    defaults: (o) => {
      specOf(o);
      if (!isRecord(o.status)) o.status = { loadBalancer: {} };
    },
    validate: validateIngress,
  });
}

// ---- IngressClass ----------------------------------------------------------------------------------------------------

function checkDomainPrefixedPath(path: string, value: string): FieldError[] {
  if (!value) return [fieldErrors.required(path)];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return [fieldErrors.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  const errs = checkDns1123Subdomain(host).map((m) => fieldErrors.invalid(path, host, m));
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest)) errs.push(fieldErrors.invalid(path, rest, regexError('must be a valid path', "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+")));
  return errs;
}

export function validateIngressClass(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const errs: FieldError[] = [];
  const controller = text(spec.controller);
  if (controller.length > 250) errs.push(fieldErrors.tooLong('spec.controller', 250));
  errs.push(...checkDomainPrefixedPath('spec.controller', controller));
  if (isRecord(spec.parameters)) {
    const p = spec.parameters;
    const path = 'spec.parameters';
    if (!text(p.kind)) errs.push(fieldErrors.required(`${path}.kind`));
    if (!text(p.name)) errs.push(fieldErrors.required(`${path}.name`));
    const scope = text(p.scope);
    if (!set(p.scope)) errs.push(fieldErrors.required(`${path}.scope`));
    else if (scope !== 'Cluster' && scope !== 'Namespace') errs.push(fieldErrors.notSupported(`${path}.scope`, scope, ['Cluster', 'Namespace']));
    else if (scope === 'Namespace') {
      if (!set(p.namespace)) errs.push(fieldErrors.required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
      else for (const m of checkDns1123Label(text(p.namespace))) errs.push(fieldErrors.invalid(`${path}.namespace`, p.namespace, m));
    } else if (set(p.namespace)) errs.push(fieldErrors.forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  if (old && !sameJson(record(old.spec).controller, spec.controller)) errs.push(fieldErrors.invalid('spec.controller', controller, 'field is immutable'));
  return errs;
}

export function ingressClassType(): ResourceType {
  return builtinType({
    patchMeta: workloadPatchMeta([]),
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    plural: 'ingressclasses',
    namespaced: false,
    generationFrom: 'spec',
    columns: [column('Controller', 'string', 'Controller that is responsible for handling this class'), column('Parameters', 'string', 'A reference to a resource with additional parameters'), ageColumn],
    cells: (o) => {
      const spec = record(o.spec);
      const p = isRecord(spec.parameters) ? (spec.parameters) : undefined;
      const parameters = p ? `${text(p.kind)}${set(p.apiGroup) ? `.${text(p.apiGroup)}` : ''}/${text(p.name)}` : '<none>';
      return [text(spec.controller), parameters, ageCell];
    },
    defaults: (o) => {
      const spec = specOf(o);
      if (isRecord(spec.parameters) && !set(spec.parameters.scope)) spec.parameters.scope = 'Cluster';
    },
    validate: validateIngressClass,
  });
}
