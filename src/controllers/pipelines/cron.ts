// KFP's schedules: robfig/cron v1 cron expressions (seconds field first, day-of-week optional, `@every`, `@daily`, …)
// as ScheduledWorkflow parses them, and periodic intervals. Times are UTC, the ScheduledWorkflow controller's default.

/**
 * A schedule yields the first firing time strictly after a given time, or undefined when there is none. A fixed-delay
 * schedule (`@every`, periodic) also gives its delay: its firings are a grid anchored at the previous one.
 */
export interface Schedule {
  next(after: Date): Date | undefined;
  readonly intervalMs?: number;
}

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

interface FieldBounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const monthNames = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dayNames = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const fields: readonly FieldBounds[] = [
  { name: 'seconds', min: 0, max: 59 },
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames },
  { name: 'day of week', min: 0, max: 6, names: dayNames },
];

const descriptors: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/** One parsed field: the allowed values, and whether it was written `*` / `?` (which matters for day matching). */
interface FieldSet {
  values: boolean[];
  star: boolean;
}

function parseValue(text: string, bounds: FieldBounds): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) throw new CronError(`${bounds.name}: "${text}" is not a number${bounds.names ? ' or a name' : ''}`);
  return Number(text);
}

function parseField(text: string, bounds: FieldBounds): FieldSet {
  const values = new Array<boolean>(bounds.max + 1).fill(false);
  let star = false;
  for (const part of text.split(',')) {
    const [rangeText = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`${bounds.name}: too many slashes in "${part}"`);
    let start: number;
    let end: number;
    const isStar = rangeText === '*' || rangeText === '?';
    if (isStar) {
      start = bounds.min;
      end = bounds.max;
    } else {
      const [low = '', high, more] = rangeText.split('-');
      if (more !== undefined) throw new CronError(`${bounds.name}: too many hyphens in "${rangeText}"`);
      start = parseValue(low, bounds);
      end = high === undefined ? start : parseValue(high, bounds);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw new CronError(`${bounds.name}: step "${stepText}" is not a number`);
      step = Number(stepText);
      // "N/step" means N through the maximum.
      if (!isStar && !rangeText.includes('-')) end = bounds.max;
    }
    if (start < bounds.min) throw new CronError(`${bounds.name}: ${start} is below the minimum ${bounds.min}`);
    if (end > bounds.max) throw new CronError(`${bounds.name}: ${end} is above the maximum ${bounds.max}`);
    if (start > end) throw new CronError(`${bounds.name}: the range start ${start} is after its end ${end}`);
    if (step < 1) throw new CronError(`${bounds.name}: the step must be at least 1`);
    if (isStar && step === 1) star = true;
    for (let v = start; v <= end; v += step) values[v] = true;
  }
  return { values, star };
}

/** The `@every <duration>` schedule: a fixed delay, rounded down to whole seconds (at least one). */
class EverySchedule implements Schedule {
  constructor(readonly intervalMs: number) {}

  next(after: Date): Date {
    return new Date(Math.floor(after.getTime() / 1000) * 1000 + this.intervalMs);
  }
}

class CronSchedule implements Schedule {
  constructor(
    private readonly second: FieldSet,
    private readonly minute: FieldSet,
    private readonly hour: FieldSet,
    private readonly dom: FieldSet,
    private readonly month: FieldSet,
    private readonly dow: FieldSet,
  ) {}

