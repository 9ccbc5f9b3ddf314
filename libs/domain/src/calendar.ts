/**
 * Working calendar (工作日历) and the pure working-time clock.
 *
 * A calendar lives in one fixed UTC offset (Asia/Shanghai = UTC+8, no DST). A local date is a working
 * day when it is a make-up working day (调休上班), else not when it is a statutory holiday (法定节假日),
 * else when it is Monday–Friday. Working time is the union of the working-hours intervals on working days.
 *
 * Calendars are treated as immutable values: derived lookup tables are cached per calendar object.
 * Pure: no I/O, no framework imports.
 */

export interface WorkCalendar {
  /** Fixed offset of the calendar's zone from UTC, in minutes (480 for Asia/Shanghai). */
  utcOffsetMinutes: number;
  /** 'YYYY-MM-DD' local dates that are NOT working days (statutory holidays, 法定节假日). */
  holidays: ReadonlySet<string>;
  /** 'YYYY-MM-DD' local (weekend) dates that ARE working days (make-up working days, 调休上班). */
  workdays: ReadonlySet<string>;
  /** Working hours as [start, end) minutes of the local day, sorted and non-overlapping. */
  workingHours: ReadonlyArray<readonly [number, number]>;
}

export interface CalendarDay {
  date: string;
  kind: 'holiday' | 'workday';
  name: string;
}

/** The shape of `data/calendar/cn-YYYY.json`. */
export interface CalendarFile {
  year: number;
  /** Title and date of the State Council notice, or why the year is provisional. */
  source: string;
  /** true when the dates were derived from the statutory rules, not taken from an official notice. */
  provisional: boolean;
  days: CalendarDay[];
}

/** 08:30–12:00 and 13:30–17:30: 450 working minutes a day. */
export const DEFAULT_WORKING_HOURS: ReadonlyArray<readonly [number, number]> = Object.freeze([
  Object.freeze([510, 720] as const),
  Object.freeze([810, 1050] as const),
]);

export const ASIA_SHANGHAI_OFFSET_MINUTES = 480;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a 'YYYY-MM-DD' date; throws on a malformed or impossible date. */
function dayIndexOf(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`invalid date '${date}': expected YYYY-MM-DD`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`invalid date '${date}'`);
  }
  return ms / DAY_MS;
}

