/**
 * SLA (时限) policy: stage limits, warning marks (黄牌 yellow at 80 %, 红牌 red when overdue), escalation
 * time, remaining time and suspension (挂起/挂账). Pure: no I/O, no framework imports.
 *
 * A limit is counted either in working time on a WorkCalendar (ordinary events) or in natural time
 * (urgent events, 紧急).
 */
import {
  addWorkingMinutes,
  subtractWorkingMinutes,
  workingMinutesBetween,
  type WorkCalendar,
} from './calendar.js';

/** 'working': working minutes on the calendar; 'natural': wall-clock minutes (urgent events). */
export type TimeBasis = 'working' | 'natural';

export interface StageLimit {
  /** Limit of the stage (受理 accept, 签收 sign, 处置 handle, …) in minutes of `basis`. */
  minutes: number;
  basis: TimeBasis;
  /** Fraction of the limit at which the warning turns yellow; default 0.8. */
  yellowRatio?: number;
  /** Natural minutes after dueAt before automatic escalation (提级); default 0. */
  escalateGraceMinutes?: number;
}

export interface SlaMarks {
  startedAt: Date;
  yellowAt: Date;
  dueAt: Date;
  escalateAt: Date;
}

export const DEFAULT_YELLOW_RATIO = 0.8;

const MINUTE_MS = 60_000;

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be a finite number >= 0, got ${value}`);
  return value;
}

/** start + minutes in the given basis (natural: wall clock; working: see addWorkingMinutes). minutes >= 0. */
export function addDuration(cal: WorkCalendar, basis: TimeBasis, start: Date, minutes: number): Date {
  if (basis === 'working') return addWorkingMinutes(cal, start, minutes);
  nonNegative(minutes, 'minutes');
  return new Date(start.getTime() + Math.round(minutes * MINUTE_MS));
}

/** Minutes elapsed in [from, to) in the given basis; 0 when to <= from. */
export function elapsedMinutes(cal: WorkCalendar, basis: TimeBasis, from: Date, to: Date): number {
  if (basis === 'working') return workingMinutesBetween(cal, from, to);
  return Math.max(0, (to.getTime() - from.getTime()) / MINUTE_MS);
}

/**
 * yellowAt = start + yellowRatio × minutes, dueAt = start + minutes (both in the limit's basis),
 * escalateAt = dueAt + escalateGraceMinutes (natural minutes).
 */
export function slaMarks(cal: WorkCalendar, limit: StageLimit, startedAt: Date): SlaMarks {
  const minutes = nonNegative(limit.minutes, 'limit.minutes');
  const ratio = limit.yellowRatio ?? DEFAULT_YELLOW_RATIO;
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new RangeError(`yellowRatio must be in [0, 1], got ${ratio}`);
  const grace = nonNegative(limit.escalateGraceMinutes ?? 0, 'escalateGraceMinutes');
  const yellowAt = addDuration(cal, limit.basis, startedAt, ratio * minutes);
  const dueAt = addDuration(cal, limit.basis, startedAt, minutes);
  const escalateAt = new Date(dueAt.getTime() + Math.round(grace * MINUTE_MS));
  return { startedAt, yellowAt, dueAt, escalateAt };
}

/** 'red' when now >= dueAt (overdue), 'yellow' when now >= yellowAt, else 'none'. */
export function warningAt(marks: Pick<SlaMarks, 'yellowAt' | 'dueAt'>, now: Date): 'none' | 'yellow' | 'red' {
  const t = now.getTime();
  if (t >= marks.dueAt.getTime()) return 'red';
  if (t >= marks.yellowAt.getTime()) return 'yellow';
  return 'none';
}

/**
 * Time left from `at` to dueAt in the basis. When past due it is negative: minus the natural minutes
 * overdue (natural basis) or minus the working minutes elapsed since dueAt (working basis).
 */
export function remainingMinutes(cal: WorkCalendar, basis: TimeBasis, dueAt: Date, at: Date): number {
  if (basis === 'natural') return (dueAt.getTime() - at.getTime()) / MINUTE_MS;
  if (at.getTime() <= dueAt.getTime()) return workingMinutesBetween(cal, at, dueAt);
  return -workingMinutesBetween(cal, dueAt, at);
}

/**
 * New due time after a suspension (挂起): the clock stops at suspendedAt and the time remaining then
 * is counted again from resumedAt. A stage already overdue at suspension stays overdue by the same
 * amount (natural: dueAt shifts by the suspension length; working: the overdue working minutes are
 * counted back from resumedAt).
 */
export function resumeDue(cal: WorkCalendar, basis: TimeBasis, suspendedAt: Date, dueAt: Date, resumedAt: Date): Date {
  if (resumedAt.getTime() < suspendedAt.getTime()) throw new RangeError('resumedAt is before suspendedAt');
  if (basis === 'natural') return new Date(dueAt.getTime() + (resumedAt.getTime() - suspendedAt.getTime()));
  const left = remainingMinutes(cal, basis, dueAt, suspendedAt);
  return left > 0 ? addWorkingMinutes(cal, resumedAt, left) : subtractWorkingMinutes(cal, resumedAt, -left);
}

/** Extension (延期) rules of a county: total extra time over the original due, in natural days (12345 practice: 20). */
export const DEFAULT_MAX_EXTENSION_DAYS = 20;

/**
 * Why an extension to `until` may not be asked now, or null. It must be asked before the stage is due (DOMAIN §3.2:
 * filed **before** the deadline), move the due time later, and keep the total extension — `until` against the due
 * time before the first extension of this stage (`originalDueAt`) — within `maxDays` natural days.
 */
export function extensionProblem(input: { now: Date; dueAt: Date | null; originalDueAt: Date | null; until: Date;
  maxDays?: number }): string | null {
  const { now, dueAt, until } = input;
  if (!dueAt) return null; // no limit runs (no rule): nothing to extend against
  if (now.getTime() >= dueAt.getTime()) return 'an extension must be asked before the deadline; this stage is already overdue';
  if (until.getTime() <= dueAt.getTime()) return `until must be after the current due time ${dueAt.toISOString()}`;
  const original = input.originalDueAt ?? dueAt;
  const maxDays = input.maxDays ?? DEFAULT_MAX_EXTENSION_DAYS;
  if (until.getTime() - original.getTime() > maxDays * 86_400_000) {
    return `an extension may add at most ${maxDays} days in all to the original due time ${original.toISOString()}`;
  }
  return null;
}