  private dayMatches(y: number, mo: number, d: number): boolean {
    const domMatch = this.dom.values[d] === true;
    const dowMatch = this.dow.values[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()] === true;
    // robfig: when either day field is a star, both must match; otherwise either may.
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(after: Date): Date | undefined {
    const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
    let y = t.getUTCFullYear();
    let mo = t.getUTCMonth() + 1;
    let d = t.getUTCDate();
    let h = t.getUTCHours();
    let mi = t.getUTCMinutes();
    let s = t.getUTCSeconds();
    const yearLimit = y + 5;
    for (;;) {
      // Carry overflowing fields upwards.
      if (s > 59) { s = 0; mi++; }
      if (mi > 59) { mi = 0; h++; }
      if (h > 23) { h = 0; d++; }
      if (d > daysInMonth(y, mo)) { d = 1; mo++; }
      if (mo > 12) { mo = 1; y++; }
      if (y > yearLimit) return undefined;
      if (!this.month.values[mo]) { mo++; d = 1; h = 0; mi = 0; s = 0; continue; }
      if (!this.dayMatches(y, mo, d)) { d++; h = 0; mi = 0; s = 0; continue; }
      if (!this.hour.values[h]) { h++; mi = 0; s = 0; continue; }
      if (!this.minute.values[mi]) { mi++; s = 0; continue; }
      if (!this.second.values[s]) { s++; continue; }
      return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    }
  }
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export function parseGoDuration(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  if (text === '0') return 0;
  if (text === '') throw new CronError('the duration is empty');
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new CronError(`"${text}" is not a duration such as 90s, 1h30m or 1.5h`);
    total += Number(m[1]) * durationUnits[m[2]!]!;
    pos = re.lastIndex;
  }
  return total;
}

/** Parses a cron spec as robfig/cron v1 `cron.Parse` does; throws CronError naming the bad part. */
export function parseCron(spec: string): Schedule {
  const text = spec.trim();
  if (text.startsWith('@every ') || text === '@every') {
    const ms = parseGoDuration(text.slice('@every'.length).trim());
    return new EverySchedule(Math.max(1000, Math.floor(ms / 1000) * 1000));
  }
  if (text.startsWith('@')) {
    const expanded = descriptors[text];
    if (!expanded) throw new CronError(`unrecognized descriptor "${text}"`);
    return parseCron(expanded);
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5 && parts.length !== 6) throw new CronError(`expected 5 or 6 fields (seconds first), found ${parts.length}: "${spec}"`);
  if (parts.length === 5) parts.push('*');
  const sets = parts.map((p, i) => parseField(p, fields[i]!));
  return new CronSchedule(sets[0]!, sets[1]!, sets[2]!, sets[3]!, sets[4]!, sets[5]!);
}

/** KFP's periodic schedule: every `intervalSeconds` after the reference time. */
export function periodicSchedule(intervalSeconds: number): Schedule {
  const intervalMs = intervalSeconds * 1000;
  return { intervalMs, next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + intervalMs) };
}

/**
 * Up to `limit` of the latest firing times in (after, until], oldest first. Looks back from `until` in doubling windows
 * so that a long backlog of a dense schedule does not have to be walked from its start.
 */
export function dueSlots(schedule: Schedule, after: Date, until: Date, limit: number): Date[] {
  if (limit < 1 || until.getTime() <= after.getTime()) return [];
  if (schedule.intervalMs !== undefined) {
    // A grid from the (second-truncated) previous firing: count the due slots instead of walking them.
    const base = Math.floor(after.getTime() / 1000) * 1000;
    const due = Math.floor((until.getTime() - base) / schedule.intervalMs);
    const out: Date[] = [];
    for (let k = Math.max(1, due - limit + 1); k <= due; k++) out.push(new Date(base + k * schedule.intervalMs));
    return out;
  }
  const collect = (from: number): { slots: Date[]; total: number } => {
    const slots: Date[] = [];
    let total = 0;
    let t = schedule.next(new Date(from));
    // A bounded walk: the window is chosen so that it holds few more than `limit` firings of a regular schedule.
    for (let guard = 0; t && t.getTime() <= until.getTime() && guard < 10_000_000; guard++) {
      slots.push(t);
      if (slots.length > limit) slots.shift();
      total++;
      t = schedule.next(t);
    }
    return { slots, total };
  };
  for (let window = 1000; ; window *= 2) {
    const from = Math.max(after.getTime(), until.getTime() - window);
    const { slots, total } = collect(from);
    if (total >= limit || from === after.getTime()) return slots;
  }
}
