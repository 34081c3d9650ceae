// discovery.k8s.io/v1 EndpointSlice: what `kubectl describe service` reads for a Service's endpoints.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { checkPortNumber, checkProtocol } from './field-checks.js';
import { list, num, record, text } from './json.js';
import { column } from './printing.js';

const addressTypes = ['IPv4', 'IPv6', 'FQDN'];

/** `80/TCP,443/TCP`, or `<unset>` for a port without a number, as kubectl prints slices. */
function formatPorts(slice: KubeObject): string {
  const ports = list(slice.ports).map(record);
  if (ports.length === 0) return '<unset>';
  return ports.map((p) => (num(p.port) === undefined ? '<unset>' : `${num(p.port) ?? ''}`)).join(',');
}

/** At most three addresses, then how many more. */
function formatEndpoints(slice: KubeObject): string {
  const addresses = list(slice.endpoints).flatMap((e) => list(record(e).addresses).map((a) => text(a)));
  if (addresses.length === 0) return '<unset>';
  return addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(',');
}

export function validateEndpointSlice(slice: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = text(slice.addressType);
  if (!addressType) errs.push(fieldErrors.required('addressType'));
  else if (!addressTypes.includes(addressType)) errs.push(fieldErrors.notSupported('addressType', addressType, addressTypes));
  list(slice.endpoints).forEach((e, i) => {
    const addresses = list(record(e).addresses);
    if (addresses.length === 0) errs.push(fieldErrors.required(`endpoints[${i}].addresses`, 'must contain at least one address'));
  });
  list(slice.ports).forEach((p, i) => {
    const port = record(p);
    if (port.port !== undefined) errs.push(...checkPortNumber(`ports[${i}].port`, port.port));
    errs.push(...checkProtocol(`ports[${i}].protocol`, port.protocol));
  });
  return errs;
}

export function endpointSliceType(): ResourceType {
  return builtinType({
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    columns: [
      column('AddressType', 'string', 'The IP protocol for this slice'),
      column('Ports', 'string', 'The ports for this slice'),
      column('Endpoints', 'string', 'First three addresses of the slice'),
    ],
    cells: (slice) => [text(slice.addressType), formatPorts(slice), formatEndpoints(slice)],
    validate: validateEndpointSlice,
  });
}
