// batch/v1 CronJob: SetDefaults_CronJob, ValidateCronJob (the schedule as robfig/cron's standard parser reads it, timeZone,
// the job template) and `kubectl get cj` rows. `parseSchedule` is the parser the CronJob controller schedules with.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fieldErrors, type FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import type { ResourceType } from '../resource-type.js';
import { checkNonNegative, formatSelectorCell, specOf } from './apps.js';
import { builtinType } from './builtin-type.js';
import { isRecord, list, record, text } from './json.js';
import { containerCells, containersColumn, defaultPodTemplate, imagesColumn, templateAt, validatePodTemplate, workloadPatchMeta } from './pod-template.js';
import { ageCell, ageColumn, column, since } from './printing.js';

/** One cron field's allowed values, as a set of numbers. */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Whether day-of-month or day-of-week was `*` (robfig/cron: a day matches when either field matches, unless one is `*`). */
  domStar: boolean;
  dowStar: boolean;
  /** `@every <duration>`: a fixed interval in milliseconds instead of fields. */
  everyMs?: number;
  /** A `TZ=`/`CRON_TZ=` prefix. */
  timeZone?: string;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const monthNames = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dayNames = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const fieldBounds: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: monthNames },
  { min: 0, max: 6, names: dayNames },
];

class CronError extends Error {}

/** Go's strconv.Atoi, with its error text. */
function atoi(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function intOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named ?? atoi(expr);
}

function parseRange(expr: string, b: Bounds, into: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = intOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1]!, b);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = atoi(rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.add(v);
  return star;
}

/** Go's time.ParseDuration for the `@every` descriptor (h, m, s, ms, us, µs, ns units). */
function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
  if (text === '0') return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|ns))+$/.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (const part of text.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/g)) total += Number(part[1]) * units[part[2]!]!;
  return m[1] === '-' ? -total : total;
}

/** Whether Go's time.LoadLocation knows a zone name (the system's zoneinfo, else ICU's list). */
export function isKnownTimeZone(zone: string): boolean {
  if (zone === 'UTC' || zone === '') return true;
  const file = join('/usr/share/zoneinfo', zone);
  if (!zone.split('/').includes('..') && existsSync(file)) return statSync(file).isFile();
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone === zone;
  } catch {
    return false;
  }
}

/**
 * Parses a schedule as robfig/cron's ParseStandard does (five fields, names for months and weekdays, `@hourly`…
 * descriptors, `@every 1h30m`, an optional `TZ=`/`CRON_TZ=` prefix). Throws an Error with robfig/cron's message.
 */
export function parseSchedule(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronError('empty spec string');
  let rest = spec;
  let timeZone: string | undefined;
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const space = rest.indexOf(' ');
    const zone = rest.slice(rest.indexOf('=') + 1, space < 0 ? undefined : space);
    if (space < 0 || !isKnownTimeZone(zone)) throw new CronError(`provided bad location ${zone}: unknown time zone ${zone}`);
    timeZone = zone;
    rest = rest.slice(space).trim();
  }
  const all = (b: Bounds): Set<number> => new Set(Array.from({ length: b.max - b.min + 1 }, (_, i) => b.min + i));
  const one = (v: number): Set<number> => new Set([v]);
  const withZone = (s: CronSchedule): CronSchedule => (timeZone === undefined ? s : { ...s, timeZone });
  if (rest.startsWith('@')) {
    const [min, hour, dom, month, dow] = fieldBounds as [Bounds, Bounds, Bounds, Bounds, Bounds];
    const base = { minutes: one(0), hours: one(0), daysOfMonth: all(dom), months: all(month), daysOfWeek: all(dow), domStar: true, dowStar: true };
    switch (rest) {
      case '@yearly':
      case '@annually':
        return withZone({ ...base, daysOfMonth: one(1), months: one(1), domStar: false });
      case '@monthly':
        return withZone({ ...base, daysOfMonth: one(1), domStar: false });
      case '@weekly':
        return withZone({ ...base, daysOfWeek: one(0), dowStar: false });
      case '@daily':
      case '@midnight':
        return withZone(base);
      case '@hourly':
        return withZone({ ...base, hours: all(hour) });
    }
    if (rest.startsWith('@every ')) {
      const d = parseGoDuration(rest.slice('@every '.length));
      if (d === undefined) throw new CronError(`failed to parse duration ${rest}: time: invalid duration ${JSON.stringify(rest.slice('@every '.length))}`);
      // robfig/cron rounds below a second up to one second.
      return withZone({ ...base, minutes: all(min), everyMs: Math.max(1000, d - (d % 1000)) });
    }
    throw new CronError(`unrecognized descriptor: ${rest}`);
  }
  const fields = rest.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const sets = fields.map(() => new Set<number>());
  const stars = fields.map((f, i) => {
    let star = false;
    for (const expr of f.split(',')) star = parseRange(expr, fieldBounds[i]!, sets[i]!) || star;
    return star;
  });
  return withZone({
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: sets[4]!,
    domStar: stars[2]!,
    dowStar: stars[4]!,
  });
}