function dateOfDayIndex(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 (day 0) was a Thursday. */
function weekdayOfDayIndex(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function validateWorkingHours(hours: ReadonlyArray<readonly [number, number]>): void {
  if (hours.length === 0) throw new RangeError('workingHours must contain at least one interval');
  let prevEnd = -Infinity;
  for (const iv of hours) {
    const [start, end] = iv;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end > 1440 || start >= end) {
      throw new RangeError(`invalid working-hours interval [${start}, ${end}]: need 0 <= start < end <= 1440`);
    }
    if (start < prevEnd) throw new RangeError('workingHours must be sorted and must not overlap');
    prevEnd = end;
  }
}

function validateOffset(offset: number): void {
  if (!Number.isFinite(offset) || Math.abs(offset) > 18 * 60) {
    throw new RangeError(`invalid utcOffsetMinutes ${offset}`);
  }
}

/** Builds a calendar from holiday / make-up-day entries (e.g. the `days` of a `CalendarFile`). */
export function makeCalendar(
  days: Iterable<CalendarDay>,
  opts: { utcOffsetMinutes?: number; workingHours?: ReadonlyArray<readonly [number, number]> } = {},
): WorkCalendar {
  const utcOffsetMinutes = opts.utcOffsetMinutes ?? ASIA_SHANGHAI_OFFSET_MINUTES;
  const workingHours = opts.workingHours ?? DEFAULT_WORKING_HOURS;
  validateOffset(utcOffsetMinutes);
  validateWorkingHours(workingHours);
  const holidays = new Set<string>();
  const workdays = new Set<string>();
  for (const day of days) {
    dayIndexOf(day.date);
    if (day.kind === 'holiday') holidays.add(day.date);
    else if (day.kind === 'workday') workdays.add(day.date);
    else throw new RangeError(`invalid kind '${String((day as { kind: unknown }).kind)}' for ${day.date}`);
  }
  for (const d of workdays) {
    if (holidays.has(d)) throw new RangeError(`${d} is listed both as a holiday and as a make-up working day`);
  }
  return {
    utcOffsetMinutes,
    holidays,
    workdays,
    workingHours: Object.freeze(workingHours.map(([s, e]) => Object.freeze([s, e] as const))),
  };
}

/** Validates parsed JSON of a `data/calendar/cn-YYYY.json` file. */
export function parseCalendarFile(json: unknown): CalendarFile {
  const fail = (why: string): never => {
    throw new RangeError(`invalid calendar file: ${why}`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const o = json as Record<string, unknown>;
  if (typeof o.year !== 'number' || !Number.isInteger(o.year)) return fail('year must be an integer');
  if (typeof o.source !== 'string' || o.source.length === 0) return fail('source must be a non-empty string');
  if (typeof o.provisional !== 'boolean') return fail('provisional must be a boolean');
  if (!Array.isArray(o.days)) return fail('days must be an array');
  const seen = new Set<string>();
  const days: CalendarDay[] = o.days.map((raw: unknown, i: number) => {
    if (typeof raw !== 'object' || raw === null) return fail(`days[${i}] is not an object`);
    const d = raw as Record<string, unknown>;
    if (typeof d.date !== 'string') return fail(`days[${i}].date must be a string`);
    dayIndexOf(d.date);
    if (d.kind !== 'holiday' && d.kind !== 'workday') return fail(`days[${i}].kind must be 'holiday' or 'workday'`);
    if (typeof d.name !== 'string' || d.name.length === 0) return fail(`days[${i}].name must be a non-empty string`);
    if (seen.has(d.date)) return fail(`${d.date} is listed twice`);
    seen.add(d.date);
    return { date: d.date, kind: d.kind, name: d.name };
  });
  return { year: o.year, source: o.source, provisional: o.provisional, days };
}

// ---------------------------------------------------------------------------------------------
// Derived tables, cached per calendar object.

interface Compiled {
  offsetMs: number;
  /** day index → true (make-up working day) / false (holiday); absent = ordinary Mon–Fri rule. */
  special: Map<number, boolean>;
  /** working intervals as [startMs, endMs) offsets within the local day. */
  intervals: ReadonlyArray<readonly [number, number]>;
  dayWorkMs: number;
  // What the cache was built from, to notice a different calendar content.
  src: { holidays: ReadonlySet<string>; workdays: ReadonlySet<string>; hSize: number; wSize: number;
    hours: ReadonlyArray<readonly [number, number]>; offset: number };
}

const compiledCache = new WeakMap<WorkCalendar, Compiled>();

function compile(cal: WorkCalendar): Compiled {
  const c = compiledCache.get(cal);
  if (c && c.src.holidays === cal.holidays && c.src.workdays === cal.workdays &&
      c.src.hSize === cal.holidays.size && c.src.wSize === cal.workdays.size &&
      c.src.hours === cal.workingHours && c.src.offset === cal.utcOffsetMinutes) {
    return c;
  }
  validateOffset(cal.utcOffsetMinutes);
  validateWorkingHours(cal.workingHours);
  const special = new Map<number, boolean>();
  for (const d of cal.holidays) special.set(dayIndexOf(d), false);
  for (const d of cal.workdays) special.set(dayIndexOf(d), true); // make-up days win
  const intervals = cal.workingHours.map(([s, e]) => [s * MINUTE_MS, e * MINUTE_MS] as const);
  const compiled: Compiled = {
    offsetMs: cal.utcOffsetMinutes * MINUTE_MS,
    special,
    intervals,
    dayWorkMs: intervals.reduce((sum, [s, e]) => sum + (e - s), 0),
    src: { holidays: cal.holidays, workdays: cal.workdays, hSize: cal.holidays.size, wSize: cal.workdays.size,
      hours: cal.workingHours, offset: cal.utcOffsetMinutes },
  };
  compiledCache.set(cal, compiled);
  return compiled;
}

function isWorkingDayIndex(c: Compiled, day: number): boolean {
  const s = c.special.get(day);
  if (s !== undefined) return s;
  const wd = weekdayOfDayIndex(day);
  return wd !== 0 && wd !== 6;
}

function msOf(t: Date, what: string): number {
  const ms = t.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is an invalid Date`);
  return ms;
}

/** Local day index of a UTC instant. */
function localDayIndex(c: Compiled, ms: number): number {
  return Math.floor((ms + c.offsetMs) / DAY_MS);
}

/** UTC instant at which a local day starts. */
function dayStartMs(c: Compiled, day: number): number {
  return day * DAY_MS - c.offsetMs;
}

// ---------------------------------------------------------------------------------------------
// Public clock functions.

/** 'YYYY-MM-DD' of an instant in the calendar's zone. */
export function localDate(cal: WorkCalendar, t: Date): string {
  return dateOfDayIndex(localDayIndex(compile(cal), msOf(t, 't')));
}

/** Make-up working days win, then holidays, then Monday–Friday. */
export function isWorkingDay(cal: WorkCalendar, date: string): boolean {
  return isWorkingDayIndex(compile(cal), dayIndexOf(date));
}

/** On a working day and inside a working-hours interval [start, end). */
export function isWorkingMoment(cal: WorkCalendar, t: Date): boolean {
  const c = compile(cal);
  const ms = msOf(t, 't');
  const day = localDayIndex(c, ms);
  if (!isWorkingDayIndex(c, day)) return false;
  const offset = ms - dayStartMs(c, day);
  return c.intervals.some(([s, e]) => offset >= s && offset < e);
}

/** Working minutes in a full working day (450 with DEFAULT_WORKING_HOURS): converts "N 工作日" limits to minutes. */
export function workingMinutesPerDay(cal: WorkCalendar): number {
  return compile(cal).dayWorkMs / MINUTE_MS;
}

function toDurationMs(minutes: number): number {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be a finite number >= 0, got ${minutes}`);
  return Math.round(minutes * MINUTE_MS);
}

/**
 * The instant at which `minutes` working minutes counted from `start` have passed.
 * - minutes > 0: the instant the last working minute ends — the earliest T with
 *   workingMinutesBetween(start, T) = minutes. If that is exactly the end of an interval (e.g. 17:30),
 *   that end instant is returned, not the start of the next interval.
 * - minutes = 0: the first working moment at or after `start` (start itself when it is a working moment).
 * Fractional minutes are rounded to whole milliseconds. Skips whole days and intervals, never single minutes.
 */
export function addWorkingMinutes(cal: WorkCalendar, start: Date, minutes: number): Date {
  const c = compile(cal);
  let remaining = toDurationMs(minutes);
  const t0 = msOf(start, 'start');
  let day = localDayIndex(c, t0);
  let from = t0; // nothing before `from` counts
  for (;;) {
    if (isWorkingDayIndex(c, day)) {
      const base = dayStartMs(c, day);
      if (from <= base && remaining > c.dayWorkMs) {
        remaining -= c.dayWorkMs; // skip the whole day
      } else {
        for (const [s, e] of c.intervals) {
          const end = base + e;
          if (from >= end) continue;
          const begin = Math.max(from, base + s);
          const avail = end - begin;
          if (remaining <= avail) return new Date(begin + remaining);
          remaining -= avail;
        }
      }
    }
    day += 1;
    from = dayStartMs(c, day);
  }
}

/**
 * The latest instant T <= end with workingMinutesBetween(T, end) = minutes (minutes >= 0).
 * If that is exactly the start of an interval (e.g. 08:30), that start instant is returned.
 * minutes = 0 returns `end` itself.
 */
export function subtractWorkingMinutes(cal: WorkCalendar, end: Date, minutes: number): Date {
  const c = compile(cal);
  let remaining = toDurationMs(minutes);
  const t0 = msOf(end, 'end');
  if (remaining === 0) return new Date(t0);
  let day = localDayIndex(c, t0);
  let until = t0; // nothing after `until` counts
  for (;;) {
    if (isWorkingDayIndex(c, day)) {
      const base = dayStartMs(c, day);
      if (until >= base + DAY_MS && remaining > c.dayWorkMs) {
        remaining -= c.dayWorkMs;
      } else {
        for (let i = c.intervals.length - 1; i >= 0; i--) {
          const [s, e] = c.intervals[i]!;
          const begin = base + s;
          if (until <= begin) continue;
          const stop = Math.min(until, base + e);
          const avail = stop - begin;
          if (remaining <= avail) return new Date(stop - remaining);
          remaining -= avail;
        }
      }
    }
    day -= 1;
    until = dayStartMs(c, day + 1);
  }
}

/** Working minutes in [from, to); fractional; 0 when to <= from. */
export function workingMinutesBetween(cal: WorkCalendar, from: Date, to: Date): number {
  const c = compile(cal);
  const a = msOf(from, 'from');
  const b = msOf(to, 'to');
  if (b <= a) return 0;
  let total = 0;
  const lastDay = localDayIndex(c, b - 1);
  for (let day = localDayIndex(c, a); day <= lastDay; day++) {
    if (!isWorkingDayIndex(c, day)) continue;
    const base = dayStartMs(c, day);
    if (a <= base && base + DAY_MS <= b) {
      total += c.dayWorkMs;
      continue;
    }
    for (const [s, e] of c.intervals) {
      const lo = Math.max(a, base + s);
      const hi = Math.min(b, base + e);
      if (hi > lo) total += hi - lo;
    }
  }
  return total / MINUTE_MS;
}
