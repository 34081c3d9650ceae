// CronJob schedules as kube-controller-manager parses them (robfig/cron v3 ParseStandard): five fields (minute hour
// day-of-month month day-of-week), `@hourly`-style descriptors, `@every <duration>`, a `TZ=`/`CRON_TZ=` prefix, and the
// CronJob's `spec.timeZone`; plus the controller's "most recent unmet schedule time" arithmetic (cronjob/utils.go).
// The pipelines' parser (src/controllers/pipelines/cron.ts) is KFP's six-field, UTC-only dialect, hence a separate one.

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** The first firing strictly after a time (epoch ms), or undefined when there is none within five years. */
export interface CronSchedule {
  next(afterMs: number): number | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const weekdays: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };
const fieldBounds: Bounds[] = [{ min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, months, weekdays];

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  values: boolean[];
  star: boolean;
}

function parseNumber(text: string, b: Bounds): number {
  const named = b.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) throw new ScheduleError(`failed to parse int from ${text}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

/** robfig getField: comma-separated ranges `a`, `a-b`, `*`, `?`, each with an optional `/step`. */
function parseField(text: string, b: Bounds): Field {
  const values = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new ScheduleError(`too many slashes: ${part}`);
    let start: number;
    let end: number;
    let isStar = false;
    if (range === '*' || range === '?') {
      [start, end, isStar] = [b.min, b.max, true];
    } else {
      const [low = '', high, more] = range.split('-');
      if (more !== undefined) throw new ScheduleError(`too many hyphens: ${range}`);
      start = parseNumber(low, b);
      end = high === undefined ? start : parseNumber(high, b);
    }
    let step = 1;
    if (stepText !== undefined) {
      step = parseNumber(stepText, { min: 0, max: 0 });
      if (!isStar && !range.includes('-')) end = b.max;
      if (step > 1) isStar = false;
    }
    if (start < b.min) throw new ScheduleError(`beginning of range (${start}) below minimum (${b.min}): ${part}`);
    if (end > b.max) throw new ScheduleError(`end of range (${end}) above maximum (${b.max}): ${part}`);
    if (start > end) throw new ScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    if (step === 0) throw new ScheduleError(`step of range should be a positive number: ${part}`);
    if (isStar) star = true;
    for (let v = start; v <= end; v += step) values[v] = true;
  }
  return { values, star };
}

/** Wall-clock fields of an instant in a zone. */
interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** Throws ScheduleError for a zone name the runtime does not know (Go's time.LoadLocation error, in words). */
export function checkTimeZone(zone: string): void {
  try {
    formatter(zone);
  } catch {
    throw new ScheduleError(`unknown time zone ${zone}`);
  }
}

function wallOf(ms: number, zone: string): Wall {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), mo: Number(parts.month), d: Number(parts.day), h: Number(parts.hour), mi: Number(parts.minute) };
}

const wallMs = (w: Wall): number => Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);

/** The instant a wall time names in a zone, or undefined when the zone skips it (a DST gap). */
function instantOf(w: Wall, zone: string): number | undefined {
  const guess = wallMs(w);
  const offset1 = wallMs(wallOf(guess, zone)) - guess;
  const candidate = guess - offset1;
  const offset2 = wallMs(wallOf(candidate, zone)) - candidate;
  const at = guess - offset2;
  return wallMs(wallOf(at, zone)) === guess ? at : undefined;
}

class FieldSchedule implements CronSchedule {
  constructor(
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
    private readonly zone: string,
  ) {}

  private dayMatches(y: number, mo: number, d: number): boolean {
    const domMatch = this.dom.values[d] === true;
    const dowMatch = this.dow.values[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()] === true;
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(afterMs: number): number | undefined {
    let w = wallOf(afterMs, this.zone);
    const yearLimit = w.y + 5;
    // The first whole minute after `after`, then the first wall time matching every field that the zone does not skip.
    let { y, mo, d, h, mi } = w;
    mi += 1;
    for (;;) {
      if (mi > 59) { mi = 0; h++; }
      if (h > 23) { h = 0; d++; }
      if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) { d = 1; mo++; }
      if (mo > 12) { mo = 1; y++; }
      if (y > yearLimit) return undefined;
      if (!this.month.values[mo]) { mo++; d = 1; h = 0; mi = 0; continue; }
      if (!this.dayMatches(y, mo, d)) { d++; h = 0; mi = 0; continue; }
      if (!this.hour.values[h]) { h++; mi = 0; continue; }
      if (!this.minute.values[mi]) { mi++; continue; }
      w = { y, mo, d, h, mi };
      const at = instantOf(w, this.zone);
      if (at !== undefined && at > afterMs) return at;
      mi++;
    }
  }
}

class EverySchedule implements CronSchedule {
  constructor(private readonly intervalMs: number) {}

  next(afterMs: number): number {
    return Math.floor(afterMs / 1000) * 1000 + this.intervalMs;
  }
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (durationUnits[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) throw new ScheduleError(`failed to parse duration ${text}: time: invalid duration "${text}"`);
  return total;
}

/**
 * Parses a schedule as cron.ParseStandard does, in `defaultZone` unless the text starts with `TZ=<zone> ` or
 * `CRON_TZ=<zone> `. Throws ScheduleError with robfig's wording.
 */
export function parseSchedule(text: string, defaultZone = 'UTC'): CronSchedule {
  let spec = text.trim();
  let zone = defaultZone;
  const tz = /^(?:CRON_TZ|TZ)=(\S*)\s+/.exec(spec);
  if (tz) {
    zone = tz[1] ?? '';
    spec = spec.slice(tz[0].length).trim();
  }
  try {
    checkTimeZone(zone);
  } catch {
    throw new ScheduleError(`provided bad location ${zone}: unknown time zone ${zone}`);
  }
  if (spec.startsWith('@every ')) {
    const ms = parseDuration(spec.slice('@every '.length).trim());
    return new EverySchedule(Math.max(1000, Math.floor(ms / 1000) * 1000));
  }
  if (spec.startsWith('@')) {
    const expanded = descriptors[spec.toLowerCase()];
    if (!expanded) throw new ScheduleError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const parts = spec.split(/\s+/).filter((p) => p.length > 0);
  if (parts.length !== 5) throw new ScheduleError(`expected exactly 5 fields, found ${parts.length}: ${spec}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, fieldBounds[i]!)) as [Field, Field, Field, Field, Field];
  return new FieldSchedule(minute, hour, dom, month, dow, zone);
}

