// core/v1 Service: defaults, validation, the `kubectl get services` row (TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S)).
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label, checkDns1123Subdomain } from '../names.js';
import type { PrinterColumn, ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { checkLabelKey, checkPortNumber, checkPortNumberOrName, checkProtocol } from './field-checks.js';
import { isRecord, list, num, record, text } from './json.js';
import { ageCell, ageColumn, column, formatLabels } from './printing.js';

export const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;

export const serviceColumns: PrinterColumn[] = [
  column('Type', 'string', 'type determines how the Service is exposed.'),
  column('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
  column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
  column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
  ageColumn,
  column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
];

/** `80/TCP,443:30443/TCP`: port, then the node port when there is one, then the protocol. */
export function servicePorts(ports: unknown): string {
  return list(ports)
    .map((item) => {
      const p = record(item);
      const nodePort = num(p.nodePort) ?? 0;
      return `${num(p.port) ?? 0}${nodePort > 0 ? `:${nodePort}` : ''}/${text(p.protocol)}`;
    })
    .join(',');
}

function externalIp(spec: Record<string, unknown>, status: Record<string, unknown>): string {
  const externalIPs = list(spec.externalIPs).map(text).filter(Boolean);
  switch (text(spec.type)) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = list(record(status.loadBalancer).ingress).map((i) => text(record(i).ip) || text(record(i).hostname)).filter(Boolean);
      const all = [...ingress, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return text(spec.externalName);
    default:
      return '<unknown>';
  }
}

export function serviceCells(service: KubeObject): unknown[] {
  const spec = record(service.spec);
  const clusterIP = text(list(spec.clusterIPs)[0]) || text(spec.clusterIP) || '<none>';
  const ports = servicePorts(spec.ports);
  return [text(spec.type), clusterIP, externalIp(spec, record(service.status)), ports || '<none>', ageCell, formatLabels(record(spec.selector))];
}

export function defaultService(service: KubeObject): void {
  if (!isRecord(service.spec)) service.spec = {};
  const spec = service.spec as Record<string, unknown>;
  if (!text(spec.type)) spec.type = 'ClusterIP';
  if (!text(spec.sessionAffinity)) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const config = isRecord(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : (spec.sessionAffinityConfig = {});
    const clientIP = isRecord(config.clientIP) ? config.clientIP : (config.clientIP = {});
    clientIP.timeoutSeconds ??= 10800;
  }
  for (const item of list(spec.ports)) {
    if (!isRecord(item)) continue;
    if (!text(item.protocol)) item.protocol = 'TCP';
    if (item.targetPort === undefined || item.targetPort === null || item.targetPort === 0 || item.targetPort === '') item.targetPort = item.port;
  }
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !text(spec.externalTrafficPolicy)) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

/** Validates a Service; headless services (clusterIP None) and ExternalName services may have no ports, as in Kubernetes. */
export function validateService(service: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = record(service.spec);
  const type = text(spec.type);
  const ports = list(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(fieldErrors.required('spec.ports'));
  if (type === 'ExternalName') {
    if (list(spec.clusterIPs).length > 0) errs.push(fieldErrors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const cname = text(spec.externalName).replace(/\.$/, '');
    if (!cname) errs.push(fieldErrors.required('spec.externalName'));
    else for (const m of checkDns1123Subdomain(cname)) errs.push(fieldErrors.invalid('spec.externalName', cname, m));
  }
  const names = new Set<string>();
  ports.forEach((item, i) => {
    const port = record(item);
    const p = `spec.ports[${i}]`;
    const name = text(port.name);
    if (ports.length > 1 && !name) errs.push(fieldErrors.required(`${p}.name`));
    else if (name) {
      for (const m of checkDns1123Label(name)) errs.push(fieldErrors.invalid(`${p}.name`, name, m));
      if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
      names.add(name);
    }
    errs.push(...checkPortNumber(`${p}.port`, port.port));
    errs.push(...checkProtocol(`${p}.protocol`, port.protocol));
    if (port.targetPort !== undefined && port.targetPort !== null) errs.push(...checkPortNumberOrName(`${p}.targetPort`, port.targetPort));
  });
  for (const [key, value] of Object.entries(record(spec.selector))) {
    errs.push(...checkLabelKey('spec.selector', key));
    if (typeof value !== 'string') errs.push(fieldErrors.typeInvalid(`spec.selector[${key}]`, value, 'must be a string'));
  }
  const affinity = spec.sessionAffinity;
  if (affinity !== undefined && affinity !== '' && affinity !== 'ClientIP' && affinity !== 'None') errs.push(fieldErrors.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  if (type === '') errs.push(fieldErrors.required('spec.type'));
  else if (!(serviceTypes as readonly string[]).includes(type)) errs.push(fieldErrors.notSupported('spec.type', type, serviceTypes));
  const nodePorts = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((item, i) => {
    const port = record(item);
    const p = `spec.ports[${i}]`;
    const nodePort = port.nodePort;
    if (nodePort !== undefined && nodePort !== null && nodePort !== 0) {
      if (type === 'ClusterIP') errs.push(fieldErrors.forbidden(`${p}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else errs.push(...checkPortNumber(`${p}.nodePort`, nodePort));
      const key = `${text(port.protocol)}/${JSON.stringify(nodePort)}`;
      if (nodePorts.has(key)) errs.push(fieldErrors.duplicate(`${p}.nodePort`, nodePort));
      nodePorts.add(key);
    }
    const key = `${text(port.protocol)}/${JSON.stringify(port.port) ?? ''}`;
    if (seen.has(key)) errs.push(fieldErrors.duplicate(p, { port: port.port, protocol: port.protocol }));
    seen.add(key);
  });
  return errs;
}

export function serviceType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    shortNames: ['svc'],
    categories: ['all'],
    statusSubresource: true,
    columns: serviceColumns,
    cells: serviceCells,
    defaults: defaultService,
    validate: validateService,
  });
}
