// core/v1 ServiceAccount: a name and the SECRETS column; Floe issues no token secrets, as Kubernetes since 1.24.
import type { ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { list } from './json.js';
import { column } from './printing.js';

export function serviceAccountType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    shortNames: ['sa'],
    columns: [column('Secrets', 'integer', 'The number of secrets this service account may use.')],
    cells: (sa) => [list(sa.secrets).length],
  });
}
