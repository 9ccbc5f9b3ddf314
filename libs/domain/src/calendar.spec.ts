import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  addWorkingMinutes,
  DEFAULT_WORKING_HOURS,
  isWorkingDay,
  isWorkingMoment,
  localDate,
  makeCalendar,
  parseCalendarFile,
  subtractWorkingMinutes,
  workingMinutesBetween,
  workingMinutesPerDay,
  type CalendarDay,
} from './calendar.js';

// Dynamic imports keep the JSON import attribute through the swc transform.
const cn2026 = (await import('../../../data/calendar/cn-2026.json', { with: { type: 'json' } })).default;
const cn2027 = (await import('../../../data/calendar/cn-2027.json', { with: { type: 'json' } })).default;

/** A local Asia/Shanghai wall-clock time, 'YYYY-MM-DD HH:mm[:ss.sss]'. */
const sh = (s: string): Date => new Date(`${s.replace(' ', 'T')}+08:00`);
const file2026 = parseCalendarFile(cn2026);
const file2027 = parseCalendarFile(cn2027);
/** The real calendar: 2026 (official) + 2027 (provisional), Asia/Shanghai, default hours. */
const cal = makeCalendar([...file2026.days, ...file2027.days]);
/** Same zone and hours, no holiday data: Mon–Fri only. */
const plain = makeCalendar([]);

const dates = (days: CalendarDay[], kind: CalendarDay['kind']) => days.filter((d) => d.kind === kind).map((d) => d.date);
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