export interface MostRecent {
  /** The latest schedule time at or before now that has not been met, if any. */
  mostRecent?: number;
  /** How many schedule times were missed (roughly, as upstream estimates it). */
  missed: number;
  /** The time counting started from: lastScheduleTime or creation, moved up to now − startingDeadlineSeconds. */
  earliest: number;
}

/** cronjob/utils.go mostRecentScheduleTime: throws when two consecutive firings are less than a second apart. */
export function mostRecentScheduleTime(schedule: CronSchedule, now: number, since: number, startingDeadlineSeconds?: number): MostRecent {
  let earliest = since;
  if (startingDeadlineSeconds !== undefined) {
    const deadline = now - startingDeadlineSeconds * 1000;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined || t1 > now) return { missed: 0, earliest };
  const t2 = schedule.next(t1);
  if (t2 === undefined || t2 > now) return { mostRecent: t1, missed: 1, earliest };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new ScheduleError('time difference between two schedules is less than 1 second');
  const missed = Math.floor((now - t1) / 1000 / between) + 1;
  let mostRecent = t1 + (missed - 1) * between * 1000;
  for (let t = schedule.next(mostRecent); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  return { mostRecent, missed, earliest };
}

/** RFC 3339 of an instant in a zone, with its offset (`2026-12-06T09:00:00+09:00`, `...Z` in UTC), as Go formats it. */
export function formatInZone(ms: number, zone: string): string {
  const w = wallOf(ms, zone);
  const offsetMin = Math.round((wallMs(w) - Math.floor(ms / 60_000) * 60_000) / 60_000);
  const seconds = Math.floor(ms / 1000) % 60;
  const pad = (n: number, l = 2): string => String(n).padStart(l, '0');
  const base = `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(seconds)}`;
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Go's RFC1123Z in UTC (`Mon, 02 Jan 2006 15:04:05 +0000`), as the MissSchedule event prints it. */
export function formatRfc1123z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const monthsShort = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()] ?? ''}, ${pad(d.getUTCDate())} ${monthsShort[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
