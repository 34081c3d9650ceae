// coordination.k8s.io/v1 Lease: HOLDER, and durations that make sense.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { record, text } from './json.js';
import { column } from './printing.js';

export function validateLease(lease: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = record(lease.spec);
  const duration = spec.leaseDurationSeconds;
  if (duration !== undefined && duration !== null && !(typeof duration === 'number' && duration > 0)) {
    errs.push(fieldErrors.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = spec.leaseTransitions;
  if (transitions !== undefined && transitions !== null && !(typeof transitions === 'number' && transitions >= 0)) {
    errs.push(fieldErrors.invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function leaseType(): ResourceType {
  return builtinType({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    columns: [column('Holder', 'string', 'The holder of the lease.')],
    cells: (lease) => [text(record(lease.spec).holderIdentity)],
    validate: validateLease,
  });
}
