// core/v1 Endpoints: address and port checks, and the ENDPOINTS column (`10.0.0.1:80,10.0.0.2:80 + 3 more...`).
import { isIP } from 'node:net';
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { checkDns1123Label } from '../names.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { checkIp, checkPortNumber, checkProtocol } from './field-checks.js';
import { isRecord, list, num, record, text } from './json.js';
import { column } from './printing.js';

/** At most three `ip:port` pairs, then how many more; '<none>' without subsets. */
export function formatEndpoints(endpoints: KubeObject): string {
  const subsets = list(endpoints.subsets).map(record);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let count = 0;
  for (const subset of subsets) {
    const ips = list(subset.addresses).map((a) => text(record(a).ip));
    const ports = list(subset.ports).map(record);
    // Headless services may have no ports: list bare addresses.
    const pairs = ports.length === 0 ? [ips] : ports.map((p) => ips.map((ip) => `${isIP(ip) === 6 ? `[${ip}]` : ip}:${num(p.port) ?? 0}`));
    for (const group of pairs) {
      count += group.length;
      for (const entry of group) if (shown.length < max) shown.push(entry);
    }
  }
  return count > max ? `${shown.join(',')} + ${count - max} more...` : shown.join(',');
}

export function defaultEndpoints(endpoints: KubeObject): void {
  for (const subset of list(endpoints.subsets)) {
    for (const port of list(record(subset).ports)) if (isRecord(port) && !text(port.protocol)) port.protocol = 'TCP';
  }
}

export function validateEndpoints(endpoints: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  list(endpoints.subsets).forEach((item, i) => {
    const subset = record(item);
    const p = `subsets[${i}]`;
    const addresses = list(subset.addresses);
    const notReady = list(subset.notReadyAddresses);
    if (addresses.length === 0 && notReady.length === 0) errs.push(fieldErrors.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    addresses.forEach((a, j) => errs.push(...checkIp(`${p}.addresses[${j}].ip`, record(a).ip)));
    notReady.forEach((a, j) => errs.push(...checkIp(`${p}.notReadyAddresses[${j}].ip`, record(a).ip)));
    const ports = list(subset.ports);
    ports.forEach((portItem, j) => {
      const port = record(portItem);
      const pp = `${p}.ports[${j}]`;
      const name = text(port.name);
      if (ports.length > 1 && !name) errs.push(fieldErrors.required(`${pp}.name`));
      else if (name) for (const m of checkDns1123Label(name)) errs.push(fieldErrors.invalid(`${pp}.name`, name, m));
      errs.push(...checkPortNumber(`${pp}.port`, port.port));
      errs.push(...checkProtocol(`${pp}.protocol`, port.protocol));
    });
  });
  return errs;
}

export function endpointsType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    shortNames: ['ep'],
    columns: [column('Endpoints', 'string', 'IP addresses and ports of the endpoints, at most three shown.')],
    cells: (endpoints) => [formatEndpoints(endpoints)],
    defaults: defaultEndpoints,
    validate: validateEndpoints,
  });
}
