// Schema admission, CRD handling and printer-column paths.
export { admitWithSchema, admitValue, type Admitted, type AdmitValueOptions } from './structural.js';
export { validateStructuralSchema } from './schema-checks.js';
export { defaultCrd, validateCrd, resourceTypesFromCrd } from './crd.js';
export { evaluateColumnPath, evaluateJsonPath, parseJsonPath, JsonPathError, type JsonPathStep, type JsonPathFilter } from './json-path.js';
export { formatCell, normalizeTimestamp } from './column-cell.js';
export { matchesFormat, isKnownFormat, compilePattern, patternError } from './formats.js';
export { compileRe2, type Re2Pattern, type Re2SyntaxError } from './re2.js';
