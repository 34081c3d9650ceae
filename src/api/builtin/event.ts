// core/v1 Event: the `kubectl get events` row (LAST SEEN first, NAME last and hidden), field selectors, namespace rules.
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { PrinterColumn, ResourceType } from '../resource-type.js';
import { builtinType } from './builtin-type.js';
import { isRecord, num, record, text } from './json.js';
import { column, since } from './printing.js';

/**
 * kube-apiserver's event columns. It leads with LAST SEEN and ends with NAME at priority 1; NAME is not listed
 * here because the Table code appends it for core/v1 Events (and appends no AGE).
 */
export const eventColumns: PrinterColumn[] = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  column('Object', 'string', 'The object that this event is about.'),
  column('Subobject', 'string', 'The field of the object that this event is about, like spec.containers{name}.', 1),
  column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
  column('Count', 'integer', 'The number of times this event has occurred.', 1),
];

/** `kubelet, node-1`: the source component (or reporting controller), then the host (or reporting instance). */
function eventSource(event: KubeObject): string {
  const source = record(event.source);
  const component = text(source.component) || text(event.reportingComponent);
  const instance = text(source.host) || text(event.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

/** Cells in `eventColumns` order; ages are measured from `now`. */
export function eventCells(event: KubeObject, now: Date): unknown[] {
  const involved = record(event.involvedObject);
  const series = isRecord(event.series) ? event.series : undefined;
  const firstSeen = text(event.firstTimestamp) ? since(event.firstTimestamp, now) : since(event.eventTime, now);
  let lastSeen = text(event.lastTimestamp) ? since(event.lastTimestamp, now) : firstSeen;
  let count = num(event.count) ?? 0;
  if (series) {
    lastSeen = since(series.lastObservedTime, now);
    count = num(series.count) ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const kind = text(involved.kind).toLowerCase();
  const name = text(involved.name);
  const object = name ? `${kind}/${name}` : kind;
  return [lastSeen, text(event.type), text(event.reason), object, text(involved.fieldPath), eventSource(event), text(event.message).trim(), firstSeen, count];
}

/**
 * An Event must say what it is about, and a core/v1 Event without eventTime lives in its object's namespace
 * (cluster-scoped objects' events in 'default' or no namespace).
 */
export function validateEvent(event: KubeObject): FieldError[] {
  if (!isRecord(event.involvedObject)) return [fieldErrors.required('involvedObject')];
  const involvedNamespace = text(event.involvedObject.namespace);
  const namespace = event.metadata.namespace ?? '';
  if (text(event.eventTime)) return [];
  const matches = involvedNamespace === '' ? namespace === '' || namespace === 'default' : namespace === involvedNamespace;
  return matches ? [] : [fieldErrors.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace')];
}

const involved = (field: string) => (event: KubeObject): string => text(record(event.involvedObject)[field]);

export const eventSelectableFields: Record<string, (event: KubeObject) => string> = {
  'involvedObject.kind': involved('kind'),
  'involvedObject.namespace': involved('namespace'),
  'involvedObject.name': involved('name'),
  'involvedObject.uid': involved('uid'),
  'involvedObject.apiVersion': involved('apiVersion'),
  'involvedObject.resourceVersion': involved('resourceVersion'),
  'involvedObject.fieldPath': involved('fieldPath'),
  reason: (e) => text(e.reason),
  reportingComponent: (e) => text(e.reportingComponent),
  source: (e) => text(record(e.source).component) || text(e.reportingComponent),
  type: (e) => text(e.type),
};

export function eventType(): ResourceType {
  return builtinType({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    shortNames: ['ev'],
    columns: eventColumns,
    cells: (event) => eventCells(event, new Date()),
    validate: validateEvent,
    selectableFields: eventSelectableFields,
  });
}