/** robfig/cron's error for a schedule, or undefined when it parses. */
export function scheduleError(spec: string): string | undefined {
  try {
    parseSchedule(spec);
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

export function defaultCronJob(object: KubeObject): void {
  const spec = specOf(object);
  if (!isRecord(object.status)) object.status = {};
  if (!text(spec.concurrencyPolicy)) spec.concurrencyPolicy = 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  const jobTemplate = templateAt(spec, 'jobTemplate');
  if (!isRecord(jobTemplate.metadata)) jobTemplate.metadata = {};
  const jobSpec = templateAt(jobTemplate, 'spec');
  defaultPodTemplate(templateAt(jobSpec, 'template'));
}

const validTimeZoneCharacters = /^[A-Za-z.\-_0-9+]{1,14}$/;

function checkTimeZone(value: unknown): FieldError[] {
  if (value === undefined || value === null) return [];
  const zone = text(value);
  const path = 'spec.timeZone';
  if (zone === '') return [fieldErrors.invalid(path, zone, 'timeZone must be nil or non-empty string')];
  for (const part of zone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !validTimeZoneCharacters.test(part)) return [fieldErrors.invalid(path, zone, `unknown time zone ${zone}`)];
  }
  const errs: FieldError[] = [];
  if (zone.toLowerCase() === 'local') errs.push(fieldErrors.invalid(path, zone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  if (zone !== 'Local' && !isKnownTimeZone(zone)) errs.push(fieldErrors.invalid(path, zone, `unknown time zone ${zone}`));
  return errs;
}

/** validateJobSpec for a CronJob's job template (no selector: the Job controller generates it). */
function checkJobTemplate(value: unknown, namespace: string | undefined): FieldError[] {
  const path = 'spec.jobTemplate.spec';
  const spec = record(record(value).spec);
  const errs: FieldError[] = [];
  for (const field of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...checkNonNegative(`${path}.${field}`, spec[field]));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(fieldErrors.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) errs.push(fieldErrors.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  errs.push(...validatePodTemplate(spec.template, `${path}.template`, namespace));
  const restart = text(record(record(spec.template).spec).restartPolicy);
  if (restart === 'Always' || restart === '') errs.push(fieldErrors.required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  else if (restart !== 'OnFailure' && restart !== 'Never') errs.push(fieldErrors.notSupported(`${path}.template.spec.restartPolicy`, restart, ['OnFailure', 'Never']));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(fieldErrors.invalid(`${path}.selector`, spec.selector, '`selector` will be auto-generated'));
  if (spec.manualSelector === true) errs.push({ type: 'FieldValueNotSupported', field: `${path}.manualSelector`, message: 'Unsupported value: true: supported values: "nil", "false"' });
  return errs;
}

export function validateCronJob(object: KubeObject, old?: KubeObject): FieldError[] {
  const spec = record(object.spec);
  const oldSpec = old ? record(old.spec) : undefined;
  const errs: FieldError[] = [];
  const schedule = text(spec.schedule);
  if (!schedule) {
    errs.push(fieldErrors.required('spec.schedule'));
  } else {
    const problem = scheduleError(schedule);
    if (problem !== undefined) errs.push(fieldErrors.invalid('spec.schedule', schedule, problem));
    const allowTz = oldSpec !== undefined && text(oldSpec.schedule).includes('TZ');
    const hasZone = spec.timeZone !== undefined && spec.timeZone !== null;
    if (allowTz && schedule.includes('TZ') && hasZone) errs.push(fieldErrors.invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    else if (!allowTz && schedule.includes('TZ')) errs.push(fieldErrors.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  errs.push(...checkNonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...checkTimeZone(spec.timeZone));
  const policy = text(spec.concurrencyPolicy);
  if (!policy) errs.push(fieldErrors.required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(fieldErrors.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  errs.push(...checkJobTemplate(spec.jobTemplate, object.metadata.namespace));
  errs.push(...checkNonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  errs.push(...checkNonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  // Job names are `<cronjob>-<minutes since the epoch>`: 11 characters on top of the CronJob's name, 63 at most.
  const name = object.metadata.name ?? '';
  if (!old && name.length > 52) errs.push(fieldErrors.invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs;
}

export function cronJobType(): ResourceType {
  const type = builtinType({
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    shortNames: ['cj'],
    categories: ['all'],
    statusSubresource: true,
    createClearsStatus: true,
    generationFrom: 'spec',
    columns: [
      column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
      column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
      column('Active', 'integer', 'A list of pointers to currently running jobs.'),
      column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
    ],
    cells: (o) => {
      const spec = record(o.spec);
      const status = record(o.status);
      const jobSpec = record(record(spec.jobTemplate).spec);
      const last = status.lastScheduleTime ? since(status.lastScheduleTime, new Date()) : '<none>';
      const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
      return [text(spec.schedule), isRecord(spec) && typeof spec.timeZone === 'string' ? spec.timeZone : '<none>', suspend, list(status.active).length, last, ageCell, ...containerCells(jobSpec.template), formatSelectorCell(jobSpec.selector)];
    },
    defaults: defaultCronJob,
    validate: validateCronJob,
  });
  type.patchMeta = workloadPatchMeta(['spec', 'jobTemplate', 'spec', 'template']);
  return type;
}
