import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { countdown, formatInstant, formatSpan, shanghaiDay, workingMinutesBetween } from './time';
import type { WorkCalendar } from './time';

// Shanghai wall-clock time → instant (ms): Asia/Shanghai is UTC+8 all year.
const sh = (local: string) => Date.parse(`${local}+08:00`);

describe('workingMinutesBetween (the countdown of a working-time stage between two answers)', () => {
  it('counts only 08:30–12:00 and 13:30–17:30 on weekdays', () => {
    // 2026-12-01 is a Tuesday
    expect(workingMinutesBetween(sh('2026-12-01T08:00:00'), sh('2026-12-01T09:00:00'))).toBe(30);
    expect(workingMinutesBetween(sh('2026-12-01T11:30:00'), sh('2026-12-01T14:00:00'))).toBe(60);
    expect(workingMinutesBetween(sh('2026-12-01T00:00:00'), sh('2026-12-02T00:00:00'))).toBe(450);
    expect(workingMinutesBetween(sh('2026-12-01T18:00:00'), sh('2026-12-01T23:00:00'))).toBe(0);
    // Friday 17:00 → Monday 09:00: 30 minutes on Friday, 30 on Monday, nothing at the weekend
    expect(workingMinutesBetween(sh('2026-12-04T17:00:00'), sh('2026-12-07T09:00:00'))).toBe(60);
    expect(workingMinutesBetween(sh('2026-12-05T08:00:00'), sh('2026-12-06T20:00:00'))).toBe(0);
    expect(workingMinutesBetween(sh('2026-12-01T10:00:00'), sh('2026-12-01T09:00:00'))).toBe(0);
  });

  it('is additive, never more than the time elapsed, and at most 450 minutes a day', () => {
    const base = sh('2026-11-30T00:00:00');
    const instant = fc.integer({ min: 0, max: 21 * 86400_000 }).map((d) => base + d);
    fc.assert(fc.property(instant, instant, instant, (x, y, z) => {
      const [a, b, c] = [x, y, z].sort((p, q) => p - q);
      const whole = workingMinutesBetween(a, c);
      expect(whole).toBeCloseTo(workingMinutesBetween(a, b) + workingMinutesBetween(b, c), 6);
      expect(whole).toBeLessThanOrEqual((c - a) / 60_000 + 1e-9);
      expect(whole).toBeLessThanOrEqual(450 * (Math.ceil((c - a) / 86400_000) + 1));
    }), { numRuns: 300 });
  });
});

describe('countdown', () => {
  const at = sh('2026-12-01T09:00:00');
  const base = { stage: 'handle' as const, stagePausedAt: null, stageDueAt: '2026-12-01T03:00:00.000Z' };

  it('natural time (urgent events): the due instant minus now', () => {
    const c = countdown({ ...base, slaBasis: 'natural', remainingMinutes: 999 }, at, sh('2026-12-01T10:30:00'));
    expect(c).toEqual({ minutes: 30, paused: false, working: false });
  });

  it('working time: the minutes the API gave, less the working minutes since they arrived', () => {
    const c = countdown({ ...base, slaBasis: 'working', remainingMinutes: 100 }, at, sh('2026-12-01T12:30:00'));
    expect(c.minutes).toBe(100 - 180);
    // overnight nothing is spent
    const night = countdown({ ...base, slaBasis: 'working', remainingMinutes: 100 }, sh('2026-12-01T18:00:00'), sh('2026-12-02T08:00:00'));
    expect(night.minutes).toBe(100);
  });

  it('a paused stage (挂起) keeps its minutes; no stage, no clock', () => {
    expect(countdown({ ...base, slaBasis: 'working', remainingMinutes: 42, stagePausedAt: '2026-12-01T00:00:00.000Z' }, at, at + 3600_000))
      .toEqual({ minutes: 42, paused: true, working: true });
    expect(countdown({ ...base, stage: null, slaBasis: null, remainingMinutes: null, stageDueAt: null }, at, at).minutes).toBeNull();
  });
});

describe('formatting', () => {
  it('spans in days, hours and minutes', () => {
    expect(formatSpan(45.9)).toBe('45分');
    expect(formatSpan(125)).toBe('2时05分');
    expect(formatSpan(-125)).toBe('2时05分');
    expect(formatSpan(3 * 1440 + 4 * 60 + 5)).toBe('3天4时');
  });

  it('instants and days on the Shanghai clock', () => {
    expect(formatInstant('2026-12-01T17:05:00Z', true)).toBe('2026-12-02 01:05');
    expect(shanghaiDay(Date.parse('2026-12-01T16:00:00Z'))).toBe('2026-12-02');
    expect(shanghaiDay(Date.parse('2026-12-01T15:59:59Z'))).toBe('2026-12-01');
  });
});

describe('the county calendar in the countdown (holidays and 调休)', () => {
  const sh = (local: string) => Date.parse(`${local}+08:00`);
  const calendar: WorkCalendar = new Map([['2026-10-01', 'holiday'], ['2026-09-20', 'workday']]);
  it('a listed weekday off counts no working time; a listed 调休 Sunday counts a full working day', () => {
    expect(workingMinutesBetween(sh('2026-10-01T00:00:00'), sh('2026-10-02T00:00:00'))).toBe(450); // a Thursday by the week
    expect(workingMinutesBetween(sh('2026-10-01T00:00:00'), sh('2026-10-02T00:00:00'), calendar)).toBe(0);
    expect(workingMinutesBetween(sh('2026-09-20T00:00:00'), sh('2026-09-21T00:00:00'))).toBe(0); // a Sunday by the week
    expect(workingMinutesBetween(sh('2026-09-20T09:00:00'), sh('2026-09-20T14:00:00'), calendar)).toBe(210);
    // days not listed follow the week
    expect(workingMinutesBetween(sh('2026-10-02T08:00:00'), sh('2026-10-02T09:00:00'), calendar)).toBe(30);
  });
  it('the countdown of a working-time stage stands still over a holiday', () => {
    const event = { stage: 'handle', slaBasis: 'working', remainingMinutes: 100, stageDueAt: null, stagePausedAt: null } as const;
    const at = sh('2026-10-01T09:00:00');
    expect(countdown(event, at, at + 3 * 3600_000, calendar).minutes).toBe(100);
    expect(countdown(event, at, at + 3 * 3600_000).minutes).toBe(100 - 180); // 09:00–12:00 by the week
  });
});
