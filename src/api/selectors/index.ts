// Label and field selectors as the API server accepts them in ?labelSelector= and ?fieldSelector=.
export {
  formatLabelRequirement,
  formatLabelSelector,
  labelRequirement,
  matchesLabelRequirement,
  matchesLabels,
  parseLabelSelector,
  selectorFromLabelSelectorObject,
  validateLabelSelectorObject,
  type LabelOperator,
  type LabelRequirement,
  type LabelSelector,
  type LabelSelectorObject,
  type LabelSelectorOperator,
  type LabelSelectorRequirementObject,
} from './label-selector.js';
export {
  escapeFieldValue,
  fieldsOf,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  unescapeFieldValue,
  type FieldOperator,
  type FieldRequirement,
  type FieldSelector,
} from './field-selector.js';