describe('calendar data', () => {
  it('2026 follows the State Council notice of 2025-11-04 (official, 33 days off, 6 make-up days)', () => {
    expect(file2026.year).toBe(2026);
    expect(file2026.provisional).toBe(false);
    expect(file2026.source).toContain('国务院办公厅关于2026年部分节假日安排的通知');
    expect(file2026.source).toContain('2025年11月4日');
    expect(dates(file2026.days, 'holiday')).toHaveLength(3 + 9 + 3 + 5 + 3 + 3 + 7);
    expect(dates(file2026.days, 'workday').sort()).toEqual(
      ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    for (const d of dates(file2026.days, 'workday')) expect([0, 6]).toContain(weekday(d));
  });

  it('2026 Mid-Autumn is 09-25..27 and National Day 10-01..07, with make-up days 09-20 (Sun) and 10-10 (Sat)', () => {
    const off = new Set(dates(file2026.days, 'holiday'));
    for (const d of ['2026-09-25', '2026-09-26', '2026-09-27']) expect(off.has(d)).toBe(true);
    for (let i = 1; i <= 7; i++) expect(off.has(`2026-10-0${i}`)).toBe(true);
    expect(off.has('2026-10-08')).toBe(false);
    expect(off.has('2026-09-28')).toBe(false);
    expect(weekday('2026-09-20')).toBe(0);
    expect(weekday('2026-10-10')).toBe(6);
    expect(weekday('2026-10-01')).toBe(4);
  });

  it('2027 is marked provisional, says so in its source, and invents no make-up working days', () => {
    expect(file2027.year).toBe(2027);
    expect(file2027.provisional).toBe(true);
    expect(file2027.source).toMatch(/暂定|provisional/);
    expect(dates(file2027.days, 'workday')).toEqual([]);
    const off = new Set(dates(file2027.days, 'holiday'));
    // statutory days (2024 amendment): 元旦, 除夕 + 初一..初三, 清明, 劳动节 ×2, 端午, 中秋, 国庆 ×3
    for (const d of ['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-04-05',
      '2027-05-01', '2027-05-02', '2027-06-09', '2027-09-15', '2027-10-01', '2027-10-02', '2027-10-03']) {
      expect(off.has(d)).toBe(true);
    }
    for (const d of file2027.days) expect(d.date.startsWith('2027-')).toBe(true);
  });

  it('parseCalendarFile rejects malformed files', () => {
    expect(() => parseCalendarFile(null)).toThrow(RangeError);
    expect(() => parseCalendarFile({ ...cn2026, provisional: 'no' })).toThrow(/provisional/);
    expect(() => parseCalendarFile({ ...cn2026, days: [{ date: '2026-02-30', kind: 'holiday', name: 'x' }] })).toThrow(RangeError);
    expect(() => parseCalendarFile({ ...cn2026, days: [{ date: '2026-10-01', kind: 'off', name: 'x' }] })).toThrow(/kind/);
    expect(() => parseCalendarFile({ ...cn2026, days: [cn2026.days[0], cn2026.days[0]] })).toThrow(/twice/);
  });
});

describe('makeCalendar', () => {
  it('defaults to UTC+8 and 08:30–12:00, 13:30–17:30 (450 working minutes a day)', () => {
    expect(cal.utcOffsetMinutes).toBe(480);
    expect(cal.workingHours).toEqual([[510, 720], [810, 1050]]);
    expect(DEFAULT_WORKING_HOURS).toEqual([[510, 720], [810, 1050]]);
    expect(workingMinutesPerDay(cal)).toBe(450);
  });

  it('rejects bad working hours, bad dates and a date that is both holiday and make-up day', () => {
    expect(() => makeCalendar([], { workingHours: [] })).toThrow(RangeError);
    expect(() => makeCalendar([], { workingHours: [[600, 500]] })).toThrow(RangeError);
    expect(() => makeCalendar([], { workingHours: [[500, 700], [650, 900]] })).toThrow(/overlap/);
    expect(() => makeCalendar([], { workingHours: [[0, 1441]] })).toThrow(RangeError);
    expect(() => makeCalendar([{ date: '2026-13-01', kind: 'holiday', name: 'x' }])).toThrow(RangeError);
    expect(() => makeCalendar([
      { date: '2026-10-10', kind: 'holiday', name: 'x' },
      { date: '2026-10-10', kind: 'workday', name: 'y' },
    ])).toThrow(/both/);
  });
});

describe('localDate / isWorkingDay / isWorkingMoment', () => {
  it('localDate uses the calendar offset', () => {
    const t = new Date('2026-09-30T16:30:00Z');
    expect(localDate(cal, t)).toBe('2026-10-01');
    expect(localDate(makeCalendar([], { utcOffsetMinutes: 0 }), t)).toBe('2026-09-30');
    expect(localDate(makeCalendar([], { utcOffsetMinutes: -300 }), new Date('2026-03-01T03:00:00Z'))).toBe('2026-02-28');
  });

  it('a holiday weekday is not a working day; a make-up Saturday/Sunday is', () => {
    expect(isWorkingDay(cal, '2026-10-01')).toBe(false); // Thu, 国庆节
    expect(isWorkingDay(cal, '2026-10-07')).toBe(false); // Wed, 国庆节
    expect(isWorkingDay(cal, '2026-09-25')).toBe(false); // Fri, 中秋节
    expect(isWorkingDay(cal, '2026-09-20')).toBe(true); // Sun, 国庆节调休
    expect(isWorkingDay(cal, '2026-10-10')).toBe(true); // Sat, 国庆节调休
    expect(isWorkingDay(cal, '2026-10-08')).toBe(true); // Thu
    expect(isWorkingDay(cal, '2026-10-11')).toBe(false); // Sun
    expect(isWorkingDay(plain, '2026-10-01')).toBe(true); // without the data it would be a working day
    expect(isWorkingDay(plain, '2026-10-10')).toBe(false);
  });

  it('make-up days win over holidays for a hand-built calendar too', () => {
    const c = { ...plain, holidays: new Set(['2026-03-14']), workdays: new Set(['2026-03-14']) };
    expect(isWorkingDay(c, '2026-03-14')).toBe(true);
  });

  it('working moments are [start, end) of each interval on working days', () => {
    expect(isWorkingMoment(cal, sh('2026-10-08 08:30'))).toBe(true);
    expect(isWorkingMoment(cal, sh('2026-10-08 08:29:59.999'))).toBe(false);
    expect(isWorkingMoment(cal, sh('2026-10-08 11:59:59.999'))).toBe(true);
    expect(isWorkingMoment(cal, sh('2026-10-08 12:00'))).toBe(false);
    expect(isWorkingMoment(cal, sh('2026-10-08 13:30'))).toBe(true);
    expect(isWorkingMoment(cal, sh('2026-10-08 17:30'))).toBe(false);
    expect(isWorkingMoment(cal, sh('2026-10-01 10:00'))).toBe(false);
    expect(isWorkingMoment(cal, sh('2026-10-10 10:00'))).toBe(true);
  });
});

describe('addWorkingMinutes', () => {
  it('a 1-working-day limit started the afternoon before National Day falls due after the holiday', () => {
    const start = sh('2026-09-30 15:00'); // Wed; 10-01..07 off
    expect(addWorkingMinutes(cal, start, 450)).toEqual(sh('2026-10-08 15:00'));
    expect(addWorkingMinutes(plain, start, 450)).toEqual(sh('2026-10-01 15:00'));
  });

  it('counts the make-up Saturday 10-10 and the make-up Sunday 09-20 as working', () => {
    expect(addWorkingMinutes(cal, sh('2026-10-09 17:00'), 120)).toEqual(sh('2026-10-10 10:00'));
    expect(addWorkingMinutes(cal, sh('2026-09-19 10:00'), 60)).toEqual(sh('2026-09-20 09:30'));
  });

  it('skips the Mid-Autumn holiday Friday 09-25 and the weekend after it', () => {
    expect(addWorkingMinutes(cal, sh('2026-09-24 17:00'), 60)).toEqual(sh('2026-09-28 09:00'));
  });

  it('2 working hours from Friday 17:00 fall due Monday 10:00; from Friday 18:00, Monday 10:30', () => {
    // 17:00–17:30 uses 30 minutes, the other 90 run from Monday 08:30.
    expect(addWorkingMinutes(cal, sh('2026-03-13 17:00'), 120)).toEqual(sh('2026-03-16 10:00'));
    expect(addWorkingMinutes(cal, sh('2026-03-13 18:00'), 120)).toEqual(sh('2026-03-16 10:30'));
  });

  it('skips the lunch break and returns the end of an interval when the time ends exactly there', () => {
    expect(addWorkingMinutes(cal, sh('2026-03-16 11:30'), 60)).toEqual(sh('2026-03-16 14:00'));
    expect(addWorkingMinutes(cal, sh('2026-03-16 11:00'), 60)).toEqual(sh('2026-03-16 12:00'));
    expect(addWorkingMinutes(cal, sh('2026-03-16 08:30'), 450)).toEqual(sh('2026-03-16 17:30'));
    expect(addWorkingMinutes(cal, sh('2026-03-16 08:30'), 451)).toEqual(sh('2026-03-17 08:31'));
  });

  it('0 minutes gives the first working moment at or after start', () => {
    expect(addWorkingMinutes(cal, sh('2026-03-16 09:00'), 0)).toEqual(sh('2026-03-16 09:00'));
    expect(addWorkingMinutes(cal, sh('2026-03-16 12:10'), 0)).toEqual(sh('2026-03-16 13:30'));
    expect(addWorkingMinutes(cal, sh('2026-10-01 09:00'), 0)).toEqual(sh('2026-10-08 08:30'));
  });

  it('counts 20 working days across the Spring Festival and its make-up Saturdays', () => {
    // 2026-02-09 (Mon) 08:30: working days 02-09..13, 02-14 (Sat, make-up), 02-24..27, 02-28 (Sat, make-up),
    // 03-02..06, 03-09..12 → the 20th ends 03-12 17:30.
    expect(addWorkingMinutes(cal, sh('2026-02-09 08:30'), 20 * 450)).toEqual(sh('2026-03-12 17:30'));
  });

  it('honours another fixed offset and custom hours', () => {
    const utc = makeCalendar([], { utcOffsetMinutes: 0, workingHours: [[540, 1020]] });
    expect(addWorkingMinutes(utc, new Date('2026-03-13T16:00:00Z'), 120)).toEqual(new Date('2026-03-16T10:00:00Z'));
  });

  it('rejects negative or non-finite minutes and invalid dates', () => {
    expect(() => addWorkingMinutes(cal, sh('2026-03-16 09:00'), -1)).toThrow(RangeError);
    expect(() => addWorkingMinutes(cal, sh('2026-03-16 09:00'), Number.NaN)).toThrow(RangeError);
    expect(() => addWorkingMinutes(cal, new Date(Number.NaN), 1)).toThrow(RangeError);
  });
});

describe('subtractWorkingMinutes', () => {
  it('counts back across the weekend and returns an interval start when it ends exactly there', () => {
    expect(subtractWorkingMinutes(cal, sh('2026-03-16 10:00'), 120)).toEqual(sh('2026-03-13 17:00'));
    expect(subtractWorkingMinutes(cal, sh('2026-03-16 09:30'), 60)).toEqual(sh('2026-03-16 08:30'));
    expect(subtractWorkingMinutes(cal, sh('2026-10-08 09:00'), 60)).toEqual(sh('2026-09-30 17:00'));
    expect(subtractWorkingMinutes(cal, sh('2026-10-08 09:00'), 0)).toEqual(sh('2026-10-08 09:00'));
  });

  it('whole working days counted back from midnight end at the first working moment of the earliest day', () => {
    expect(subtractWorkingMinutes(cal, sh('2026-03-17 00:00'), 450)).toEqual(sh('2026-03-16 08:30'));
    expect(subtractWorkingMinutes(cal, sh('2026-03-18 00:00'), 900)).toEqual(sh('2026-03-16 08:30'));
    expect(subtractWorkingMinutes(cal, sh('2026-10-09 00:00'), 900)).toEqual(sh('2026-09-30 08:30'));
  });
});

describe('workingMinutesBetween', () => {
  it('counts only working time, fractions included', () => {
    expect(workingMinutesBetween(cal, sh('2026-03-13 17:00'), sh('2026-03-16 10:00'))).toBe(120);
    expect(workingMinutesBetween(cal, sh('2026-09-30 00:00'), sh('2026-10-09 00:00'))).toBe(900);
    expect(workingMinutesBetween(cal, sh('2026-09-19 00:00'), sh('2026-09-21 00:00'))).toBe(450);
    expect(workingMinutesBetween(cal, sh('2026-03-16 08:30:30'), sh('2026-03-16 08:31'))).toBe(0.5);
    expect(workingMinutesBetween(cal, sh('2026-03-16 12:00'), sh('2026-03-16 13:30'))).toBe(0);
    expect(workingMinutesBetween(cal, sh('2026-03-16 10:00'), sh('2026-03-16 09:00'))).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over 2026–2027 with the real data.

const FROM = sh('2026-01-01 00:00').getTime();
const TO = sh('2028-01-01 00:00').getTime() - 1;
const DAY = 86_400_000;
const anyInstant = fc.integer({ min: FROM, max: TO });
/** Instants on exact working-hours boundaries (08:30, 12:00, 13:30, 17:30) and at local midnight. */
const boundaryInstant = fc
  .tuple(fc.integer({ min: 0, max: 729 }), fc.constantFrom(0, 510, 720, 810, 1050), fc.constantFrom(-1, 0, 1))
  .map(([d, m, ms]) => Math.max(FROM, FROM + d * DAY + m * 60_000 + ms));
const start = fc.oneof(anyInstant, boundaryInstant).map((ms) => new Date(ms));
/** 0..20×480 minutes, with whole working days (multiples of 450) drawn often. */
const minutes = fc.oneof(fc.integer({ min: 0, max: 20 * 480 }), fc.integer({ min: 0, max: 21 }).map((k) => k * 450));
const isIntervalEnd = (t: Date) => {
  const local = (t.getTime() + 8 * 3_600_000) % DAY;
  return cal.workingHours.some(([, e]) => local === e * 60_000);
};

describe('working clock properties', () => {
  it('workingMinutesBetween(start, addWorkingMinutes(start, m)) = m (within 1e-6)', () => {
    fc.assert(fc.property(start, fc.oneof(minutes, fc.integer({ min: 0, max: 20 * 480 * 60_000 }).map((ms) => ms / 60_000)),
      (s, m) => {
        const due = addWorkingMinutes(cal, s, m);
        expect(Math.abs(workingMinutesBetween(cal, s, due) - m)).toBeLessThan(1e-6);
        expect(due.getTime() - s.getTime()).toBeGreaterThanOrEqual(m * 60_000 - 1e-6);
      }), { numRuns: 300 });
  });

  it('m > 0: the result is the end of a working minute — the millisecond before it is working time, and the result itself is a working moment or exactly the end of a working interval', () => {
    fc.assert(fc.property(start, minutes.filter((m) => m > 0), (s, m) => {
      const due = addWorkingMinutes(cal, s, m);
      expect(isWorkingMoment(cal, new Date(due.getTime() - 1))).toBe(true);
      expect(isWorkingMoment(cal, due) || isIntervalEnd(due)).toBe(true);
    }), { numRuns: 300 });
  });

  it('m = 0: the result is a working moment with no working time between start and it', () => {
    fc.assert(fc.property(start, (s) => {
      const t = addWorkingMinutes(cal, s, 0);
      expect(isWorkingMoment(cal, t)).toBe(true);
      expect(t.getTime()).toBeGreaterThanOrEqual(s.getTime());
      expect(workingMinutesBetween(cal, s, t)).toBe(0);
    }), { numRuns: 200 });
  });

  it('is monotonic in m, and adding a then b (b > 0) equals adding a + b', () => {
    fc.assert(fc.property(start, minutes, minutes, (s, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(addWorkingMinutes(cal, s, lo).getTime()).toBeLessThanOrEqual(addWorkingMinutes(cal, s, hi).getTime());
      if (b > 0) expect(addWorkingMinutes(cal, addWorkingMinutes(cal, s, a), b)).toEqual(addWorkingMinutes(cal, s, a + b));
    }), { numRuns: 200 });
  });

  it('subtractWorkingMinutes is the backward counterpart', () => {
    fc.assert(fc.property(start, minutes, (end, m) => {
      const from = subtractWorkingMinutes(cal, end, m);
      expect(from.getTime()).toBeLessThanOrEqual(end.getTime());
      expect(Math.abs(workingMinutesBetween(cal, from, end) - m)).toBeLessThan(1e-6);
      if (m > 0) expect(isWorkingMoment(cal, from)).toBe(true);
    }), { numRuns: 200 });
  });

  it('workingMinutesBetween is additive and matches a minute-by-minute count', () => {
    fc.assert(fc.property(start, fc.integer({ min: 0, max: 3 * DAY }), fc.integer({ min: 0, max: 3 * DAY }), (a, x, y) => {
      const b = new Date(a.getTime() + Math.min(x, y));
      const c = new Date(a.getTime() + Math.max(x, y));
      const whole = workingMinutesBetween(cal, a, c);
      expect(Math.abs(whole - workingMinutesBetween(cal, a, b) - workingMinutesBetween(cal, b, c))).toBeLessThan(1e-6);
    }), { numRuns: 200 });
    // Oracle on minute-aligned ranges: count the minutes whose first instant is a working moment.
    const aligned = fc.integer({ min: 0, max: 729 * 1440 }).map((m) => new Date(FROM + m * 60_000));
    fc.assert(fc.property(aligned, fc.integer({ min: 0, max: 4 * 1440 }), (a, len) => {
      let count = 0;
      for (let i = 0; i < len; i++) if (isWorkingMoment(cal, new Date(a.getTime() + i * 60_000))) count++;
      expect(workingMinutesBetween(cal, a, new Date(a.getTime() + len * 60_000))).toBe(count);
    }), { numRuns: 40 });
  });
});
