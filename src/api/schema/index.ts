// Schema admission, CRD handling and printer-column paths.
export { admitWithSchema, type Admitted } from './structural.js';
export { defaultCrd, validateCrd, resourceTypesFromCrd } from './crd.js';
export { evaluateColumnPath } from './json-path.js';
